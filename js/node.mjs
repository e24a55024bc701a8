// Entry for Node 18+, Deno and Bun: the .wasm (client + edge helpers) is read from disk and
// compiled synchronously, so importing the package is all it takes.
import { readFileSync } from 'node:fs';
import { initSync } from './dreamina_upscale_edge.js';

initSync({ module: readFileSync(new URL('./dreamina_upscale_edge_bg.wasm', import.meta.url)) });

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is in this runtime). */
export const ready = Promise.resolve();
