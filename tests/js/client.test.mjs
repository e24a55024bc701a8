// The package as users import it (`dreamina-upscale`, resolved to the built pkg/), against the
// mock API over real HTTP: the whole flow, every error kind, and validation that sends nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';
import { mockPerFile, SEEDED, TOKEN } from '../helpers/mock.mjs';
import { clientOf, rejects } from '../helpers/client.mjs';

const mock = mockPerFile({ completeAfterMs: 200 });
const client = (extra) => clientOf(mock, extra);

test('upscale → poll → completed, with every API field kept', async () => {
  const updates = [];
  const job = await client().upscaleAndWait(
    { jobid: SEEDED.wide, upscaleResolution: '4k', imageIndex: 2, detailStrength: 0.8 },
    { pollIntervalMs: 100, onUpdate: (j) => updates.push(j.status) },
  );
  assert.equal(job.status, 'completed');
  assert.match(job.jobid, /I-u12345-US:/);
  const [image] = job.response.images;
  assert.deepEqual([image.width, image.height], [4608, 3456]); // the provider's 4k 4:3 size
  assert.equal(job.request.resolution, '4k');
  assert.equal(updates[0], 'created');
  assert.equal(updates.at(-1), 'completed');
  // The body the API saw: only the fields given, in the API's names.
  const post = mock.requests().find((r) => r.method === 'POST' && r.body.includes(SEEDED.wide));
  assert.deepEqual(JSON.parse(post.body), { jobid: SEEDED.wide, imageIndex: 2, upscaleResolution: '4k', detailStrength: 0.8 });
  assert.equal(post.headers.authorization, `Bearer ${TOKEN}`);
});

test('getJob of an odd job id sends it as one encoded path segment', async () => {
  const job = await client().getJob(SEEDED.weird);
  assert.equal(job.jobid, SEEDED.weird);
  const get = mock.requests().findLast((r) => r.method === 'GET');
  assert.ok(!get.path.slice('/v1/dreamina/images/'.length).includes('/'), get.path);
});

test('validation errors name the field and send nothing', async () => {
  const before = mock.requests().length;
  const c = client();
  const cases = [
    [{ jobid: SEEDED.square, imageIndex: '1' }, 'imageIndex'],
    [{ jobid: SEEDED.square, imageIndex: 1.5 }, 'imageIndex'],
    [{ jobid: SEEDED.square, imageIndex: NaN }, 'imageIndex'],
    [{ jobid: SEEDED.square, upscaleResolution: '16k' }, 'upscaleResolution'],
    [{ jobid: SEEDED.square, originalImageStrength: 1.5 }, 'originalImageStrength'],
    [{ jobid: SEEDED.square, detailStrength: -0.1 }, 'detailStrength'],
    [{ jobid: SEEDED.square, maxJobs: 51 }, 'maxJobs'],
    [{ jobid: SEEDED.square, replyUrl: 'ftp://x' }, 'replyUrl'],
    [{ jobid: SEEDED.square, replyRef: 7 }, 'replyRef'],
    [{ jobid: SEEDED.square, imageIndx: 1 }, 'imageIndx'],
    [{ jobid: '' }, 'jobid'],
    [{}, 'jobid'],
    [null, 'request'],
    ['j1', 'request'],
  ];
  for (const [request, field] of cases) {
    const err = await rejects(c.upscale(request), 'validation');
    assert.equal(err.field, field, `${JSON.stringify(request)}: ${err.message}`);
    assert.match(err.message, new RegExp(field));
  }
  await rejects(c.getJob(42), 'validation');
  await rejects(c.waitForJob(SEEDED.square, { pollIntervalMs: 5 }), 'validation');
  await rejects(c.waitForJob(SEEDED.square, { onUpdate: 'no' }), 'validation');
  await rejects(c.upscale({ jobid: SEEDED.square }, { signal: {} }), 'validation');
  assert.equal(mock.requests().length, before, 'no request may reach the server');
});

test('bad client options throw synchronously, naming the field', () => {
  const cases = [
    [{}, 'token'],
    [{ token: 'a b' }, 'token'],
    [{ token: TOKEN, baseUrl: 'http://api.useapi.net/v1/dreamina' }, 'baseUrl'],
    [{ token: TOKEN, timeoutMs: 0 }, 'timeoutMs'],
    [{ token: TOKEN, maxRetries: 1.5 }, 'maxRetries'],
    [{ token: TOKEN, fetch: 'x' }, 'fetch'],
    [{ token: 'user:1-séc€ret' }, 'token'],
    // A backslash makes fetch see another host than the check would: refused.
    [{ token: TOKEN, baseUrl: 'http://evil.example\\@127.0.0.1/v1' }, 'baseUrl'],
    [{ token: TOKEN, baseUrl: '/\\evil.example/v1' }, 'baseUrl'],
  ];
  for (const [options, field] of cases) {
    assert.throws(() => new DreaminaClient(options), (e) => e instanceof DreaminaError && e.kind === 'validation' && e.field === field);
  }
  // A token may be left out only in front of an app's own proxy.
  assert.equal(new DreaminaClient({ baseUrl: '/api/dreamina' }).baseUrl, '/api/dreamina');
});

/** Each error kind the contract names, produced by the mock for real. */
const kindCases = [
  ['unauthorized', 401, () => client({ token: 'user:1-wrong' }).getJob(SEEDED.square)],
  ['not_found', 404, () => client().getJob('j-missing')],
  ['gone', 410, () => client().getJob(SEEDED.expired)],
  ['validation', 400, () => client().upscale({ jobid: SEEDED.running })],
  ['payment_required', 402, () => fault({ status: 402 }, () => client().upscale({ jobid: SEEDED.square }))],
  ['payment_required', 412, () => fault({ status: 412 }, () => client().upscale({ jobid: SEEDED.square }))],
  ['moderated', 422, () => fault({ status: 422 }, () => client().upscale({ jobid: SEEDED.square }))],
  ['rate_limited', 429, () => fault({ status: 429, headers: { 'Retry-After': '3' } }, () => client({ maxRetries: 0 }).getJob(SEEDED.square))],
  ['account_error', 596, () => fault({ status: 596 }, () => client().getJob(SEEDED.square))],
  ['server', 500, () => fault({ status: 500, times: 10 }, () => client({ maxRetries: 1 }).getJob(SEEDED.square))],
  ['invalid_response', 200, () => fault({ status: 200, body: '<html>proxy</html>', headers: { 'Content-Type': 'text/html' } }, () => client().getJob(SEEDED.square))],
  ['timeout', undefined, () => fault({ action: 'hang' }, () => client({ timeoutMs: 150, maxRetries: 0 }).getJob(SEEDED.square))],
  ['network', undefined, () => fault({ action: 'reset-before' }, () => client({ maxRetries: 0 }).getJob(SEEDED.square))],
  ['job_failed', undefined, () => client().upscaleAndWait({ jobid: SEEDED.failing }, { pollIntervalMs: 100 })],
  ['aborted', undefined, () => client().getJob(SEEDED.square, { signal: AbortSignal.abort() })],
];

async function fault(rule, call) {
  mock.addFault({ path: '/v1/dreamina/', ...rule });
  try { return await call(); } finally { mock.clearFaults(); }
}

for (const [kind, status, call] of kindCases) {
  test(`error kind ${kind}${status ? ` (HTTP ${status})` : ''}`, async () => {
    const err = await rejects(call(), kind);
    assert.equal(err.status, status);
    if (kind === 'rate_limited') assert.equal(err.retryAfterMs, 3000);
    if (kind === 'job_failed') {
      assert.equal(err.job.status, 'failed');
      assert.equal(err.jobid, err.job.jobid);
    }
    if (kind === 'not_found') assert.equal(err.jobid, 'j-missing');
  });
}

test('a refused connection is a network error; the GET was retried', async () => {
  const port = await freePort();
  const c = new DreaminaClient({ token: TOKEN, baseUrl: `http://127.0.0.1:${port}/v1/dreamina`, maxRetries: 2, retryBaseDelayMs: 1 });
  const err = await rejects(c.getJob(SEEDED.square), 'network');
  assert.match(err.message, /ECONNREFUSED/);
});

test('the job id is never lost when the wait fails', async () => {
  const c = client();
  mock.setConfig({ completeAfterMs: 60_000 });
  const created = await c.upscale({ jobid: SEEDED.square });
  mock.setConfig({ completeAfterMs: 200 });
  const err = await rejects(c.waitForJob(created.jobid, { pollIntervalMs: 100, timeoutMs: 350 }), 'timeout');
  assert.equal(err.jobid, created.jobid);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const aborted = await rejects(c.waitForJob(created.jobid, { pollIntervalMs: 1000, signal: ac.signal }), 'aborted');
  assert.equal(aborted.jobid, created.jobid);
});

test('a caller-supplied fetch is used', async () => {
  const seen = [];
  const c = client({ fetch: (url, init) => { seen.push([url, init.method]); return fetch(url, init); } });
  await c.getJob(SEEDED.square);
  assert.deepEqual(seen, [[`${mock.baseUrl}/images/${encodeURIComponent(SEEDED.square).replaceAll('!', '%21')}`, 'GET']]);
});

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('an onUpdate that throws does not end the wait (the error goes to the console)', async () => {
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args);
  try {
    let calls = 0;
    const job = await client().upscaleAndWait({ jobid: SEEDED.square, upscaleResolution: '2k' }, {
      pollIntervalMs: 100,
      onUpdate: () => { calls += 1; throw new Error('UI broke'); },
    });
    assert.equal(job.status, 'completed');
    assert.ok(calls >= 2, `onUpdate called ${calls} times`);
    assert.equal(logged.length, calls);
    assert.match(String(logged[0][0]), /onUpdate threw/);
    assert.ok(!JSON.stringify(logged.map((a) => String(a))).includes(TOKEN));
  } finally {
    console.error = original;
  }
});

test('a huge body is refused as invalid_response, and the client keeps working', async () => {
  const c = client({ maxRetries: 0 });
  const job = JSON.stringify({ jobid: SEEDED.square, status: 'completed' });
  // Announced by Content-Length: refused without reading it.
  const err = await fault({ status: 200, body: job, bodySize: 5 * 1024 * 1024 }, () => rejects(c.getJob(SEEDED.square), 'invalid_response'));
  assert.equal(err.status, 200);
  assert.match(err.message, /larger than/);
  // Still one client, still working.
  assert.equal((await c.getJob(SEEDED.square)).jobid, SEEDED.square);
});

test('a fetch that ignores init.signal still times out and aborts', async () => {
  const never = () => new Promise(() => {});
  const c = client({ fetch: never, maxRetries: 0 });
  await rejects(c.getJob(SEEDED.square, { timeoutMs: 100 }), 'timeout');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const err = await rejects(c.upscale({ jobid: SEEDED.square }, { signal: ac.signal }), 'aborted');
  assert.match(err.message, /may have been created/);
});

test('options that throw when read (Proxies) are validation errors, and the client survives', async () => {
  const c = client();
  const hostile = new Proxy({}, { ownKeys() { throw new Error('boom'); } });
  for (let i = 0; i < 50; i++) {
    const err = await rejects(c.upscale(hostile), 'validation');
    assert.equal(err.field, 'request');
  }
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.throws(() => new DreaminaClient(proxy), (e) => e instanceof DreaminaError && e.kind === 'validation');
  await rejects(c.getJob(SEEDED.square, { get signal() { throw new Error('getter'); } }), 'validation');
  assert.equal((await c.getJob(SEEDED.square)).jobid, SEEDED.square);
});

test('job ids "." and ".." are refused rather than leaving their path segment', async () => {
  const before = mock.requests().length;
  for (const id of ['.', '..']) {
    const err = await rejects(client().getJob(id), 'validation');
    assert.equal(err.field, 'jobid');
  }
  assert.equal(mock.requests().length, before);
});
