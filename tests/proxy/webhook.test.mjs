// The webhook loop: an upscale submitted through the proxy with replyUrl pointing at a worker
// route that calls handleWebhook in workerd; the mock calls it when the job finishes, and the
// worker reports the CONFIRMED job to the test's collector. Forged calls must not be trusted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, loadPackage, SEEDED, TOKEN } from './helpers.mjs';

let stack;
let pkg;

before(async () => {
  pkg = await loadPackage();
  stack = await startStack({ completeAfterMs: 300 });
});
after(() => stack?.close());

const hook = (body) => fetch(`${stack.workerUrl}/webhook`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
}).then(async (r) => ({ status: r.status, report: await r.json() }));

test('the provider calls replyUrl; the worker confirms the job with GET and gets it completed with its replyRef', async () => {
  const client = new pkg.DreaminaClient({ baseUrl: `${stack.workerUrl}/api/dreamina` });
  const created = await client.upscale({ jobid: SEEDED.square, replyUrl: `${stack.workerUrl}/webhook`, replyRef: 'order-42' });
  assert.equal(created.status, 'created');
  const report = await stack.collector.next((r) => r.ok && r.result.jobid === created.jobid);
  const { result } = report;
  assert.equal(result.confirmed, true);
  assert.equal(result.replyRef, 'order-42');
  assert.equal(result.replyRefSource, 'body', "the provider's upscale echo holds only jobid, imageIndex, resolution");
  assert.equal(result.job.jobid, created.jobid);
  assert.equal(result.job.status, 'completed');
  assert.equal(result.job.response.images[0].width, 4096);
  // The worker reports before it answers the provider: wait (bounded) for the mock's record.
  let call;
  for (let i = 0; i < 100 && !(call?.status); i++) {
    call = stack.mock.webhooks().find((w) => w.jobid === created.jobid);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(call?.status, 200, 'the worker answered the provider');
  const confirmations = stack.mock.requests().filter((r) => r.method === 'GET' && r.jobid === created.jobid && r.time >= call.time);
  assert.equal(confirmations.length, 1, 'exactly one GET confirmed the call');
  assert.equal(confirmations[0].headers.authorization, `Bearer ${TOKEN}`);
});

test('what is reported comes from GET, not from the body', async () => {
  const client = new pkg.DreaminaClient({ token: TOKEN, baseUrl: stack.mock.baseUrl });
  const job = await client.upscaleAndWait({ jobid: SEEDED.wide, replyRef: 'r-7' }, { pollIntervalMs: 100 });
  const { status, report } = await hook({
    jobid: job.jobid, status: 'failed', replyRef: 'r-7', response: { images: [{ imageUrl: 'https://evil.example/x.png' }] },
  });
  assert.equal(status, 200);
  assert.equal(report.result.job.status, 'completed');
  assert.notEqual(report.result.job.response.images[0].imageUrl, 'https://evil.example/x.png');
  assert.equal(report.result.replyRef, 'r-7');
  const forgedRef = await hook({ jobid: job.jobid, replyRef: 'someone-elses-order' });
  // The provider does not echo replyRef in the job, so a claimed one cannot be checked: passed on as the body's.
  assert.deepEqual([forgedRef.report.result.replyRef, forgedRef.report.result.replyRefSource], ['someone-elses-order', 'body']);
});

test('an account-wide replyUrl: a call for a job never started here is confirmed by GET and reported without replyRef', async () => {
  // Set once on the provider's account, not on the request: the provider calls it for every
  // job of the account, here one made elsewhere (no replyUrl, no replyRef on its request).
  stack.mock.setConfig({ replyUrl: `${stack.workerUrl}/webhook` });
  try {
    const elsewhere = new pkg.DreaminaClient({ token: TOKEN, baseUrl: stack.mock.baseUrl });
    const created = await elsewhere.upscale({ jobid: SEEDED.square });
    const report = await stack.collector.next((r) => r.ok && r.result.jobid === created.jobid);
    assert.equal(report.result.confirmed, true);
    assert.equal(report.result.job.jobid, created.jobid);
    assert.equal(report.result.job.status, 'completed');
    assert.equal('replyRef' in report.result, false);
    assert.equal('replyRefSource' in report.result, false);
    const call = stack.mock.webhooks().find((w) => w.jobid === created.jobid);
    assert.equal(call.url, `${stack.workerUrl}/webhook`, 'the account-wide URL was called');
    assert.equal(call.body.replyRef, undefined);
    assert.deepEqual(Object.keys(call.body.request).sort(), ['imageIndex', 'jobid', 'resolution'], "the provider's upscale echo");
    const confirmations = stack.mock.requests().filter((r) => r.method === 'GET' && r.jobid === created.jobid && r.time >= call.time);
    assert.equal(confirmations.length, 1, 'confirmed by one GET like any other call');
  } finally {
    stack.mock.setConfig({ replyUrl: null });
  }
});

test('a forged webhook naming a job that does not exist is rejected as not_found', async () => {
  const forged = 'j0101000000000000999I-u12345-US:attacker@example.com:dreamina';
  const before = stack.mock.requests().length;
  const { status, report } = await hook({ jobid: forged, status: 'completed', replyRef: 'order-42' });
  assert.equal(status, 400);
  assert.equal(report.ok, false);
  assert.equal(report.error.name, 'DreaminaError');
  assert.equal(report.error.kind, 'not_found');
  assert.equal(report.error.jobid, forged);
  const lookups = stack.mock.requests().slice(before);
  assert.deepEqual(lookups.map((r) => [r.method, r.jobid]), [['GET', forged]], 'it was looked up, not believed');
});

test('bad webhook bodies reject with kind "validation" naming "body" or "jobid"', async () => {
  for (const [body, field] of [
    ['', 'body'],
    ['<html>not json</html>', 'body'],
    ['[1]', 'body'],
    [{ status: 'completed' }, 'jobid'],
    [{ request: { jobid: SEEDED.square } }, 'jobid'], // the SOURCE id of a job is not its id
    [{ jobid: 42 }, 'jobid'],
  ]) {
    const { status, report } = await hook(body);
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(report.error.kind, 'validation');
    assert.equal(report.error.field, field, JSON.stringify(body));
  }
});

test('in Node: lenient bodies (string, envelope, parsed object, form) and option checks', async () => {
  const client = new pkg.DreaminaClient({ token: TOKEN, baseUrl: stack.mock.baseUrl, maxRetries: 0 });
  const job = await client.upscaleAndWait({ jobid: SEEDED.square, replyRef: 'n-1' }, { pollIntervalMs: 100 });
  const inputs = [
    JSON.stringify({ data: { jobId: job.jobid } }),
    { payload: { job: { job_id: job.jobid } } },
    `jobid=${encodeURIComponent(job.jobid)}`,
    new Request('http://app.local/webhook', { method: 'POST', body: JSON.stringify(JSON.stringify({ jobid: job.jobid })) }),
  ];
  for (const input of inputs) {
    const r = await pkg.handleWebhook(input, { client });
    assert.equal(r.job.jobid, job.jobid);
    assert.equal('replyRef' in r, false, "neither the body nor the provider's job echo holds it");
    assert.equal(r.confirmed, true);
  }
  const reject = (input, options, field) => pkg.handleWebhook(input, options).then(
    () => assert.fail(`expected a rejection for ${field}`),
    (e) => { assert.ok(e instanceof pkg.DreaminaError); assert.equal(e.kind, 'validation'); assert.equal(e.field, field); },
  );
  // A job whose provider record has no replyRef: the body's claim is passed on, marked as such.
  const plain = await client.upscaleAndWait({ jobid: SEEDED.square }, { pollIntervalMs: 100 });
  const claimed = await pkg.handleWebhook({ jobid: plain.jobid, replyRef: 'claimed' }, { client });
  assert.deepEqual([claimed.replyRef, claimed.replyRefSource], ['claimed', 'body']);
  const none = await pkg.handleWebhook({ jobid: plain.jobid }, { client });
  assert.equal('replyRef' in none, false);
  await reject({ jobid: job.jobid }, {}, 'client');
  await reject({ jobid: job.jobid }, { client, maxBodyBytes: 10 }, 'body');
  await reject(new Request('http://app.local/w', { method: 'POST', body: 'x'.repeat(100) }), { client, maxBodyBytes: 10 }, 'body');
  await reject(null, { client }, 'request');
  await reject({ jobid: job.jobid }, { client, retries: 1 }, 'retries');
  const consumed = new Request('http://app.local/w', { method: 'POST', body: '{}' });
  await consumed.text();
  await reject(consumed, { client }, 'body');
});
