// Fault injection against the built package (as users import it) and the in-process mock API.
// Run: node --test tests/faults/
//
// For each operation × fault it checks the outcome (resolved, or the exact kind / status /
// jobid) and that the operation created no more jobs than it should: a job is created only by
// an upscale call that succeeded, or by one whose failure says "may have been created" (the
// server took the POST, then the connection broke). Never two for one call.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';
import { mockPerFile, startMock, SEEDED, TOKEN } from '../helpers/mock.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RETRIES = 3;
const REQUEST_TIMEOUT_MS = 1000;
const SHORT_TIMEOUT_MS = 150; // for the "slow" fault
const SLOW_MS = 400; // > SHORT_TIMEOUT_MS
const POLL_MS = 100; // the smallest poll interval the client allows
const MAY_HAVE = /may have been created/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = (p) => p.then((value) => ({ value }), (error) => ({ error }));

const mock = mockPerFile({ completeAfterMs: 0 });
let client;
const table = [];

/** Fault rules on the route an operation uses. */
const POST = { method: 'POST', path: '/images/upscale' };
const GET = { method: 'GET', path: '/images/j' };

/** The faults of the brief, as mock rules for one route. */
function faultRules(route) {
  const date = () => new Date(Date.now() + 2000).toUTCString();
  return {
    'reset-before': [{ ...route, action: 'reset-before' }],
    'reset-after': [{ ...route, action: 'reset-after' }],
    '429 Retry-After: 1': [{ ...route, status: 429, headers: { 'Retry-After': '1' } }],
    '429 Retry-After: <date>': () => [{ ...route, status: 429, headers: { 'Retry-After': date() } }],
    '500 html': [{ ...route, action: 'html', status: 500 }],
    '502 html': [{ ...route, action: 'html', status: 502 }],
    '503 html': [{ ...route, action: 'html', status: 503 }],
    '504 html': [{ ...route, action: 'html', status: 504 }],
    '596 json': [{ ...route, status: 596 }],
    'slow (delay > timeout)': [{ ...route, delayMs: SLOW_MS, passThrough: true }],
    truncate: [{ ...route, action: 'truncate' }],
    'non-JSON 200': [{ ...route, status: 200, body: '<html><body>OK</body></html>', headers: { 'Content-Type': 'text/html' } }],
  };
}

/**
 * Expected outcomes. `ok`: resolves. Otherwise `kind`, `status` (undefined when no response),
 * `note`: the message says the job may have been created. `created`: jobs the call creates.
 * `attempts`: requests the mock receives.
 */
const EXPECT = {
  upscale: {
    'reset-before': { kind: 'network', note: true, created: 0, attempts: 1 },
    'reset-after': { kind: 'network', note: true, created: 1, attempts: 1 },
    '429 Retry-After: 1': { ok: true, created: 1, attempts: 2 },
    '429 Retry-After: <date>': { ok: true, created: 1, attempts: 2 },
    '500 html': { kind: 'server', status: 500, created: 0, attempts: 1 },
    '502 html': { kind: 'server', status: 502, created: 0, attempts: 1 },
    '503 html': { ok: true, created: 1, attempts: 2 }, // not the provider's answer: nothing taken
    '504 html': { kind: 'server', status: 504, created: 0, attempts: 1 },
    '596 json': { kind: 'account_error', status: 596, created: 0, attempts: 1 },
    'slow (delay > timeout)': { kind: 'timeout', note: true, created: 1, attempts: 1 },
    truncate: { kind: 'network', note: true, created: 1, attempts: 1 },
    'non-JSON 200': { kind: 'invalid_response', status: 200, note: true, created: 0, attempts: 1 },
  },
  getJob: {
    'reset-before': { ok: true, attempts: 2 },
    'reset-after': { ok: true, attempts: 2 },
    '429 Retry-After: 1': { ok: true, attempts: 2 },
    '429 Retry-After: <date>': { ok: true, attempts: 2 },
    '500 html': { ok: true, attempts: 2 },
    '502 html': { ok: true, attempts: 2 },
    '503 html': { ok: true, attempts: 2 },
    '504 html': { ok: true, attempts: 2 },
    '596 json': { kind: 'account_error', status: 596, attempts: 1 },
    // A GET is idempotent: our own timeout is retried like a network error.
    'slow (delay > timeout)': { ok: true, attempts: 2 },
    truncate: { ok: true, attempts: 2 },
    'non-JSON 200': { kind: 'invalid_response', status: 200, attempts: 1 },
  },
};
// waitForJob polls with getJob: the same outcomes, ending in a completed job.
EXPECT.waitForJob = EXPECT.getJob;

function newClient(extra = {}) {
  return new DreaminaClient({
    token: TOKEN,
    baseUrl: mock.baseUrl,
    timeoutMs: REQUEST_TIMEOUT_MS,
    maxRetries: RETRIES,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 50,
    ...extra,
  });
}

/** Creates a job to read or wait for, completing after `ms`; returns its id. */
async function makeJob(ms) {
  mock.setConfig({ completeAfterMs: ms });
  const job = await client.upscale({ jobid: SEEDED.square });
  return job.jobid;
}

/** Starts `op` with per-call options (`slow` lowers the request time limit). */
function runOp(op, jobid, { slow = false, ...opts } = {}) {
  const limit = slow ? { [op === 'waitForJob' ? 'requestTimeoutMs' : 'timeoutMs']: SHORT_TIMEOUT_MS } : {};
  if (op === 'upscale') return client.upscale({ jobid: SEEDED.square }, { ...limit, ...opts });
  if (op === 'getJob') return client.getJob(jobid, { ...limit, ...opts });
  return client.waitForJob(jobid, { pollIntervalMs: POLL_MS, timeoutMs: 10_000, ...limit, ...opts });
}

/** Checks a rejection: a DreaminaError with exactly this kind / status / jobid. */
function assertRejected(error, { kind, status, jobid, note }) {
  assert.ok(error instanceof DreaminaError, `not a DreaminaError: ${error?.stack ?? error}`);
  assert.equal(error.kind, kind, error.message);
  assert.equal(error.status, status, `status of: ${error.message}`);
  assert.equal(error.jobid, jobid, `jobid of: ${error.message}`);
  if (note !== undefined) assert.equal(MAY_HAVE.test(error.message), note, `note in: ${error.message}`);
}

function describeOutcome({ value, error }) {
  if (error) return `${error.kind}${error.status ? ' ' + error.status : ''}${MAY_HAVE.test(error.message) ? ' (may have been created)' : ''}`;
  return `resolved (${value.status})`;
}

function record(op, fault, outcome, attempts, created) {
  table.push({ operation: op, fault, outcome: describeOutcome(outcome), attempts, 'jobs created': created });
}

/** Time between the first two requests the mock logged from index `from`. */
function gapMs(from) {
  const log = mock.requests().slice(from);
  return log[1].time - log[0].time;
}

before(async () => {
  await mock.started;
  client = newClient();
});

after(() => {
  console.log('\nfault-injection results');
  console.table(table);
});

beforeEach(() => mock.reset());

for (const op of ['upscale', 'getJob', 'waitForJob']) {
  describe(`${op} under faults`, () => {
    const rules = faultRules(op === 'upscale' ? POST : GET);
    for (const [fault, want] of Object.entries(EXPECT[op])) {
      test(fault, async () => {
        // A job to read: it completes after two polls, so a wait polls through the fault.
        const jobid = op === 'upscale' ? undefined : await makeJob(op === 'waitForJob' ? 2 * POLL_MS : 0);
        const created0 = mock.jobsCreated();
        const from = mock.requests().length;
        const r = rules[fault];
        mock.addFault(typeof r === 'function' ? r() : r);
        const expectedDate = fault.includes('<date>') ? Date.parse(mock.state.faults[0].headers['Retry-After']) : 0;

        const outcome = await settle(runOp(op, jobid, { slow: fault.startsWith('slow') }));
        // A delayed POST is still handled after the client gave up: wait before counting.
        if (fault.startsWith('slow')) await sleep(SLOW_MS + 100);
        const created = mock.jobsCreated() - created0;
        const attempts = mock.requests().length - from;
        record(op, fault, outcome, attempts, created);

        if (want.ok) {
          assert.equal(outcome.error, undefined, `expected success, got ${outcome.error?.stack}`);
          if (op === 'upscale') assert.match(outcome.value.jobid, /^j\d+I/);
          else assert.equal(outcome.value.jobid, jobid);
          if (op === 'waitForJob') assert.equal(outcome.value.status, 'completed');
        } else {
          assertRejected(outcome.error, { kind: want.kind, status: want.status, jobid, note: op === 'upscale' ? !!want.note : false });
        }
        // Jobs: one per successful upscale, one per "may have been created", never more.
        assert.equal(created, want.created ?? 0, 'jobs created by this call');
        assert.ok(created <= (outcome.value ? 1 : 0) + (MAY_HAVE.test(outcome.error?.message) ? 1 : 0));
        if (op === 'waitForJob' && want.ok) assert.ok(attempts >= want.attempts, `attempts ${attempts}`);
        else assert.equal(attempts, want.attempts, 'requests the mock received');
        if (fault.startsWith('429') && want.ok) {
          // The retry honoured Retry-After (1 s, or until the date, which has 1 s resolution).
          const min = fault.includes('<date>') ? expectedDate - mock.requests()[from].time : 1000;
          assert.ok(gapMs(from) >= min - 50, `retried after ${gapMs(from)} ms, asked ${min}`);
        }
      });
    }

    test('abort mid-request', async () => {
      const jobid = op === 'upscale' ? undefined : await makeJob(0);
      const created0 = mock.jobsCreated();
      mock.addFault({ ...(op === 'upscale' ? POST : GET), action: 'hang' });
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 100);
      const outcome = await settle(runOp(op, jobid, { signal: ac.signal }));
      const created = mock.jobsCreated() - created0;
      record(op, 'abort mid-request', outcome, 1, created);
      assertRejected(outcome.error, { kind: 'aborted', status: undefined, jobid });
      assert.ok(Date.now() - started < 600, `rejected ${Date.now() - started} ms after start`);
      assert.equal(created, 0);
      // The POST was on its way when the signal fired: the server may have taken it.
      assert.equal(MAY_HAVE.test(outcome.error.message), op === 'upscale', outcome.error.message);
    });

    test('abort mid-sleep', async () => {
      // upscale/getJob sleep before a retry (Retry-After: 5); a wait sleeps between polls.
      const jobid = op === 'upscale' ? undefined : await makeJob(60_000);
      const created0 = mock.jobsCreated();
      const from = mock.requests().length;
      if (op !== 'waitForJob') mock.addFault({ ...(op === 'upscale' ? POST : GET), status: 429, headers: { 'Retry-After': '5' } });
      const ac = new AbortController();
      const opts = op === 'waitForJob' ? { signal: ac.signal, pollIntervalMs: 5000, onUpdate: () => setTimeout(() => ac.abort(), 50) } : { signal: ac.signal };
      if (op !== 'waitForJob') setTimeout(() => ac.abort(), 150);
      const started = Date.now();
      const outcome = await settle(runOp(op, jobid, opts));
      const elapsed = Date.now() - started;
      const created = mock.jobsCreated() - created0;
      const attempts = mock.requests().length - from;
      record(op, 'abort mid-sleep', outcome, attempts, created);
      assertRejected(outcome.error, { kind: 'aborted', status: undefined, jobid });
      assert.ok(elapsed < 1000, `the 5 s sleep was not cut short: ${elapsed} ms`);
      assert.equal(attempts, 1, 'nothing sent after the abort');
      assert.equal(created, 0);
      assert.ok(!MAY_HAVE.test(outcome.error.message), 'aborted while sleeping: nothing was in flight');
    });

    test('already-aborted signal sends nothing', async () => {
      const jobid = op === 'upscale' ? undefined : await makeJob(0);
      const from = mock.requests().length;
      const created0 = mock.jobsCreated();
      const outcome = await settle(runOp(op, jobid, { signal: AbortSignal.abort() }));
      record(op, 'signal already aborted', outcome, mock.requests().length - from, mock.jobsCreated() - created0);
      assertRejected(outcome.error, { kind: 'aborted', status: undefined, jobid });
      assert.deepEqual(mock.requests().slice(from), [], 'request log');
    });
  });
}

describe('beyond the retries', () => {
  test('upscale: a provider 503 (JSON body) is not repeated', async () => {
    mock.addFault({ ...POST, status: 503 });
    const outcome = await settle(client.upscale({ jobid: SEEDED.square }));
    record('upscale', '503 json (provider)', outcome, mock.requests().length, mock.jobsCreated());
    assertRejected(outcome.error, { kind: 'server', status: 503, jobid: undefined, note: false });
    assert.equal(mock.requests().length, 1);
    assert.equal(mock.jobsCreated(), 0);
  });

  test('upscale: connection refused is retried (nothing was sent) and says so', async () => {
    const closed = await startMock();
    const url = closed.baseUrl;
    await closed.close(); // nothing listens on this port now
    let calls = 0;
    const counting = (...args) => (calls++, fetch(...args));
    const c = new DreaminaClient({ token: TOKEN, baseUrl: url, maxRetries: RETRIES, retryBaseDelayMs: 10, retryMaxDelayMs: 50, fetch: counting });
    const outcome = await settle(c.upscale({ jobid: SEEDED.square }));
    record('upscale', 'connection refused', outcome, calls, 0);
    assertRejected(outcome.error, { kind: 'network', status: undefined, jobid: undefined, note: false });
    assert.equal(calls, RETRIES + 1, 'attempts');
  });

  test('getJob: 429 on every attempt ends rate_limited with retryAfterMs', async () => {
    const jobid = await makeJob(0);
    const from = mock.requests().length;
    mock.addFault({ ...GET, status: 429, headers: { 'Retry-After': '0' }, times: -1 });
    const outcome = await settle(client.getJob(jobid));
    record('getJob', '429 every time', outcome, mock.requests().length - from, 0);
    assertRejected(outcome.error, { kind: 'rate_limited', status: 429, jobid });
    assert.equal(outcome.error.retryAfterMs, 0);
    assert.equal(mock.requests().length - from, RETRIES + 1);
  });

  test('waitForJob: a 429 past the retries slows the wait down instead of failing it', async () => {
    const jobid = await makeJob(0);
    const from = mock.requests().length;
    mock.addFault({ ...GET, status: 429, headers: { 'Retry-After': '1' } });
    const started = Date.now();
    const outcome = await settle(client.waitForJob(jobid, { pollIntervalMs: POLL_MS, maxRetries: 0 }));
    record('waitForJob', '429 with maxRetries 0', outcome, mock.requests().length - from, 0);
    assert.equal(outcome.error, undefined, outcome.error?.stack);
    assert.equal(outcome.value.status, 'completed');
    assert.equal(mock.requests().length - from, 2);
    assert.ok(gapMs(from) >= 980, `next poll after ${gapMs(from)} ms, Retry-After asked 1000`);
    assert.ok(Date.now() - started < 3000);
  });

  test('the same client keeps working after an invalid_response', async () => {
    const jobid = await makeJob(0);
    mock.addFault({ ...GET, status: 200, body: '{"jobid":' });
    const bad = await settle(client.getJob(jobid));
    assertRejected(bad.error, { kind: 'invalid_response', status: 200, jobid });
    const good = await client.getJob(jobid);
    assert.equal(good.jobid, jobid);
    const created = await client.upscale({ jobid: SEEDED.square });
    assert.equal((await client.waitForJob(created.jobid, { pollIntervalMs: POLL_MS })).status, 'completed');
    record('getJob', 'truncated JSON 200, then reuse', { value: good }, mock.requests().length, mock.jobsCreated() - 1);
  });
});

test('the process exits promptly after an aborted wait (no timer left behind)', async () => {
  const jobid = await makeJob(60_000);
  // The child waits with a 60 s poll interval, aborts after the first poll, and must then exit.
  const script = `
    import { DreaminaClient } from 'dreamina-upscale';
    const c = new DreaminaClient({ token: ${JSON.stringify(TOKEN)}, baseUrl: process.env.MOCK_URL });
    const ac = new AbortController();
    c.waitForJob(process.env.JOBID, { pollIntervalMs: 60000, signal: ac.signal,
        onUpdate: () => setTimeout(() => ac.abort(), 20) })
      .catch((e) => console.log('ABORTED ' + e.kind + ' ' + Date.now()));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, MOCK_URL: mock.baseUrl, JOBID: jobid },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await new Promise((r) => child.on('exit', (c, s) => r([c, s])));
  const exitedAt = Date.now();
  clearTimeout(killer);
  const m = /ABORTED (\w+) (\d+)/.exec(out);
  assert.ok(m, `child output: ${out} ${err}`);
  assert.equal(m[1], 'aborted');
  assert.equal(signal, null, 'the child had to be killed: something kept it alive');
  assert.equal(code, 0, err);
  const lingered = exitedAt - Number(m[2]);
  table.push({ operation: 'waitForJob', fault: 'abort, then process exit', outcome: `exited ${lingered} ms after abort`, attempts: 1, 'jobs created': 0 });
  assert.ok(lingered < 1000, `the process lived ${lingered} ms after the abort`);
});
