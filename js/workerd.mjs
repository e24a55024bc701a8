// Entry for Cloudflare Workers (workerd), where compiling wasm from bytes is forbidden: the
// .wasm (client + edge helpers) is imported as a WebAssembly.Module by the bundler/runtime and
// instantiated from it.
import wasmModule from './dreamina_upscale_edge_bg.wasm';
import { initSync } from './dreamina_upscale_edge.js';

initSync({ module: wasmModule });

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is in this runtime). */
export const ready = Promise.resolve();
