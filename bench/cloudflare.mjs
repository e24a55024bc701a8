// The Cloudflare batch Worker (examples/cloudflare-batch) under load, locally in workerd with a
// real Queue and Durable Object, against the mock API: one batch of N items with short mock jobs.
// Figures: wall time from the 202 to the last item done, throughput, and both against the
// capacity bound (items / MAX_JOBS × job time: no scheduler can beat it). Returns figures only:
// bench/run.mjs stores them in bench/results.json and bench/report.mjs renders renderSection().
// The Worker is bundled (wrangler) against a built package folder by path, never through
// node_modules/dreamina-upscale: run.mjs passes its snapshot of pkg/ (the package every other
// figure of the run measured), alone this script takes pkg/. (`npm ci`, which scripts/setup.sh
// runs when package.json changes, removes the node_modules link; the bench used to fail then.)
//   node bench/cloudflare.mjs [--items 2000] [--max-jobs 10] [--job-ms 500] [--var NAME=VALUE]...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBatchStack, requests, waitFor, allItems } from '../examples/cloudflare-batch/tests/harness.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const BUILT_PKG = path.resolve(BENCH, '../pkg');

/** Runs one batch; returns its figures. */
export async function measure({ items = 2000, maxJobs = 10, jobMs = 500, vars = {}, pkgDir = BUILT_PKG } = {}) {
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) throw new Error(`${pkgDir}: no built package (run scripts/build.sh)`);
  const st = await startBatchStack({
    pkgDir,
    completeAfterMs: jobMs,
    mockOptions: { capacity: maxJobs },
    // The operator sets EXPECTED_JOB_MS to the typical job time; the ledger then learns it.
    vars: { MAX_JOBS: String(maxJobs), EXPECTED_JOB_MS: String(jobMs), POLL_AFTER_MS: String(Math.max(10 * jobMs, 5000)), ...vars },
  });
  try {
    const load0 = os.loadavg()[0];
    const t0 = performance.now();
    const posted = await st.api('POST', '/batches', { items: requests(items) });
    if (posted.status !== 202) throw new Error(`POST /batches: ${posted.status} ${posted.text}`);
    const t202 = performance.now();
    const done = await waitFor(st.api, posted.json.id, (s) => s.queued === 0 && s.running === 0, 30 * 60_000, 200);
    const wallMs = performance.now() - t202;
    const all = await allItems(st.api, posted.json.id);
    const stats = (await st.api('GET', '/__test/stats')).json;
    const boundMs = (items / maxJobs) * jobMs;
    const posts = st.mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/images/upscale')).length;
    return {
      items, maxJobs, jobMs,
      acceptMs: Math.round(t202 - t0),
      wallMs: Math.round(wallMs),
      boundMs,
      efficiency: boundMs / wallMs,
      throughput: items / (wallMs / 1000),
      boundThroughput: maxJobs / (jobMs / 1000),
      completed: done.completed, failed: done.failed, unknown: done.unknown,
      distinctJobids: new Set(all.items.map((i) => i.jobid).filter(Boolean)).size,
      jobsCreated: st.mock.jobsCreated(), posts, mostRunning: st.mock.maxRunning(),
      deliveries: Object.values(stats.deliveries).reduce((a, b) => a + b, 0),
      slotEstimateMs: stats.slotMs,
      webhooksForwarded: st.relay.forwarded.length,
      loadAverage: [Number(load0.toFixed(2)), Number(os.loadavg()[0].toFixed(2))],
    };
  } finally {
    await st.close();
  }
}

/** The markdown of these figures (bench/report.mjs); `when`: the date they were measured. */
export function renderSection(r, when) {
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  return `One batch of ${r.items.toLocaleString('en')} upscales through a real Queue and a real SQLite Durable Object, against
the mock API (each job ${r.jobMs} ms; the mock refuses more than ${r.maxJobs} at once), MAX_JOBS=${r.maxJobs}. The
capacity bound is items / MAX_JOBS × job time: no scheduler can finish sooner. Run ${when ?? '–'}, load
average ${r.loadAverage.join(' → ')}. One batch per run, so each figure is one value: no spread.

| figure | value |
|---|---|
| POST /batches → 202 (validate + store + enqueue ${r.items.toLocaleString('en')}) | ${r.acceptMs} ms |
| wall time, 202 → last item done | **${(r.wallMs / 1000).toFixed(1)} s** |
| capacity bound (${r.items} / ${r.maxJobs} × ${r.jobMs} ms) | ${(r.boundMs / 1000).toFixed(1)} s |
| throughput | **${r.throughput.toFixed(1)} items/s** (bound ${r.boundThroughput.toFixed(1)}/s: ${pct(r.efficiency)} of it) |
| completed / failed / unknown | ${r.completed} / ${r.failed} / ${r.unknown} |
| jobs created / POSTs / distinct job ids | ${r.jobsCreated} / ${r.posts} / ${r.distinctJobids} |
| most running at once (mock) | ${r.mostRunning} (MAX_JOBS ${r.maxJobs}) |
| queue deliveries (incl. retries for capacity) | ${r.deliveries} (${(r.deliveries / r.items).toFixed(2)} per item) |
| slot time learned by the ledger | ${r.slotEstimateMs} ms (job ${r.jobMs} ms + webhook round trip) |`;
}

/** The bench/run.mjs hook: measures and returns the figures (it writes nothing). */
export const runCloudflare = (opts) => measure(opts);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
  const vars = Object.fromEntries(process.argv.flatMap((a, i) => (process.argv[i - 1] === '--var' ? [a.split('=')] : [])));
  const r = await runCloudflare({ items: arg('--items', 2000), maxJobs: arg('--max-jobs', 10), jobMs: arg('--job-ms', 500), vars });
  console.log(JSON.stringify(r, null, 2));
}
