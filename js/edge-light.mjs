// Entry for Vercel's edge runtime (the `edge-light` condition: Next.js `runtime = 'edge'` routes
// and middleware, Vercel Edge Functions), where compiling wasm from bytes is forbidden: the
// .wasm (client + edge helpers) is imported as a WebAssembly.Module with the `?module` suffix
// these bundlers use for it, and instantiated from that.
import wasmModule from './dreamina_upscale_edge_bg.wasm?module';
import { initSync } from './dreamina_upscale_edge.js';

initSync({ module: wasmModule });

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is in this runtime). */
export const ready = Promise.resolve();
