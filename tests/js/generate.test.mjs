// generate / generateAndWait as users call them, against the mock API over real HTTP: the
// happy path, validation that names the field and sends nothing, and the POST retry rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockPerFile, posts as postsOf } from '../helpers/mock.mjs';
import { clientOf, rejects } from '../helpers/client.mjs';

const mock = mockPerFile({ completeAfterMs: 200 });
const client = (extra) => clientOf(mock, extra);
const posts = () => postsOf(mock, '/images');

test('generateAndWait: prompt → completed generation with its images, then an upscale of one', async () => {
  const updates = [];
  const job = await client().generateAndWait(
    { prompt: 'a lighthouse at dusk', ratio: '16:9', resolution: '2k' },
    { pollIntervalMs: 100, onUpdate: (j) => updates.push(j.status) },
  );
  assert.equal(job.status, 'completed');
  assert.equal(job.type, 'image');
  assert.match(job.jobid, /i-u12345-US:/);
  assert.equal(job.response.images.length, 4);
  const [w, h] = [job.response.images[0].width, job.response.images[0].height];
  assert.deepEqual([w, h], [2560, 1440], 'the provider\'s 2k 16:9 size');
  assert.equal(updates[0], 'created');
  assert.equal(updates.at(-1), 'completed');
  // The body the API saw: only the fields given, in the API's names.
  assert.deepEqual(JSON.parse(posts().at(-1).body), { prompt: 'a lighthouse at dusk', ratio: '16:9', resolution: '2k' });
  const up = await client().upscaleAndWait({ jobid: job.jobid, imageIndex: 3 }, { pollIntervalMs: 100 });
  assert.equal(up.status, 'completed');
  assert.equal(up.request.jobid, job.jobid);
});

test('generate resolves with the created job; unknown models are passed on; imageRef_1 alone is enough', async () => {
  const unknown = await rejects(client().generate({ prompt: 'fox', model: 'seedream-9.9-preview' }), 'validation');
  assert.match(unknown.message, /model/, "the API's 400 for a model it does not have");
  assert.equal(JSON.parse(posts().at(-1).body).model, 'seedream-9.9-preview', 'passed on, not refused client-side');
  const fromImage = await client().generate({ imageRef_1: 'asset-1', imageRef_2: 'asset-2' });
  assert.equal(fromImage.status, 'created');
  assert.deepEqual(JSON.parse(posts().at(-1).body), { imageRef_1: 'asset-1', imageRef_2: 'asset-2' });
  // 1600 characters of two bytes each: the limit counts characters, not bytes.
  const long = await client().generate({ prompt: 'é'.repeat(1600) });
  assert.equal(long.status, 'created');
});

test('bad generation requests are validation errors naming the field, and nothing is sent', async () => {
  const before = mock.requests().length;
  const created = mock.jobsCreated();
  const c = client();
  const cases = [
    [{}, 'prompt'],
    [{ prompt: '' }, 'prompt'],
    [{ prompt: 'é'.repeat(1601) }, 'prompt'],
    [{ prompt: 42 }, 'prompt'],
    [{ prompt: 'x', model: '' }, 'model'],
    [{ prompt: 'x', model: 4 }, 'model'],
    [{ prompt: 'x', ratio: '5:4' }, 'ratio'],
    [{ prompt: 'x', resolution: '8k' }, 'resolution'],
    [{ prompt: 'x', imageRef_2: 'a' }, 'imageRef_2'],
    [{ imageRef_1: 'a', imageRef_3: 'c' }, 'imageRef_3'],
    [{ prompt: 'x', imageRef_7: 'a' }, 'imageRef_7'],
    [{ prompt: 'x', account: 1 }, 'account'],
    [{ prompt: 'x', maxJobs: 0 }, 'maxJobs'],
    [{ prompt: 'x', maxJobs: 51 }, 'maxJobs'],
    [{ prompt: 'x', maxJobs: 1.5 }, 'maxJobs'],
    [{ prompt: 'x', replyUrl: 'ftp://x' }, 'replyUrl'],
    [{ prompt: 'x', replyRef: 7 }, 'replyRef'],
    [{ prompt: 'x', seed: 1 }, 'seed'],
    [null, 'request'],
    ['a fox', 'request'],
  ];
  for (const [request, field] of cases) {
    for (const call of [() => c.generate(request), () => c.generateAndWait(request, { pollIntervalMs: 100 })]) {
      const err = await rejects(call(), 'validation');
      assert.equal(err.field, field, `${JSON.stringify(request)}: ${err.message}`);
      assert.match(err.message, new RegExp(field));
      assert.equal(err.jobid, undefined);
    }
  }
  const long = await rejects(c.generate({ prompt: '🦊'.repeat(1601) }), 'validation');
  assert.match(long.message, /1601 characters.*not bytes/);
  await rejects(c.generate({ prompt: 'x' }, { signal: {} }), 'validation');
  await rejects(c.generate({ prompt: 'x' }, { timeoutMs: 0 }), 'validation');
  await rejects(c.generateAndWait({ prompt: 'x' }, { pollIntervalMs: 5 }), 'validation');
  assert.equal(mock.requests().length, before, 'no request may reach the server');
  assert.equal(mock.jobsCreated(), created);
});

async function fault(rule, call) {
  mock.addFault({ method: 'POST', path: '/images$', ...rule });
  try { return await call(); } finally { mock.clearFaults(); }
}

test('a POST /images refused with 429 (nothing created) is sent again: one job', async () => {
  const [n, created] = [posts().length, mock.jobsCreated()];
  const job = await fault({ status: 429, headers: { 'Retry-After': '0' } }, () => client().generate({ prompt: 'retry me' }));
  assert.equal(job.status, 'created');
  assert.equal(posts().length - n, 2);
  assert.equal(mock.jobsCreated() - created, 1);
});

test('a POST /images that may have been taken is never repeated', async () => {
  for (const [rule, kind] of [
    [{ status: 500 }, 'server'],
    [{ action: 'reset-after' }, 'network'],
    [{ action: 'truncate' }, 'network'],
  ]) {
    const [n, created] = [posts().length, mock.jobsCreated()];
    const err = await fault(rule, () => rejects(client().generate({ prompt: 'once only' }), kind));
    assert.equal(posts().length - n, 1, `${JSON.stringify(rule)}: sent once`);
    if (kind === 'network') {
      assert.match(err.message, /may have been created/);
      assert.equal(mock.jobsCreated() - created, 1, 'the server did take it: exactly one job');
    }
  }
});

test('generateAndWait: a failed generation rejects job_failed with its jobid and job', async () => {
  const err = await rejects(client().generateAndWait({ prompt: 'broken [mock:fail]' }, { pollIntervalMs: 100 }), 'job_failed');
  assert.ok(err.jobid);
  assert.equal(err.job.jobid, err.jobid);
  assert.equal(err.job.status, 'failed');
});
