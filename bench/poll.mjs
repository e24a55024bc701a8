// Figure 4: polling. The REAL client runs on a simulated clock (bench/child/poll.mjs) for the
// default schedule (upscaleAndWait, and upscale + waitForJob) and fixed 10 s / 20 s; then a
// re-implementation of the same arithmetic, checked to give exactly the real client's figures,
// searches alternative schedules.
import path from 'node:path';
import { BENCH, PKG, mean, quantile, rng, runJson, sorted } from './lib.mjs';

const CHILD = path.join(BENCH, 'child/poll.mjs');
export const JOBS = 10_000;
export const SEED = 42;
const MIN_GAP_MS = 2_000; // the project's rule: never poll more often than every 2 s by default

function stats(requests, lagMs) {
  const lag = sorted(lagMs);
  return {
    requestsPerJob: mean(requests),
    requestsP95: quantile(requests, 0.95),
    lagMeanS: mean(lagMs) / 1000,
    lagP95S: quantile(lag, 0.95) / 1000,
    lagMaxS: lag[lag.length - 1] / 1000,
  };
}

/** The finish times the child draws: same PRNG, same seed, same order (one draw per POST). */
function finishTimes(n = JOBS, seed = SEED) {
  const r = rng(seed);
  return Array.from({ length: n }, () => 15_000 + r() * 105_000);
}

/** The first poll at or after `f` under `delays` (the last delay repeats): [polls, time]. */
function detect(delays, f) {
  let t = 0;
  const last = delays.length - 1;
  for (let i = 0; i < last; i++) {
    t += delays[i];
    if (t >= f) return [i + 1, t];
  }
  // The repeating tail in closed form (the grid search runs thousands of schedules).
  const k = Math.max(1, Math.ceil((f - t) / delays[last]));
  return [last + k, t + k * delays[last]];
}

/** Requests and lag for every job under `delays` (the first delay is POST → first GET). */
export function simulate(delays, finishes = finishTimes()) {
  const requests = [];
  const lagMs = [];
  for (const f of finishes) {
    const [n, t] = detect(delays, f);
    requests.push(n);
    lagMs.push(t - f);
  }
  return stats(requests, lagMs);
}

/** Grid search over "first poll at A s, then every B s": the lowest mean lag with no more
 * requests per job than `budget`, the first poll by `maxFirstS` and no lag over `maxLagS`. */
function search(finishes, budget, { maxFirstS = Infinity, maxLagS = Infinity } = {}) {
  let best;
  for (let first = 2; first <= Math.min(30, maxFirstS); first += 1) {
    for (let every = MIN_GAP_MS / 1000; every <= 20; every += 0.25) {
      const s = simulate([first * 1000, every * 1000], finishes);
      if (s.requestsPerJob > budget || s.lagMaxS > maxLagS) continue;
      if (!best || s.lagMeanS < best.lagMeanS - 1e-9) best = { delaysMs: [first * 1000, every * 1000], ...s };
    }
  }
  return best;
}

export async function runPoll() {
  const env = { BENCH_PKG: PKG, BENCH_DIR: BENCH };
  const real = {};
  for (const sched of ['default', 'fixed:10000', 'fixed:20000', 'wait-default']) {
    const r = await runJson([CHILD, sched, String(JOBS), String(SEED)], { env, timeoutMs: 180_000 });
    if (r.jobs !== JOBS) throw new Error(`${sched}: ${r.jobs} of ${JOBS} jobs resolved`);
    real[sched] = { ...stats(r.requests, r.lagMs), firstJobPollTimesS: r.firstJobPollTimesS.slice(0, 8), firstJobFinishS: r.firstJobFinishS };
  }
  const finishes = finishTimes();
  // The schedules the real client follows, per poll::DEFAULT_SCHEDULE_MS = [25, 7.5] s:
  // upscaleAndWait sleeps 25 s after the POST, then polls every 7.5 s; waitForJob (called right
  // after upscale here) looks at once, then 25 s later, then every 7.5 s.
  const observed = { default: [25_000, 7_500], 'wait-default': [0, 25_000, 7_500] };
  const check = (name, delays) => {
    const s = simulate(delays, finishes);
    const ok = Math.abs(s.requestsPerJob - real[name].requestsPerJob) < 1e-9 && Math.abs(s.lagMeanS - real[name].lagMeanS) < 1e-6;
    return { schedule: name, delaysMs: delays, reproduces: ok };
  };
  const validation = [check('default', observed.default), check('wait-default', observed['wait-default']),
    check('fixed:10000', [10_000]), check('fixed:20000', [20_000])];
  const budget = real['fixed:10000'].requestsPerJob;
  const alternatives = [
    { name: 'documented default (poll::DEFAULT_SCHEDULE_MS): first poll at 25 s, then every 7.5 s', delaysMs: [25_000, 7_500] },
    { name: 'previous default: 3, 5, 8, then 10 s', delaysMs: [3_000, 5_000, 8_000, 10_000] },
    { name: 'first poll at 15 s, then every 10 s', delaysMs: [15_000, 10_000] },
    { name: 'first poll at 10 s, then every 9 s', delaysMs: [10_000, 9_000] },
    { name: 'first poll at 24 s, then every 8 s', delaysMs: [24_000, 8_000] },
    { name: 'every 5 s', delaysMs: [5_000] },
  ].map((a) => ({ ...a, ...simulate(a.delaysMs, finishes) }));
  const f10max = real['fixed:10000'].lagMaxS + 1e-6;
  const best = search(finishes, budget);
  const recommended = search(finishes, budget, { maxLagS: f10max });
  const bestEarly = search(finishes, budget, { maxFirstS: 10, maxLagS: f10max });
  const d = real.default;
  const f10 = real['fixed:10000'];
  return {
    model: `${JOBS} jobs, finish times uniform in 15–120 s after the POST (seed ${SEED}); the fake API answers instantly; requests = GETs per job (the POST not counted)`,
    real,
    validation,
    alternatives,
    search: [
      { rule: `best: lowest mean lag, GETs/job ≤ fixed 10 s (${budget.toFixed(3)})`, ...best },
      { rule: 'recommended: same, and no job waits longer than with fixed 10 s', ...recommended },
      { rule: 'same, with the first poll by 10 s', ...bestEarly },
    ],
    target: {
      what: 'default schedule: lower mean detection lag than fixed 10 s polling, with no more requests per job',
      value: { lagMeanS: d.lagMeanS, requestsPerJob: d.requestsPerJob },
      baseline: { lagMeanS: f10.lagMeanS, requestsPerJob: f10.requestsPerJob },
      met: d.lagMeanS < f10.lagMeanS && d.requestsPerJob <= f10.requestsPerJob,
    },
  };
}
