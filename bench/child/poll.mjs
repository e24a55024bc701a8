// Polling on a simulated clock: the REAL client (upscaleAndWait / waitForJob) runs against a
// fake `fetch`, with globalThis.setTimeout/clearTimeout and Date.now replaced by a virtual
// clock, so 10,000 jobs of 15–120 s take seconds and no real waiting.
//   node poll.mjs <schedule> <jobs> <seed>   schedule: default | fixed:<ms> | wait-default
// Prints one JSON line: per-job GET count and detection lag (finish → promise resolved), plus
// the poll times of the first job (the schedule actually observed).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [schedule, jobsArg, seedArg] = process.argv.slice(2);
const JOBS = Number(jobsArg);
const { BENCH_PKG: PKG } = process.env;
const { rng } = await import(pathToFileURL(path.join(process.env.BENCH_DIR, 'lib.mjs')).href);

// ---- the virtual clock -------------------------------------------------------------------
const realSetImmediate = globalThis.setImmediate;
const START = Date.UTC(2026, 0, 1);
let now = START;
let seq = 0;
const live = new Map(); // id → timer; cleared timers are dropped here and skipped when popped
const heap = [];
const less = (a, b) => a.at < b.at || (a.at === b.at && a.id < b.id);
function push(t) {
  heap.push(t);
  for (let i = heap.length - 1; i > 0;) {
    const p = (i - 1) >> 1;
    if (!less(heap[i], heap[p])) break;
    [heap[i], heap[p]] = [heap[p], heap[i]];
    i = p;
  }
}
function pop() {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length) {
    heap[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  return top;
}
globalThis.setTimeout = (fn, ms = 0, ...args) => {
  const t = { id: ++seq, at: now + Math.max(0, Number(ms) || 0), fn, args };
  live.set(t.id, t);
  push(t);
  return t.id;
};
globalThis.clearTimeout = (id) => void live.delete(id);
Date.now = () => now;

/** Lets every promise chain that can run at the current virtual instant run. */
const settle = () => new Promise((r) => realSetImmediate(r));

// ---- the fake API ------------------------------------------------------------------------
const random = rng(Number(seedArg));
const finishAt = new Map(); // upscale jobid → virtual finish time
const gets = new Map(); // upscale jobid → GET count
const firstPolls = []; // virtual times (s) of the first job's GETs: the schedule as observed
let firstJob;
let created = 0;

const reply = (obj) => new Response(JSON.stringify(obj), { status: 200, headers: { 'content-type': 'application/json' } });
async function fakeFetch(url, init) {
  if (init.method === 'POST') {
    const jobid = `j0101000000000${String(created++).padStart(6, '0')}I-u1-US:bench@example.com:dreamina`;
    finishAt.set(jobid, now + 15_000 + random() * 105_000);
    gets.set(jobid, 0);
    firstJob ??= jobid;
    return reply({ jobid, type: 'upscale', status: 'created', code: 200 });
  }
  const jobid = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
  gets.set(jobid, gets.get(jobid) + 1);
  if (jobid === firstJob) firstPolls.push((now - START) / 1000);
  const done = now >= finishAt.get(jobid);
  return reply({ jobid, type: 'upscale', status: done ? 'completed' : 'created', code: 200 });
}

// ---- run ---------------------------------------------------------------------------------
const { DreaminaClient } = await import(pathToFileURL(path.join(PKG, 'node.mjs')).href);
const client = new DreaminaClient({ token: 'user:12345-sandbox', fetch: fakeFetch });
const opts = schedule.startsWith('fixed:') ? { pollIntervalMs: Number(schedule.slice(6)) } : {};
const request = { jobid: 'j0101000000000000001i-u1-US:bench@example.com:dreamina' };

const results = [];
let pending = JOBS;
let failures = 0;
for (let k = 0; k < JOBS; k++) {
  const p = schedule === 'wait-default'
    ? client.upscale(request).then((job) => client.waitForJob(job.jobid, opts))
    : client.upscaleAndWait(request, opts);
  p.then((job) => results.push({ jobid: job.jobid, resolvedAt: now }), () => failures++)
    .finally(() => pending--);
}
let steps = 0;
while (pending > 0) {
  await settle();
  if (pending === 0) break;
  let t;
  do t = heap.length ? pop() : undefined; while (t && !live.has(t.id));
  if (!t) throw new Error(`stalled with ${pending} jobs pending and no timer`);
  live.delete(t.id);
  now = Math.max(now, t.at);
  t.fn(...t.args);
  steps++;
}
if (failures) throw new Error(`${failures} waits failed`);

const requests = [];
const lagMs = [];
for (const r of results) {
  requests.push(gets.get(r.jobid));
  lagMs.push(r.resolvedAt - finishAt.get(r.jobid));
}
console.log(JSON.stringify({ schedule, jobs: results.length, steps, requests, lagMs, firstJobPollTimesS: firstPolls, firstJobFinishS: (finishAt.get(firstJob) - START) / 1000 }));
