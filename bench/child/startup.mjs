// Start-up of one client in this process. Modes:
//   cold-pkg | cold-plain | cold-empty  one sample: import → client constructed, in a fresh process
//   warm N [client|edge]                N re-instantiations of one wasm build in this process
// Prints one JSON line.
// No static imports: a cold sample must load nothing before its clock starts but what it
// measures. (This file used to import node:fs, node:path and node:url at the top, which built
// their ESM facades before t0 — node:fs's alone is ~1.2 ms in Node 20 — so an entry importing
// node:fs looked ~1.2 ms faster here than in a user's fresh process.)
const [mode, arg] = process.argv.slice(2);
const PKG = process.env.BENCH_PKG;
const PLAIN = process.env.BENCH_PLAIN;
const opts = { token: 'user:12345-sandbox', baseUrl: 'http://127.0.0.1:9/v1/dreamina' };
/** file: URL of an absolute POSIX path (what node:url's pathToFileURL does, without importing it). */
const fileUrl = (p) => `file://${p.split('/').map(encodeURIComponent).join('/')}`;

async function cold() {
  const t0 = performance.now();
  if (mode === 'cold-pkg') {
    const { DreaminaClient } = await import(fileUrl(`${PKG}/node.mjs`));
    new DreaminaClient(opts);
  } else if (mode === 'cold-plain') {
    const { createClient } = await import(fileUrl(PLAIN));
    createClient(opts);
  }
  const t1 = performance.now();
  // performance.now() counts from the process's time origin, so t1 is "process start → ready".
  return { importToReadyMs: t1 - t0, processToReadyMs: t1 };
}

/** The same module bytes plus a custom section with unique content: V8 caches compiled
 * modules by their bytes, so this forces a real compile without changing the code. */
function uniqueBytes(bytes, i) {
  const name = Buffer.from('bench');
  const payload = Buffer.from(String(i).padStart(8, '0'));
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  return Buffer.concat([bytes, Buffer.from([0, body.length]), body]);
}

async function warm(n, build) {
  // Imported here, not at the top, so cold samples load nothing but what they measure.
  const { BUILDS } = await import('../lib.mjs');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { wasm, glue } = BUILDS[build];
  const bytes = fs.readFileSync(path.join(PKG, wasm));
  const glueUrl = pathToFileURL(path.join(PKG, glue)).href;
  const { createClient } = await import(pathToFileURL(PLAIN).href);
  const cached = new WebAssembly.Module(bytes);
  const r = { compileCachedMs: [], compileFreshMs: [], instantiateMs: [], readyFromBytesMs: [], readyFromModuleMs: [], plainReadyMs: [] };
  for (let i = 0; i < n; i++) {
    // A fresh copy of the glue each time: initSync of an initialized glue returns early.
    const g1 = await import(`${glueUrl}?a=${i}`);
    const g2 = await import(`${glueUrl}?b=${i}`);
    const fresh = uniqueBytes(bytes, i);
    let t = performance.now();
    new WebAssembly.Module(fresh);
    r.compileFreshMs.push(performance.now() - t);

    t = performance.now();
    const m = new WebAssembly.Module(bytes);
    const t1 = performance.now();
    g1.initSync({ module: m });
    const t2 = performance.now();
    new g1.DreaminaClient(opts);
    const t3 = performance.now();
    r.compileCachedMs.push(t1 - t);
    r.instantiateMs.push(t2 - t1);
    r.readyFromBytesMs.push(t3 - t);

    t = performance.now();
    g2.initSync({ module: cached });
    new g2.DreaminaClient(opts);
    r.readyFromModuleMs.push(performance.now() - t);

    t = performance.now();
    createClient(opts);
    r.plainReadyMs.push(performance.now() - t);
  }
  return r;
}

const out = mode === 'warm' ? await warm(Number(arg), process.argv[4] ?? 'edge') : await cold();
console.log(JSON.stringify(out));
