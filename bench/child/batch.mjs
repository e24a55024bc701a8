// One batch of upscales against the mock API (running in ANOTHER process), in one of three ways:
//   pkg    client.upscaleMany(requests, { concurrency, pollIntervalMs })
//   pool   plain JS written by hand: `concurrency` workers, each POST (429: wait 1 s, again)
//          then poll every pollIntervalMs (bench/baseline/plain.mjs's client)
//   naive  Promise.allSettled(requests.map(r => client.upscaleAndWait(r))): no capacity limit
// Prints one JSON line: wall time, outcomes, and the job times the provider reported.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, baseUrl] = process.argv.slice(2);
const { BENCH_PKG: PKG, BENCH_PLAIN: PLAIN, BENCH_SOURCES } = process.env;
const ITEMS = Number(process.env.BENCH_ITEMS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 500);
const token = 'user:12345-sandbox';

const sources = BENCH_SOURCES.split(',');
const requests = Array.from({ length: ITEMS }, (_, i) => ({ jobid: sources[i % sources.length], imageIndex: i % 4 }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runPkg() {
  const { DreaminaClient } = await import(pathToFileURL(path.join(PKG, 'node.mjs')).href);
  const client = new DreaminaClient({ token, baseUrl });
  const results = await client.upscaleMany(requests, { concurrency: CONCURRENCY, pollIntervalMs: POLL_MS });
  return results.map((r) => (r.status === 'fulfilled' ? { job: r.value } : { error: r.reason.kind }));
}

async function runPool() {
  const { createClient } = await import(pathToFileURL(PLAIN).href);
  const client = createClient({ token, baseUrl });
  const out = new Array(requests.length);
  let next = 0;
  async function worker() {
    while (next < requests.length) {
      const i = next++;
      try {
        let created;
        for (;;) {
          try { created = await client.upscale(requests[i]); break; } catch (e) {
            if (e.status !== 429) throw e;
            await sleep(1000);
          }
        }
        out[i] = { job: await client.waitForJob(created.jobid, { intervalMs: POLL_MS }) };
      } catch (e) {
        out[i] = { error: `HTTP ${e.status}` };
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

async function runNaive() {
  const { DreaminaClient } = await import(pathToFileURL(path.join(PKG, 'node.mjs')).href);
  const client = new DreaminaClient({ token, baseUrl });
  const results = await Promise.allSettled(requests.map((r) => client.upscaleAndWait(r, { pollIntervalMs: POLL_MS })));
  return results.map((r) => (r.status === 'fulfilled' ? { job: r.value } : { error: r.reason.kind }));
}

const t0 = performance.now();
const outcomes = await { pkg: runPkg, pool: runPool, naive: runNaive }[mode]();
const wallMs = performance.now() - t0;
const done = outcomes.filter((o) => o.job?.status === 'completed');
const errors = {};
for (const o of outcomes) if (o.error) errors[o.error] = (errors[o.error] ?? 0) + 1;
const jobMs = done.map((o) => Date.parse(o.job.updated) - Date.parse(o.job.created));
console.log(JSON.stringify({ mode, items: ITEMS, wallMs, completed: done.length, errors, jobMsMean: jobMs.reduce((a, b) => a + b, 0) / (jobMs.length || 1) }));
