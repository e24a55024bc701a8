// Memory after N sequential getJob calls against the mock API (another process). Run with
// --expose-gc. Modes: pkg | plain. Prints one JSON line with checkpoints.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildOfEntry } from '../lib.mjs';

const [who, baseUrl] = process.argv.slice(2);
const { BENCH_PKG: PKG, BENCH_PLAIN: PLAIN, BENCH_JOBID: JOBID } = process.env;
const CHECKPOINTS = [100, 1000, 2000, 5000, 10000, 15000, 20000];
const token = 'user:12345-sandbox';

let call, wasmMemory, externrefs;
if (who === 'pkg') {
  const { DreaminaClient } = await import(pathToFileURL(path.join(PKG, 'node.mjs')).href);
  // initSync on an initialized glue returns the instance's exports: the linear memory. It must
  // be the glue node.mjs itself loaded (the edge build), or this reads another instance.
  const { initSync } = await import(pathToFileURL(path.join(PKG, buildOfEntry('node.mjs', PKG).glue)).href);
  const exports = initSync();
  wasmMemory = exports.memory;
  externrefs = exports.__wbindgen_externrefs;
  const c = new DreaminaClient({ token, baseUrl });
  call = () => c.getJob(JOBID);
} else {
  const { createClient } = await import(pathToFileURL(PLAIN).href);
  const c = createClient({ token, baseUrl });
  call = () => c.getJob(JOBID);
}

async function fullGc() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r)); // let finalizers and weak callbacks run
  }
}

const points = [];
let done = 0;
for (const n of CHECKPOINTS) {
  for (; done < n; done++) await call();
  await fullGc();
  const m = process.memoryUsage();
  points.push({
    calls: n,
    heapUsed: m.heapUsed,
    external: m.external,
    rss: m.rss,
    wasmMemory: wasmMemory?.buffer.byteLength ?? null,
    externrefTable: externrefs?.length ?? null,
  });
}
console.log(JSON.stringify({ who, points }));
