// Figure 5: wasm linear memory and JS heap (after forced GC) after 100 … 20,000 getJob calls,
// package vs plain-JS baseline, each in a fresh `node --expose-gc` process, counted after the
// same WARMUP_CALLS-call warm-up for both (child/memory.mjs says why: V8's JIT warm-up, not
// calls' garbage, is what a fresh process's heap grows by at first, and it is larger for the
// client with more JS). The warm-up's own samples, from process start, are kept in the figures.
import path from 'node:path';
import { BENCH, PKG, runJson, startMockProcess } from './lib.mjs';
import { SEEDED } from '../tests/mock/server.mjs';

const CHILD = path.join(BENCH, 'child/memory.mjs');
/** JS heap noise allowed between 100 and 10,000 calls (V8 heap after GC wobbles by ~100s of KB). */
export const HEAP_NOISE_BYTES = 512 * 1024;
/** Calls each client makes before the first sample (the same for both). */
export const WARMUP_CALLS = 2000;

export async function runMemory() {
  const mock = await startMockProcess();
  const env = { BENCH_PKG: PKG, BENCH_PLAIN: path.join(BENCH, 'baseline/plain.mjs'), BENCH_JOBID: SEEDED.square, BENCH_WARMUP: String(WARMUP_CALLS) };
  try {
    const out = {};
    const warmup = {};
    for (const who of ['pkg', 'plain']) {
      await mock.reset();
      const r = await runJson(['--expose-gc', CHILD, who, mock.baseUrl], { env, timeoutMs: 240_000 });
      out[who] = r.points;
      warmup[who] = r.warmup;
    }
    const at = (pts, n) => pts.find((p) => p.calls === n);
    const grow = (pts, a, b, k = 'heapUsed') => at(pts, b)[k] - at(pts, a)[k];
    const growth = {
      pkgHeap100to10k: grow(out.pkg, 100, 10000),
      plainHeap100to10k: grow(out.plain, 100, 10000),
      pkgHeap10kto20k: grow(out.pkg, 10000, 20000),
      plainHeap10kto20k: grow(out.plain, 10000, 20000),
      pkgWasm100to10k: grow(out.pkg, 100, 10000, 'wasmMemory'),
      pkgWasm100to20k: grow(out.pkg, 100, 20000, 'wasmMemory'),
      pkgExternrefs100to20k: grow(out.pkg, 100, 20000, 'externrefTable'),
      // For the record, not judged: the warm-up itself, from process start.
      warmupPkgHeap100to2k: grow(warmup.pkg, 100, 2000),
      warmupPlainHeap100to2k: grow(warmup.plain, 100, 2000),
    };
    // After the same warm-up for both, V8 still optimizes a little more (mostly fetch's own code,
    // as much for plain JS as for the package), so the JS heap 100→10,000 is judged against the
    // baseline's, and by its slope 10,000→20,000.
    const met = growth.pkgWasm100to20k === 0 && growth.pkgExternrefs100to20k === 0 &&
      growth.pkgHeap10kto20k <= HEAP_NOISE_BYTES &&
      growth.pkgHeap100to10k <= Math.max(2 * HEAP_NOISE_BYTES, growth.plainHeap100to10k);
    return {
      ...out,
      warmupCalls: WARMUP_CALLS,
      warmup,
      growth,
      target: {
        what: `after the same ${WARMUP_CALLS.toLocaleString('en')}-call warm-up for both clients, no growth beyond noise: wasm memory and externref table unchanged from 100 to 20,000 calls; JS heap 100→10,000 no more than max(1 MiB, the baseline's), and 10,000→20,000 within ${HEAP_NOISE_BYTES / 1024} KiB`,
        met,
      },
    };
  } finally {
    await mock.close();
  }
}
