// Figure 1: bytes a web app ships. Each entry of the package is bundled with esbuild (minified,
// ESM) the way an app's bundler would; the .wasm is measured on its own (it is fetched or
// imported as a file, not inlined). Each entry is paired with the .wasm it really loads: the
// browser entry with the client-only build (what a web app ships, and what the 40 KiB target is
// about), node/workerd with the edge build. Baselines are bundled the same way.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
import { BENCH, OUT, PKG, buildOfEntry } from './lib.mjs';

/** The budget of the browser build (issue 10), and the size it aims for. */
export const TARGET_GZIP_BYTES = 52 * 1024;
export const AIM_GZIP_BYTES = 40 * 1024;

export function sizes(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

async function bundle(entry, { platform = 'browser', external = [] } = {}) {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    external,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return Buffer.from(r.outputFiles[0].contents);
}

const add = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli });

export async function runSize() {
  const builds = [
    { entry: 'browser.mjs', platform: 'browser' },
    { entry: 'workerd.mjs', platform: 'neutral', external: ['*.wasm'] },
    { entry: 'node.mjs', platform: 'node' },
  ];
  const rows = [];
  for (const b of builds) {
    const used = buildOfEntry(b.entry);
    const wasm = sizes(fs.readFileSync(path.join(PKG, used.wasm)));
    const js = await bundle(path.join(PKG, b.entry), b);
    fs.writeFileSync(path.join(OUT, `bundle-${b.entry.replace('.mjs', '')}.js`), js);
    const glue = sizes(js);
    rows.push({ build: `${b.entry.replace('.mjs', '')} (${b.entry} + ${used.glue} + error.js; ${used.wasm})`, wasmBuild: used.id, wasm, glue, total: add(wasm, glue) });
  }
  const browserGlue = buildOfEntry('browser.mjs').glue;
  const unbundled = ['browser.mjs', browserGlue, 'error.js']
    .map((f) => sizes(fs.readFileSync(path.join(PKG, f))))
    .reduce(add);
  const none = { raw: 0, gzip: 0, brotli: 0 };
  const baselines = [];
  for (const [name, file] of [
    ['plain JS by hand (bench/baseline/plain.mjs)', 'plain-entry.mjs'],
    ['@fal-ai/client (createFalClient + subscribe)', 'fal-entry.mjs'],
  ]) {
    const js = await bundle(path.join(BENCH, 'baseline', file));
    const glue = sizes(js);
    baselines.push({ build: name, wasm: none, glue, total: glue });
  }
  const browser = rows[0];
  return {
    builds: rows,
    unbundledBrowserGlue: unbundled,
    baselines,
    target: {
      what: 'browser entry: client-only wasm + bundled browser glue, gzip -9, at most 52 KiB (53,248 bytes); aim 40 KiB',
      limit: TARGET_GZIP_BYTES,
      aim: AIM_GZIP_BYTES,
      value: browser.total.gzip,
      met: browser.total.gzip <= TARGET_GZIP_BYTES,
    },
  };
}
