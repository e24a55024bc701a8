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
