// The provider's API as it is today (issue 19), as users call it, against the mock over real
// HTTP: imageStrength on a generation, cancel, accounts and the running jobs. Needs the mock of
// the provider's contract (tests/mock on the `api` branch: model table, scheduler, accounts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';
import { startMock } from '../mock/server.mjs';

const TOKEN = 'user:12345-sandbox';
let mock;

before(async () => { mock = await startMock({ completeAfterMs: 200 }); });
after(() => mock.close());

const client = (extra = {}) =>
  new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...extra });

/** A request's JSON body as the mock recorded it (as text, or parsed). */
const bodyOf = (request) => (typeof request.body === 'string' ? JSON.parse(request.body) : request.body);

async function rejects(promise, kind) {
  const err = await promise.then(() => assert.fail(`expected a ${kind} rejection`), (e) => e);
  assert.ok(err instanceof DreaminaError, `not a DreaminaError: ${err}`);
  assert.equal(err.kind, kind, err.message);
  return err;
}

test('generate: imageStrength is sent with the references, and checked as a number 0–1', async () => {
  const source = await client().generateAndWait({ prompt: 'a red fox' }, { pollIntervalMs: 100 });
  const ref = source.response.images[0].assetRef;
  const job = await client().generate({ prompt: 'the same fox at night', imageRef_1: ref, imageStrength: 0.7 });
  assert.equal(job.status, 'created');
  const sent = bodyOf(mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/images')).at(-1));
  assert.equal(sent.imageStrength, 0.7);
  assert.equal(sent.imageRef_1, ref);
  const before = mock.requests().length;
  for (const bad of [1.5, -0.1, '0.5', Number.NaN]) {
    const err = await rejects(client().generate({ prompt: 'x', imageRef_1: ref, imageStrength: bad }), 'validation');
    assert.equal(err.field, 'imageStrength');
  }
  assert.equal(mock.requests().length, before, 'nothing sent for a bad imageStrength');
});

test('replyUrl: at most 1024 bytes, refused naming the field before anything is sent', async () => {
  const url = (len) => `https://hooks.example.com/${'a'.repeat(len - 26)}`;
  const before = mock.requests().length;
  const err = await rejects(client().generate({ prompt: 'x', replyUrl: url(1025) }), 'validation');
  assert.equal(err.field, 'replyUrl');
  assert.match(err.message, /1024 bytes/);
  const up = await rejects(client().upscale({ jobid: 'j1-u1-US:a@b.c:dreamina', replyUrl: url(1025) }), 'validation');
  assert.equal(up.field, 'replyUrl');
  assert.equal(mock.requests().length, before, 'nothing sent');
  const job = await client().generate({ prompt: 'a fox', replyUrl: url(1024) });
  assert.equal(job.status, 'created');
});

test('cancel: DELETE /scheduler/{jobid} fails a running job with "Cancelled by user"', async () => {
  const job = await client().generate({ prompt: 'a fox to cancel' });
  assert.equal(await client().cancel(job.jobid), undefined, 'the API answers 204, nothing');
  const del = mock.requests().filter((r) => r.method === 'DELETE').at(-1);
  assert.equal(del.path, `/v1/dreamina/scheduler/${encodeURIComponent(job.jobid)}`);
  const after = await client().getJob(job.jobid);
  assert.equal(after.status, 'failed');
  assert.match(after.error, /Cancelled by user/);
  // No job by that id is running any more: not_found, carrying the jobid.
  const again = await rejects(client().cancel(job.jobid), 'not_found');
  assert.equal(again.jobid, job.jobid);
  const before = mock.requests().length;
  const bad = await rejects(client().cancel('..'), 'validation');
  assert.equal(bad.field, 'jobid');
  await rejects(client().cancel(job.jobid, { timeoutMs: 0 }), 'validation');
  assert.equal(mock.requests().length, before, 'nothing sent for a bad jobid or options');
});

test('listAccounts: GET /accounts, the linked accounts keyed by REGION:email', async () => {
  const accounts = await client().listAccounts();
  assert.equal(mock.requests().at(-1).path, '/v1/dreamina/accounts');
  assert.ok(Object.keys(accounts).includes('US:user@example.com'), Object.keys(accounts).join());
  for (const [id, a] of Object.entries(accounts)) {
    assert.equal(a.account, id);
    assert.match(id, /^(US|CA):/);
    assert.equal(a.region, id.slice(0, 2));
  }
  await rejects(client().listAccounts({ maxRetries: 99 }), 'validation');
});

test('getAccount: GET /accounts/{account}, the account as one path segment, with credits and models', async () => {
  const account = await client().getAccount('US:user@example.com');
  assert.equal(mock.requests().at(-1).path, '/v1/dreamina/accounts/US%3Auser%40example.com');
  assert.equal(account.account, 'US:user@example.com');
  assert.equal(typeof account.credits.total, 'number');
  assert.ok(account.models.image.includes('seedream-4.6'), account.models.image.join());
  const missing = await rejects(client().getAccount('US:nobody@example.com'), 'not_found');
  assert.equal(missing.jobid, undefined, 'an account is not a job id');
  const before = mock.requests().length;
  for (const bad of ['', 42, 'US:a/../b']) {
    const err = await rejects(client().getAccount(bad), 'validation');
    assert.equal(err.field, 'account');
  }
  assert.equal(mock.requests().length, before, 'nothing sent for a bad account');
});

test('listRunning: GET /scheduler, the jobs executing now grouped by account', async () => {
  const job = await client().generate({ prompt: 'a fox, running' });
  const running = await client().listRunning();
  assert.equal(mock.requests().at(-1).path, '/v1/dreamina/scheduler');
  const all = Object.values(running.executing).flat();
  assert.ok(all.some((j) => j.jobid === job.jobid), JSON.stringify(running));
  await client().cancel(job.jobid);
  const after = await client().listRunning();
  assert.ok(!Object.values(after.executing).flat().some((j) => j.jobid === job.jobid));
});

test('models: combinations a model does not allow are sent, and the API\'s 400 comes back as validation', async () => {
  const posts = () => mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/images')).length;
  const source = await client().generateAndWait({ prompt: 'a red fox' }, { pollIntervalMs: 100 });
  const ref = source.response.images[0].assetRef;
  for (const [request, field] of [
    [{ prompt: 'a fox', model: 'seedream-4.6', resolution: '1k' }, 'resolution'],
    [{ imageRef_1: ref, model: 'nano-banana' }, 'prompt'],
  ]) {
    const before = posts();
    const err = await rejects(client({ maxRetries: 0 }).generate(request), 'validation');
    assert.equal(posts(), before + 1, 'sent once: the API judges the model\'s rules');
    assert.equal(err.status, 400);
    assert.match(err.message, new RegExp(field), err.message);
  }
  // What every model needs is still checked here: a prompt or a first reference.
  const before = posts();
  const err = await rejects(client().generate({ model: 'seedream-4.6' }), 'validation');
  assert.equal(err.field, 'prompt');
  assert.match(err.message, /imageRef_1/);
  assert.equal(posts(), before);
  // The provider's default model today, by name.
  const job = await client().generate({ prompt: 'a fox', model: 'seedream-4.6' });
  assert.equal(job.status, 'created');
});

test('a wait on a job that is cancelled rejects with kind "cancelled", its jobid and the job', async () => {
  const job = await client().generate({ prompt: 'a fox, cancelled while waited for' });
  const waiting = client().waitForJob(job.jobid, { pollIntervalMs: 100 });
  await new Promise((r) => setTimeout(r, 20));
  await client().cancel(job.jobid);
  const err = await rejects(waiting, 'cancelled');
  assert.equal(err.jobid, job.jobid);
  assert.equal(err.job.status, 'failed');
  assert.match(err.message, /Cancelled by user/);
});

test('cancelOnAbort: an abort cancels the job the wait was for, and says so', async () => {
  const controller = new AbortController();
  let jobid;
  const waiting = client().generateAndWait({ prompt: 'a fox, aborted' }, {
    signal: controller.signal,
    cancelOnAbort: true,
    pollIntervalMs: 100,
    onUpdate: (job) => { jobid = job.jobid; controller.abort(); },
  });
  const err = await rejects(waiting, 'aborted');
  assert.equal(err.jobid, jobid);
  assert.match(err.message, new RegExp(`job .* was cancelled`));
  const job = await client().getJob(jobid);
  assert.equal(job.status, 'failed');
  assert.match(job.error, /Cancelled by user/);
  // Without the option, the job goes on.
  const other = new AbortController();
  let kept;
  await rejects(client().generateAndWait({ prompt: 'a fox, kept' }, {
    signal: other.signal,
    onUpdate: (j) => { kept = j.jobid; other.abort(); },
  }), 'aborted');
  assert.notEqual((await client().getJob(kept)).error, 'Cancelled by user');
  await rejects(client().waitForJob(kept, { cancelOnAbort: 'yes' }), 'validation');
});

test('cancelOnAbort on a batch: every created job still running is cancelled', async () => {
  const source = await client().generateAndWait({ prompt: 'four foxes' }, { pollIntervalMs: 100 });
  const controller = new AbortController();
  const created = new Set();
  const results = await client().upscaleAll(source.jobid, {
    signal: controller.signal,
    cancelOnAbort: true,
    pollIntervalMs: 100,
    onUpdate: ({ job }) => { created.add(job.jobid); if (created.size === 2) controller.abort(); },
  });
  assert.ok(created.size >= 2);
  const aborted = results.filter((r) => r.status === 'rejected' && r.reason.jobid);
  assert.ok(aborted.length >= 2, JSON.stringify(results.map((r) => r.status)));
  for (const r of aborted) {
    assert.equal(r.reason.kind, 'aborted');
    assert.match(r.reason.message, /was cancelled/, r.reason.message);
    const job = await client().getJob(r.reason.jobid);
    assert.match(job.error ?? '', /Cancelled by user/);
  }
});
