// Entry for Vercel's edge runtime (the `edge-light` condition: Next.js `runtime = 'edge'` routes
// and middleware, Vercel Edge Functions), where compiling wasm from bytes is forbidden: the
// .wasm (client + edge helpers) is imported as a WebAssembly.Module with the `?module` suffix
// these bundlers use for it, and instantiated from that. Through the async init, not initSync:
// Next's local edge sandbox is another JS realm, where the glue's `instanceof
// WebAssembly.Module` test fails for a module compiled outside it (WebAssembly.instantiate
// takes it either way).
import wasmModule from './dreamina_upscale_edge_bg.wasm?module';
import init from './dreamina_upscale_edge.js';

await init({ module_or_path: wasmModule });

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is, after this module's top-level await). */
export const ready = Promise.resolve();
