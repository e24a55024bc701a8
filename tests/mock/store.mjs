// The job store: the mock's state (jobs, request log, fault queue, webhook log, counters,
// config) and the rules of a job's life: admission under capacity, delay, what runs now.

import { prng } from './png.mjs';
import { given, delayRange, checkConfig } from './rules.mjs';
import { hash, statusOf } from './job.mjs';
import { seedJobs } from './seeds.mjs';
import { seedAccounts } from './accounts.mjs';
import { error } from './reply.mjs';
import { normaliseFault } from './faults.mjs';
import { scheduleWebhook } from './webhooks.mjs';

export const DEFAULT_TOKENS = ['user:12345-sandbox'];
export const DEFAULT_COMPLETE_AFTER_MS = 1500;
/** Jobs an account runs at once unless configured (`capacity`) or overridden by a request's maxJobs. */
export const DEFAULT_CAPACITY = 10;
/** Text of the 429 a POST gets when the account runs its maxJobs jobs already. */
export const CAPACITY_ERROR = 'Dreamina: all accounts at capacity (maxJobs jobs running), retry later';

/** A fresh store from startMock's options (throws a TypeError naming a bad config value). */
export function createStore(options = {}) {
  const initialConfig = checkConfig({
    completeAfterMs: DEFAULT_COMPLETE_AFTER_MS,
    tokens: [...DEFAULT_TOKENS],
    capacity: DEFAULT_CAPACITY,
    capacityRetryAfterSec: null,
    seed: 0,
    replyUrl: null,
  }, {
    completeAfterMs: options.completeAfterMs,
    tokens: options.tokens,
    capacity: options.capacity,
    capacityRetryAfterSec: options.capacityRetryAfterSec,
    seed: options.seed,
    replyUrl: options.replyUrl,
  });
  const state = {
    config: { ...initialConfig },
    jobs: seedJobs(),
    accounts: seedAccounts(),
    uploads: new Map(), // upload id -> {account, type, bytes, width, height, ...} (assets.mjs)
    requests: [],
    faults: [],
    webhooks: [],
    jobsCreated: 0,
    counter: 0,
    maxRunning: 0,
    active: new Set(), // created jobs that may still be running (pruned as they finish)
  };
  const timers = new Set(); // webhook + delay timers, cleared on reset/close

  const store = {
    state,
    /** Where this mock listens (set by startMock once it does); webhook bodies use it for image URLs. */
    url: '',

    /** setTimeout that is unref'd and tracked (cleared by reset and stopTimers). */
    later(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, Math.max(0, ms));
      t.unref();
      timers.add(t);
      return t;
    },
    forget(t) {
      clearTimeout(t);
      timers.delete(t);
    },
    stopTimers() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },

    addFault(rule) {
      for (const r of Array.isArray(rule) ? rule : [rule]) state.faults.push(normaliseFault(r));
      return state.faults.length;
    },
    clearFaults() {
      state.faults.length = 0;
    },
    /** Change the config (throws a TypeError naming a bad field); returns the new config. */
    setConfig(cfg = {}) {
      state.config = checkConfig(state.config, cfg);
      return { ...state.config };
    },
    reset() {
      store.stopTimers();
      state.config = { ...initialConfig, tokens: [...initialConfig.tokens] };
      state.jobs = seedJobs();
      state.accounts = seedAccounts();
      state.uploads.clear();
      state.requests.length = 0;
      state.faults.length = 0;
      state.webhooks.length = 0;
      state.jobsCreated = 0;
      state.counter = 0;
      state.maxRunning = 0;
      state.active.clear();
    },

    authorised(header) {
      const m = /^Bearer (.+)$/i.exec(header ?? '');
      return !!m && state.config.tokens.includes(m[1]);
    },

    /** Jobs running now (status "created"), of one account or of all. */
    running(account, now = Date.now()) {
      let n = 0;
      for (const job of state.active) {
        if (state.jobs.get(job.jobid) !== job || statusOf(job, now) !== 'created') {
          state.active.delete(job);
          continue;
        }
        if (account === undefined || job.account === account) n += 1;
      }
      return n;
    },

    /** The 429 for a POST when the account already runs its limit of jobs (request maxJobs first), or null. */
    atCapacity(body, account, now) {
      const limit = given(body.maxJobs) ? body.maxJobs : state.config.capacity;
      if (limit === null || store.running(account, now) < limit) return null;
      const after = state.config.capacityRetryAfterSec;
      return error(429, CAPACITY_ERROR, after === null ? {} : { 'Retry-After': String(after) });
    },

    /** Number the next job (its id's counter). */
    nextCounter() {
      state.counter += 1;
      return state.counter;
    },

    /** This job's completion delay: the request header, else the config (a range is drawn per job). */
    delayFor(req, counter) {
      const header = Number.parseInt(req.headers['x-mock-complete-after-ms'] ?? '', 10);
      if (Number.isFinite(header) && header >= 0) return header;
      const { min, max } = delayRange(state.config.completeAfterMs);
      if (min === max) return min;
      return min + Math.floor(prng(hash(`${state.config.seed}|${counter}`))() * (max - min + 1));
    },

    /** Register a created job: count it, track it as running, record the most ever running. */
    admit(job) {
      state.jobs.set(job.jobid, job);
      state.jobsCreated += 1;
      state.active.add(job);
      state.maxRunning = Math.max(state.maxRunning, store.running(undefined, job.createdAt));
      scheduleWebhook(store, job);
    },
  };
  for (const r of options.faults ?? []) store.addFault(r);
  return store;
}
