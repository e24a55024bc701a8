// Figure 6: a batch. 200 upscales against the mock with the provider's capacity enforced
// (maxJobs 10: a POST while 10 jobs run answers 429) and job times drawn 1–3 s (real clock):
// the package's upscaleMany against a hand-written plain-JS worker pool, and against the naive
// Promise.all a user writes first. Wall time against the ideal (items / capacity × mean job
// time), GETs per job, 429s, and the most jobs the mock ever had running.
import path from 'node:path';
import { BENCH, PKG, runJson, startMockProcess } from './lib.mjs';
import { SEEDED } from '../tests/mock/server.mjs';

const CHILD = path.join(BENCH, 'child/batch.mjs');
export const ITEMS = 200;
export const CAPACITY = 10;
export const JOB_MS = '1000-3000';
export const POLL_MS = 500;

const MODES = [
  ['pkg', `package: upscaleMany(requests, { concurrency: ${CAPACITY}, pollIntervalMs: ${POLL_MS} })`],
  ['pool', `baseline: plain JS pool of ${CAPACITY} workers (POST, 429 → wait 1 s; poll every ${POLL_MS} ms)`],
  ['naive', `naive: Promise.allSettled(200 × upscaleAndWait), no limit`],
];

export async function runBatch() {
  const mock = await startMockProcess(['--capacity', String(CAPACITY), '--complete-after-ms', JOB_MS, '--seed', '7']);
  const control = (route) => fetch(`${mock.url}/__mock/${route}`).then((r) => r.json());
  const rows = [];
  try {
    for (const [mode, label] of MODES) {
      await mock.reset(); // the same job-time draws for every mode (they follow the seed and job count)
      const env = {
        BENCH_PKG: PKG, BENCH_PLAIN: path.join(BENCH, 'baseline/plain.mjs'),
        BENCH_SOURCES: [SEEDED.square, SEEDED.wide].join(','), BENCH_ITEMS: String(ITEMS),
        BENCH_CONCURRENCY: String(CAPACITY), BENCH_POLL_MS: String(POLL_MS),
      };
      const r = await runJson([CHILD, mode, mock.baseUrl], { env, timeoutMs: 600_000 });
      const [state, log] = [await control('state'), await control('requests')];
      const requests = log.requests ?? log;
      const count = (method) => requests.filter((q) => q.method === method).length;
      rows.push({
        mode, label, ...r,
        jobsCreated: state.jobsCreated,
        peakRunning: state.maxRunning,
        posts: count('POST'),
        getsPerJob: count('GET') / Math.max(1, state.jobsCreated),
      });
    }
  } finally {
    await mock.close();
  }
  // The ideal: the capacity always full, every job seen done the moment it ends.
  const meanJobMs = rows.find((r) => r.mode === 'pkg').jobMsMean;
  for (const r of rows) r.idealMs = (ITEMS / CAPACITY) * meanJobMs;
  return { items: ITEMS, capacity: CAPACITY, jobTimeMs: JOB_MS, pollIntervalMs: POLL_MS, meanJobMs, rows };
}

/** The markdown of this figure (bench/report.mjs). */
export function renderBatch(b) {
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const head = ['run', 'completed', 'failed', 'jobs created', 'wall', 'ideal', 'wall / ideal', 'GETs / job', 'POSTs (429s)', 'peak running'];
  const rows = b.rows.map((r) => {
    const failed = Object.entries(r.errors).map(([k, n]) => `${n} ${k}`).join(', ') || '0';
    return [r.label, `${r.completed}/${r.items}`, failed, r.jobsCreated, `${f(r.wallMs / 1000)} s`, `${f(r.idealMs / 1000)} s`,
      f(r.wallMs / r.idealMs, 2), f(r.getsPerJob, 2), `${r.posts} (${r.posts - r.jobsCreated})`, r.peakRunning];
  });
  return [
    `${b.items} upscales, mock capacity ${b.capacity} (maxJobs: a POST while ${b.capacity} jobs run answers 429 and creates nothing), job times drawn ${b.jobTimeMs} ms (mean of the completed: ${f(b.meanJobMs, 0)} ms), real clock, mock in its own process. Ideal = ${b.items} / ${b.capacity} × mean job time: the capacity always full and every job seen done the moment it ends. Each run starts from a reset mock, so all draw the same job times. One run per mode: each figure is one value (no spread).`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
