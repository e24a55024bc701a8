// Figure 5: wasm linear memory and JS heap (after forced GC) after 100 … 10,000 getJob calls,
// package vs plain-JS baseline, each in a fresh `node --expose-gc` process.
import path from 'node:path';
import { BENCH, PKG, runJson, startMockProcess } from './lib.mjs';
import { SEEDED } from '../tests/mock/server.mjs';

const CHILD = path.join(BENCH, 'child/memory.mjs');
/** JS heap noise allowed between 100 and 10,000 calls (V8 heap after GC wobbles by ~100s of KB). */
export const HEAP_NOISE_BYTES = 512 * 1024;

export async function runMemory() {
  const mock = await startMockProcess();
  const env = { BENCH_PKG: PKG, BENCH_PLAIN: path.join(BENCH, 'baseline/plain.mjs'), BENCH_JOBID: SEEDED.square };
  try {
    const out = {};
    for (const who of ['pkg', 'plain']) {
      await mock.reset();
      out[who] = (await runJson(['--expose-gc', CHILD, who, mock.baseUrl], { env, timeoutMs: 240_000 })).points;
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
    };
    // V8 warms up (JIT code, fetch's connection pool) over the first ~2,000 calls whatever the
    // client, so the JS heap is judged against the baseline's warm-up and by its slope after it.
    const met = growth.pkgWasm100to20k === 0 && growth.pkgExternrefs100to20k === 0 &&
      growth.pkgHeap10kto20k <= HEAP_NOISE_BYTES &&
      growth.pkgHeap100to10k <= Math.max(2 * HEAP_NOISE_BYTES, growth.plainHeap100to10k);
    return {
      ...out,
      growth,
      target: {
        what: `no growth beyond noise: wasm memory and externref table unchanged from 100 to 20,000 calls; JS heap 100→10,000 no more than max(1 MiB, the baseline's), and 10,000→20,000 within ${HEAP_NOISE_BYTES / 1024} KiB`,
        met,
      },
    };
  } finally {
    await mock.close();
  }
}
