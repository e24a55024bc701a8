// Entry for browsers and bundlers: the client-only .wasm is fetched next to this file and
// instantiated with top-level await, so `import { DreaminaClient } from 'dreamina-upscale'` is
// ready to use. The edge helpers are left out of this build to keep what pages download small.
import init from './dreamina_upscale.js';
import { DreaminaError } from './error.js';

/** Resolves when the module is ready; awaited by this module's top-level await already. */
export const ready = init({ module_or_path: new URL('./dreamina_upscale_bg.wasm', import.meta.url) }).then(() => {});
await ready;

export { DreaminaClient } from './dreamina_upscale.js';
export { DreaminaError };

const serverOnly = (name) =>
  new DreaminaError(
    `${name} runs on servers and edge functions (Node, Deno, Bun, Cloudflare Workers); the browser build leaves it out`,
    { kind: 'validation', field: name },
  );

/** Not in the browser build: throws a DreaminaError saying where it runs. */
export function createProxyHandler() {
  throw serverOnly('createProxyHandler');
}

/** Not in the browser build: rejects with a DreaminaError saying where it runs. */
export async function handleWebhook() {
  throw serverOnly('handleWebhook');
}
