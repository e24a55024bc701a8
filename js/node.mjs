// Entry for Node itself loading the package from node_modules (Node's own resolver sets the
// `node-addons` condition; bundlers do not, so they get server.mjs, which embeds the .wasm). The
// .wasm (client + edge helpers) is read from disk next to this file and compiled synchronously,
// so importing the package is all it takes (no top-level await, so `require('dreamina-upscale')`
// works where Node can require ES modules). Reading the file costs ~1.3 ms less of a cold start
// than decoding server.mjs's embedded copy (README "Design").
//
// `fs` comes from process.getBuiltinModule (Node 20.16+/22.3+, Deno, Bun), not from
// `import ... from 'node:fs'`: building the ESM facade of node:fs on first import reads every
// export, and fs.ReadStream's getter loads all of node:stream (20 internal modules): ~1.2 ms of
// a Node 20 cold start, as much as compiling half the .wasm (bench/RESULTS.md, start-up). Older
// Node falls back to createRequire; `node:module`'s facade is cheap (no measurable difference).
import { createRequire } from 'node:module';
import { initSync } from './dreamina_upscale_edge.js';

const { readFileSync } = globalThis.process.getBuiltinModule?.('node:fs') ?? createRequire(import.meta.url)('node:fs');
initSync({ module: readFileSync(new URL('./dreamina_upscale_edge_bg.wasm', import.meta.url)) });

export { DreaminaClient, createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';
export { DreaminaError } from './error.js';
/** Resolves when the module is ready (it already is in this runtime). */
export const ready = Promise.resolve();
