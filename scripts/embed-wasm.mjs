// Writes <out>/server.mjs: js/server.mjs with the edge build's .wasm embedded as one base64 string.
// An ES module is the one thing every server bundler carries as it is (Next.js with Turbopack or
// webpack, esbuild, Vite SSR, Bun); a .wasm reached through `new URL('./x.wasm',
// import.meta.url)` is rewritten into each bundler's own asset URL, or not copied at all.
// Inline rather than a module of its own: one module fewer to load is ~0.35 ms of a Node cold
// start (README "Design" has the figures).
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.argv[2] ?? 'pkg';
const MARKER = "'@WASM_BASE64@'";
const source = readFileSync(new URL('../js/server.mjs', import.meta.url), 'utf8');
if (source.split(MARKER).length !== 2) throw new Error(`js/server.mjs must hold ${MARKER} exactly once`);
const base64 = readFileSync(`${out}/dreamina_upscale_edge_bg.wasm`).toString('base64');
writeFileSync(`${out}/server.mjs`, source.replace(MARKER, () => JSON.stringify(base64)));
