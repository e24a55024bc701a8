// The Cloudflare batch Worker (examples/cloudflare-batch) under load, locally in workerd with a
// real Queue, Durable Object and R2 bucket, against the mock API, WITH ITS DEFAULT SETTINGS (only
// MAX_JOBS set, as every deployment sets it): one batch per mean job time (1 s, 5 s, 30 s), each
// beside its capacity bound (items / MAX_JOBS × job time: no scheduler can beat it). The Worker is
// told nothing about job times; it has to learn them. Returns figures only: bench/run.mjs stores
// them in bench/results.json and bench/report.mjs renders renderSection().
// The Worker is bundled (wrangler) against a built package folder by path, never through
// node_modules/dreamina-upscale: run.mjs passes its snapshot of pkg/ (the package every other
// figure of the run measured), alone this script takes pkg/. (`npm ci`, which scripts/setup.sh
// runs when package.json changes, removes the node_modules link; the bench used to fail then.)
//   node bench/cloudflare.mjs [--job-ms 1000 --items 60 --max-jobs 4] [--var NAME=VALUE]...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBatchStack, waitFor, allItems, SEEDED } from '../examples/cloudflare-batch/tests/harness.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const BUILT_PKG = path.resolve(BENCH, '../pkg');

/** The rows: mean job times from quick upscales to slow generations, each with a bound of 15-120 s. */
export const ROWS = [
  { jobMs: 1_000, items: 60, maxJobs: 4 },
  { jobMs: 5_000, items: 60, maxJobs: 10 },
  { jobMs: 30_000, items: 40, maxJobs: 10 },
];

// Every item the same 2k upscale (a 2048×1536 picture): drawing one costs about a second of CPU
// (the harness's proxy has it drawn by a mock in a child process, once, and keeps it), so one
// warm-up item draws it before the clock starts and no drawing competes with the run for the CPU.
const ITEM = { jobid: SEEDED.wide, imageIndex: 0, upscaleResolution: '2k' };

/** Runs one batch with the default settings (plus MAX_JOBS and `vars`); returns its figures. */
export async function measure({ items = 60, maxJobs = 4, jobMs = 1_000, vars = {}, pkgDir = BUILT_PKG } = {}) {
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) throw new Error(`${pkgDir}: no built package (run scripts/build.sh)`);
  const st = await startBatchStack({ pkgDir, completeAfterMs: jobMs, mockOptions: { capacity: maxJobs }, vars: { MAX_JOBS: String(maxJobs), ...vars } });
  const settled = (s) => s.queued === 0 && s.running === 0;
  try {
    // Warm-up (not timed): the isolate, the Durable Object, the picture. It also gives the ledger
    // its first job time, as any earlier batch on a deployed Worker would.
    const warm = await st.api('POST', '/batches', { items: [ITEM] });
    await waitFor(st.api, warm.json.id, (s) => settled(s) && s.storage.pending === 0, 10 * jobMs + 30_000, 100);
    const load0 = os.loadavg()[0];
    const t0 = performance.now();
    const posted = await st.api('POST', '/batches', { items: Array(items).fill(ITEM) });
    if (posted.status !== 202) throw new Error(`POST /batches: ${posted.status} ${posted.text}`);
    const t202 = performance.now();
    const done = await waitFor(st.api, posted.json.id, settled, 30 * 60_000, 100);
    const wallMs = performance.now() - t202;
    const kept = await waitFor(st.api, posted.json.id, (s) => s.storage.pending === 0, 10 * 60_000, 100);
    const storedMs = performance.now() - t202;
    const all = await allItems(st.api, posted.json.id);
    const stats = (await st.api('GET', '/__test/stats')).json;
    const boundMs = (items / maxJobs) * jobMs;
    const posts = st.mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/images/upscale')).length;
    return {
      items, maxJobs, jobMs, settings: { MAX_JOBS: maxJobs, ...vars },
      acceptMs: Math.round(t202 - t0),
      wallMs: Math.round(wallMs),
      boundMs,
      ratio: wallMs / boundMs,
      throughput: items / (wallMs / 1000),
      boundThroughput: maxJobs / (jobMs / 1000),
      storedMs: Math.round(storedMs), pictures: kept.storage.stored, pictureFailures: kept.storage.failed,
      completed: done.completed, failed: done.failed, unknown: done.unknown,
      distinctJobids: new Set(all.items.map((i) => i.jobid).filter(Boolean)).size,
      jobsCreated: st.mock.jobsCreated() - 1, posts: posts - 1, mostRunning: st.mock.maxRunning(),
      deliveries: Object.entries(stats.deliveries).filter(([k]) => k.startsWith(posted.json.id)).reduce((a, [, n]) => a + n, 0),
      jobTimeLearnedMs: stats.jobMs,
      loadAverage: [Number(load0.toFixed(2)), Number(os.loadavg()[0].toFixed(2))],
    };
  } finally {
    await st.close();
  }
}

/** The markdown of these figures (bench/report.mjs); `when`: the date they were measured. */
export function renderSection(fig, when) {
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  if (!Array.isArray(fig.rows)) {
    return 'The stored figure is from the earlier one-batch layout (2,000 items with `EXPECTED_JOB_MS` set to the job time); `npm run bench -- --only cloudflare` measures the rows by job time.';
  }
  const rows = fig.rows.map((r) => `| ${s(r.jobMs)} | ${r.items} | ${r.maxJobs} | ${s(r.boundMs)} | **${s(r.wallMs)}** | **${r.ratio.toFixed(2)}×** | ${r.completed} / ${r.failed} / ${r.unknown} | ${r.jobsCreated} / ${r.posts} | ${r.mostRunning} | ${(r.deliveries / r.items).toFixed(2)} | ${r.pictures} (${s(r.storedMs)}) | ${s(r.jobTimeLearnedMs ?? 0)} | ${r.loadAverage.join(' → ')} |`);
  return `One batch per mean job time through a real Queue, a real SQLite Durable Object and a local R2
bucket, against the mock API (which refuses more than MAX_JOBS jobs at once), with the Worker's
**default settings**: only MAX_JOBS is set; nothing tells it the job time. The capacity bound is
items / MAX_JOBS × job time: no scheduler can finish sooner; the target is at most 1.15× of it.
Wall time runs from the 202 to the last job done; the pictures (each downloaded from the mock and
stored in R2) may finish a little later. Run ${when ?? '–'}. One batch per row and run, so each figure is one value: no spread.

| mean job | items | MAX_JOBS | capacity bound | wall time | × bound | completed / failed / unknown | jobs created / POSTs | most running (mock) | deliveries per item | pictures stored (by) | job time learned | load average |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}`;
}

/** The bench/run.mjs hook: measures every row and returns {rows} (it writes nothing). */
export async function runCloudflare({ rows = ROWS, vars = {}, pkgDir = BUILT_PKG } = {}) {
  const fig = { rows: [] };
  for (const row of rows) fig.rows.push(await measure({ ...row, vars, pkgDir }));
  return fig;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const has = (name) => process.argv.includes(name);
  const arg = (name, dflt) => (has(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
  const vars = Object.fromEntries(process.argv.flatMap((a, i) => (process.argv[i - 1] === '--var' ? [a.split('=')] : [])));
  const rows = has('--job-ms') ? [{ jobMs: arg('--job-ms'), items: arg('--items', 60), maxJobs: arg('--max-jobs', 4) }] : ROWS;
  const fig = has('--job-ms') ? { rows: [await measure({ ...rows[0], vars })] } : await runCloudflare({ rows, vars });
  console.log(JSON.stringify(fig, null, 2));
}
