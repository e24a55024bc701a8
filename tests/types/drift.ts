// The class users import (js/index.d.ts re-exports it) must be what wasm-bindgen generated from
// the Rust exports (pkg/dreamina_upscale.d.ts): same members, same argument and return types,
// options omittable. A method added in Rust with the wrong types fails this file.
import type { DreaminaClient as Public } from 'dreamina-upscale';
import type { DreaminaClient as Generated } from '../../pkg/dreamina_upscale.js';
import type { Equal, Expect } from './assert.js';

type Arg<F, I extends number> = F extends (...args: infer A) => unknown ? A[I] : never;
type Ret<F> = F extends (...args: never[]) => infer R ? R : never;
type Agree<K extends keyof Generated & keyof Public> = [
  Equal<Arg<Public[K], 0>, Arg<Generated[K], 0>>,
  Equal<Arg<Public[K], 1>, Arg<Generated[K], 1>>,
  Equal<Ret<Public[K]>, Ret<Generated[K]>>,
];
type AllTrue<T> = T extends true[] ? true : false;

export type Drift = [
  Expect<Equal<keyof Public, keyof Generated>>,
  Expect<Equal<ConstructorParameters<typeof import('dreamina-upscale').DreaminaClient>,
    ConstructorParameters<typeof import('../../pkg/dreamina_upscale.js').DreaminaClient>>>,
  Expect<AllTrue<Agree<'upscale'>>>,
  Expect<AllTrue<Agree<'getJob'>>>,
  Expect<AllTrue<Agree<'waitForJob'>>>,
  Expect<AllTrue<Agree<'upscaleAndWait'>>>,
  Expect<AllTrue<Agree<'generate'>>>,
  Expect<AllTrue<Agree<'generateAndWait'>>>,
  Expect<AllTrue<Agree<'upscaleMany'>>>,
  Expect<AllTrue<Agree<'upscaleAll'>>>,
  Expect<AllTrue<Agree<'free'>>>,
  Expect<Equal<Public['baseUrl'], Generated['baseUrl']>>,
];
