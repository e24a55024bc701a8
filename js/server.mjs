// Server entry for Deno, Bun and server bundles (Next.js route handlers and server rendering
// with Turbopack or webpack, Vite SSR, esbuild --platform=node, `bun build`); Node itself loading
// the package from node_modules gets node.mjs instead. The .wasm (client + edge
// helpers) is embedded below as base64 and compiled synchronously, so importing the package is
// all it takes, and no bundler has to find, copy or rewrite a .wasm file: a bundler turns
// `new URL('./x.wasm', import.meta.url)` into its own asset URL, which readFileSync refuses.
// README "Design" has the measured cost.
import { initSync } from './dreamina_upscale_edge.js';

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is in this runtime). */
export const ready = Promise.resolve();

/** The bytes of a base64 string, by the fastest decoder the runtime has. */
function decode(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  if (globalThis.Buffer) return globalThis.Buffer.from(text, 'base64');
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// dreamina_upscale_edge_bg.wasm, put here by scripts/embed-wasm.mjs when pkg/ is built.
const WASM_BASE64 = '@WASM_BASE64@';
initSync({ module: decode(WASM_BASE64) });
