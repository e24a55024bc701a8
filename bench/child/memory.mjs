// Memory after N sequential getJob calls against the mock API (another process). Run with
// --expose-gc. Modes: pkg | plain. Prints one JSON line with checkpoints.
//
// Each client first makes BENCH_WARMUP calls (the same number for both; `warmup` points are
// taken during them, counted from process start), then a full GC, then the `points`, counted
// from the end of the warm-up. Why: over its first ~2,000 calls a process's JS heap grows by
// ~0.7-1.2 MiB that is not retained per call but is V8 warming up — optimized code and its
// metadata (deopt data, relocation info, source positions, code dependencies), undici's timer
// list and the 250-entry resource-timing buffer of fetch. The package has more JS (its glue) to
// optimize than plain JS, so judging growth from call 100 of a fresh process charged it ~400 KiB
// of JIT warm-up. Heap snapshots at 100, 2,000, 10,000 and 20,000 calls show no object kind whose
// count grows with calls (closures, promises, FinalizationRegistry cells, Request/Response/
// Headers/AbortController, DreaminaClient all constant).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildOfEntry } from '../lib.mjs';

const [who, baseUrl] = process.argv.slice(2);
const { BENCH_PKG: PKG, BENCH_PLAIN: PLAIN, BENCH_JOBID: JOBID } = process.env;
const CHECKPOINTS = [100, 1000, 2000, 5000, 10000, 15000, 20000];
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0);
const WARMUP_CHECKPOINTS = [100, 1000, 2000, 5000].filter((n) => n <= WARMUP);
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

function sample(calls) {
  const m = process.memoryUsage();
  return {
    calls,
    heapUsed: m.heapUsed,
    external: m.external,
    rss: m.rss,
    wasmMemory: wasmMemory?.buffer.byteLength ?? null,
    externrefTable: externrefs?.length ?? null,
  };
}

/** `calls` more calls, with a sample (after a full GC) at each of `checkpoints`. */
async function run(calls, checkpoints) {
  const out = [];
  let done = 0;
  for (const n of checkpoints) {
    for (; done < n; done++) await call();
    await fullGc();
    out.push(sample(n));
  }
  for (; done < calls; done++) await call();
  await fullGc();
  return out;
}

const warmup = await run(WARMUP, WARMUP_CHECKPOINTS);
const points = await run(CHECKPOINTS.at(-1), CHECKPOINTS);
console.log(JSON.stringify({ who, warmupCalls: WARMUP, warmup, points }));
