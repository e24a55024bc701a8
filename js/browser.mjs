// Entry for browsers and bundlers: the .wasm is fetched next to this file and instantiated
// with top-level await, so `import { DreaminaClient } from 'dreamina-upscale'` is ready to use.
import init from './dreamina_upscale.js';

/** Resolves when the module is ready; awaited by this module's top-level await already. */
export const ready = init({ module_or_path: new URL('./dreamina_upscale_bg.wasm', import.meta.url) }).then(() => {});
await ready;

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale.js';
export { DreaminaError } from './error.js';
