// Tests of the mock's fault rules (README "Fault rules"). Run: node --test tests/mock/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, SEEDED } from './server.mjs';
import { TOKEN, call } from './helpers.mjs';

const enc = encodeURIComponent;
const upscale = (mock, body, opts = {}) => call(mock, 'POST', '/images/upscale', { body, ...opts });
const getJob = (mock, jobid, opts) => call(mock, 'GET', `/images/${enc(jobid)}`, opts);

describe('faults', () => {
  let mock;
  before(async () => {
    mock = await startMock({ completeAfterMs: 150 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('429 with Retry-After creates nothing, then passes', async () => {
    mock.addFault({ method: 'POST', path: '/images/upscale', status: 429, headers: { 'Retry-After': '1' } });
    const r = await upscale(mock, { jobid: SEEDED.square });
    assert.equal(r.status, 429);
    assert.deepEqual(r.body, { error: 'Injected 429', code: 429 });
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(mock.jobsCreated(), 0);
    assert.equal(mock.state.faults.length, 0);
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
    assert.equal(mock.jobsCreated(), 1);
    assert.deepEqual(mock.requests().map((x) => x.fault), [429, undefined]);
  });

  test('times, method filter and regex path', async () => {
    mock.addFault({ method: 'GET', path: '^/v1/dreamina/images/j1125', status: 503, times: 2 });
    assert.equal((await upscale(mock, { jobid: SEEDED.square }, { headers: { 'x-mock-complete-after-ms': '0' } })).status, 200);
    assert.equal((await getJob(mock, SEEDED.square)).status, 503);
    assert.equal((await getJob(mock, SEEDED.wide)).status, 503);
    assert.equal((await getJob(mock, SEEDED.square)).status, 200);
  });

  test('json, raw body and bodySize', async () => {
    mock.addFault([
      { path: 'images', status: 596, json: { error: { message: 'session broken' } } },
      { path: 'images', status: 500, body: 'plain oops' },
      { path: 'images', status: 504, bodySize: 5000 },
    ]);
    const a = await getJob(mock, SEEDED.square);
    assert.deepEqual([a.status, a.body], [596, { error: { message: 'session broken' } }]);
    const b = await getJob(mock, SEEDED.square);
    assert.deepEqual([b.status, b.body], [500, 'plain oops']);
    const res = await fetch(`${mock.baseUrl}/images/x`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    assert.equal(res.status, 504);
    assert.equal(text.length, 5000);
    assert.deepEqual(JSON.parse(text), { error: 'Injected 504', code: 504 });
  });

  test('html', async () => {
    mock.addFault({ action: 'html' });
    const res = await fetch(`${mock.baseUrl}/images/${enc(SEEDED.square)}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 502);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<html>/);
  });

  test('delayMs with status, and passThrough delay', async () => {
    mock.addFault({ status: 503, delayMs: 150 });
    let t = Date.now();
    assert.equal((await getJob(mock, SEEDED.square)).status, 503);
    assert.ok(Date.now() - t >= 140);
    mock.addFault({ passThrough: true, delayMs: 150, headers: { 'X-Extra': 'yes' } });
    t = Date.now();
    const r = await upscale(mock, { jobid: SEEDED.square });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-extra'), 'yes');
    assert.ok(Date.now() - t >= 140);
    assert.equal(mock.jobsCreated(), 1);
  });

  test('reset-before: connection fails, nothing created', async () => {
    mock.addFault({ method: 'POST', action: 'reset-before' });
    await assert.rejects(upscale(mock, { jobid: SEEDED.square }));
    assert.equal(mock.jobsCreated(), 0);
    assert.equal(mock.requests().length, 1);
  });

  test('reset-after: connection fails, but the job was created', async () => {
    mock.addFault({ method: 'POST', action: 'reset-after' });
    await assert.rejects(upscale(mock, { jobid: SEEDED.square }));
    assert.equal(mock.jobsCreated(), 1);
  });

  test('hang: no answer until the client gives up', async () => {
    mock.addFault({ action: 'hang' });
    await assert.rejects(
      fetch(`${mock.baseUrl}/images/${enc(SEEDED.square)}`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(200) }),
      (e) => e.name === 'TimeoutError',
    );
  });

  test('truncate: partial body then the connection dies (job created)', async () => {
    mock.addFault({ method: 'POST', action: 'truncate' });
    const res = await fetch(`${mock.baseUrl}/images/upscale`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jobid: SEEDED.square }),
    });
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    assert.equal(mock.jobsCreated(), 1);
  });

  test('faults on file downloads', async () => {
    mock.addFault({ path: '/files/', status: 403, body: 'AccessDenied' });
    const res = await fetch(`${mock.url}/files/a.png?w=4&h=4&seed=1`);
    assert.equal(res.status, 403);
    assert.equal(await res.text(), 'AccessDenied');
  });
});
