// Figure 2: start-up. Cold = a fresh `node` per sample (import → first client constructed);
// warm = re-instantiating a module inside one process, for each of the two wasm builds (edge:
// what node.mjs/workerd.mjs load; client: what browser.mjs loads). Samples of the package, the plain-JS
// baseline and an empty process are interleaved so machine drift hits all of them alike.
import path from 'node:path';
import { BENCH, PKG, runJson, summary, verdict } from './lib.mjs';

const CHILD = path.join(BENCH, 'child/startup.mjs');
export const TARGET_COLD_MS = 8;
const env = { BENCH_PKG: PKG, BENCH_PLAIN: path.join(BENCH, 'baseline/plain.mjs') };

export async function runStartup({ coldSamples = 40, warmSamples = 150 } = {}) {
  const modes = ['cold-pkg', 'cold-plain', 'cold-empty'];
  const cold = Object.fromEntries(modes.map((m) => [m, { importToReadyMs: [], processToReadyMs: [], wallMs: [] }]));
  for (const m of modes) await runJson([CHILD, m], { env }); // warm the OS file cache
  for (let i = 0; i < coldSamples; i++) {
    const order = i % 2 ? modes : [...modes].reverse();
    for (const m of order) {
      const t = performance.now();
      const r = await runJson([CHILD, m], { env });
      cold[m].wallMs.push(performance.now() - t);
      cold[m].importToReadyMs.push(r.importToReadyMs);
      cold[m].processToReadyMs.push(r.processToReadyMs);
    }
  }
  const stats = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, summary(v)]));
  const warm = {};
  for (const build of ['edge', 'client']) warm[build] = stats(await runJson([CHILD, 'warm', String(warmSamples), build], { env }));
  const coldStats = Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, stats(v)]));
  const { median, p75 } = coldStats['cold-pkg'].importToReadyMs;
  const judged = verdict(TARGET_COLD_MS, median, p75);
  return {
    cold: coldStats,
    warm,
    target: {
      what: 'Node cold start, import → ready (node entry, edge build), median and upper quartile at most 8 ms',
      limit: TARGET_COLD_MS,
      value: median,
      upper: p75,
      verdict: judged,
      met: judged === 'met',
    },
  };
}
