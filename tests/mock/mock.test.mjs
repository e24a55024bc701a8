// Tests of the mock Dreamina API itself: auth, validation, upscale jobs, pictures and CORS,
// the control API and request log, webhooks. Run: node --test tests/mock/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startMock, SEEDED } from './server.mjs';
import { pngSize, PNG_SIGNATURE } from './png.mjs';
import { TOKEN, sleep, call, decodePng, decodeJpeg, downsample, meanDiff, waitFor } from './helpers.mjs';
import { sniffType, pictureDims } from './sniff.mjs';

const enc = encodeURIComponent;

const upscale = (mock, body, opts = {}) => call(mock, 'POST', '/images/upscale', { body, ...opts });
const getJob = (mock, jobid, opts) => call(mock, 'GET', `/images/${enc(jobid)}`, opts);

const UPSCALE_ID = /^j\d{10}\d{3}\d{6}I-u12345-US:user@example\.com:dreamina$/;

describe('mock Dreamina API', () => {
  let mock;
  before(async () => {
    mock = await startMock({ completeAfterMs: 150 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('starts on a free port with url and baseUrl', () => {
    assert.ok(mock.port > 0);
    assert.equal(mock.url, `http://127.0.0.1:${mock.port}`);
    assert.equal(mock.baseUrl, `${mock.url}/v1/dreamina`);
  });

  describe('auth', () => {
    for (const [name, opts] of [
      ['missing header', { token: null }],
      ['wrong token', { token: 'user:999-nope' }],
      ['no Bearer scheme', { token: null, headers: { Authorization: TOKEN } }],
    ]) {
      test(`401 on ${name}`, async () => {
        const r = await getJob(mock, SEEDED.square, opts);
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, { error: 'Unauthorized', code: 401 });
        assert.equal(r.headers.get('access-control-allow-origin'), '*');
      });
    }
    test('auth is checked before body validation', async () => {
      const r = await call(mock, 'POST', '/images/upscale', { raw: 'not json', token: null });
      assert.equal(r.status, 401);
      assert.equal(mock.jobsCreated(), 0);
    });
    test('extra tokens are accepted', async () => {
      const m = await startMock({ tokens: ['a', 'b'] });
      try {
        assert.equal((await getJob(m, SEEDED.square, { token: 'b' })).status, 200);
        assert.equal((await getJob(m, SEEDED.square)).status, 401);
      } finally {
        await m.close();
      }
    });
  });

  describe('validation', () => {
    const cases = [
      ['not JSON', 'Invalid JSON body', { raw: '{nope' }],
      ['JSON array', 'Invalid JSON body', { raw: '[1]' }],
      ['JSON null', 'Invalid JSON body', { raw: 'null' }],
      ['empty body', 'Invalid JSON body', { raw: '' }],
      ['missing jobid', 'Parameter jobid is required', { body: {} }],
      ['empty jobid', 'Parameter jobid is required', { body: { jobid: '' } }],
      ['imageIndex 4', 'Parameter imageIndex must be an integer 0-3', { body: { jobid: SEEDED.square, imageIndex: 4 } }],
      ['imageIndex 1.5', 'Parameter imageIndex must be an integer 0-3', { body: { jobid: SEEDED.square, imageIndex: 1.5 } }],
      ['imageIndex "1"', 'Parameter imageIndex must be an integer 0-3', { body: { jobid: SEEDED.square, imageIndex: '1' } }],
      ['resolution 16k', 'Parameter upscaleResolution must be one of 2k, 4k, 8k', { body: { jobid: SEEDED.square, upscaleResolution: '16k' } }],
      ['resolution 4K', 'Parameter upscaleResolution must be one of 2k, 4k, 8k', { body: { jobid: SEEDED.square, upscaleResolution: '4K' } }],
      ['originalImageStrength 1.1', 'Parameter originalImageStrength must be a number 0-1', { body: { jobid: SEEDED.square, originalImageStrength: 1.1 } }],
      ['originalImageStrength "0.5"', 'Parameter originalImageStrength must be a number 0-1', { body: { jobid: SEEDED.square, originalImageStrength: '0.5' } }],
      ['detailStrength -0.1', 'Parameter detailStrength must be a number 0-1', { body: { jobid: SEEDED.square, detailStrength: -0.1 } }],
      ['maxJobs 0', 'Parameter maxJobs must be an integer 1-50', { body: { jobid: SEEDED.square, maxJobs: 0 } }],
      ['maxJobs 51', 'Parameter maxJobs must be an integer 1-50', { body: { jobid: SEEDED.square, maxJobs: 51 } }],
      ['replyUrl relative', 'Parameter replyUrl must be a valid URL', { body: { jobid: SEEDED.square, replyUrl: '/hook' } }],
      ['replyUrl ftp', 'Parameter replyUrl must be a valid URL', { body: { jobid: SEEDED.square, replyUrl: 'ftp://x.example/hook' } }],
      ['order: imageIndex before resolution', 'Parameter imageIndex must be an integer 0-3', { body: { jobid: SEEDED.square, imageIndex: 9, upscaleResolution: 'x' } }],
    ];
    for (const [name, message, opts] of cases) {
      test(`400 on ${name}`, async () => {
        const r = await call(mock, 'POST', '/images/upscale', opts);
        assert.equal(r.status, 400);
        assert.deepEqual(r.body, { error: message, code: 400 });
        assert.equal(mock.jobsCreated(), 0);
      });
    }
    test('unknown source → 404', async () => {
      const r = await upscale(mock, { jobid: 'j0000000000000000000i-u1-US:a@b.c:dreamina' });
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { error: 'Source image job not found', code: 404 });
    });
    test('running source → 400', async () => {
      const r = await upscale(mock, { jobid: SEEDED.running });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { error: 'Source image job is created, must be completed', code: 400 });
    });
    test('expired source → 410', async () => {
      const r = await upscale(mock, { jobid: SEEDED.expired });
      assert.equal(r.status, 410);
      assert.deepEqual(r.body, { error: 'Job expired', code: 410 });
      assert.equal(mock.jobsCreated(), 0);
    });
    test('body over 1 MiB → 413', async () => {
      const r = await call(mock, 'POST', '/images/upscale', { raw: JSON.stringify({ jobid: SEEDED.square, pad: 'x'.repeat(1.5 * 1024 * 1024) }) });
      assert.equal(r.status, 413);
      assert.deepEqual(r.body, { error: 'Request body too large', code: 413 });
      assert.equal(mock.jobsCreated(), 0);
    });
  });

  describe('jobs', () => {
    test('seeded generation job', async () => {
      const r = await getJob(mock, SEEDED.square);
      assert.equal(r.status, 200);
      assert.equal(r.body.type, 'image');
      assert.equal(r.body.status, 'completed');
      assert.equal(r.body.model, 'seedream-3.0');
      assert.equal(r.body.response.images.length, 4);
      for (const img of r.body.response.images) {
        assert.deepEqual([img.width, img.height, img.format], [1024, 1024, 'jpeg']);
        for (const k of ['imageUrl', 'imageUri', 'assetId', 'assetRef', 'itemId']) assert.equal(typeof img[k], 'string', k);
      }
      const wide = await getJob(mock, SEEDED.wide);
      assert.deepEqual([wide.body.response.images[0].width, wide.body.response.images[0].height], [1024, 768]);
      assert.equal((await getJob(mock, SEEDED.running)).body.status, 'created');
    });

    test('weird job id as one encoded segment', async () => {
      assert.match(SEEDED.weird, /[/?#%]/);
      const r = await getJob(mock, SEEDED.weird);
      assert.equal(r.status, 200);
      assert.equal(r.body.jobid, SEEDED.weird);
      const log = mock.requests().at(-1);
      assert.equal(log.jobid, SEEDED.weird);
      assert.equal(log.path, `/v1/dreamina/images/${enc(SEEDED.weird)}`);
      // Unencoded '/' splits the segment: not found.
      assert.equal((await call(mock, 'GET', `/images/${SEEDED.square.replace('@', '/')}`)).status, 404);
      // A literal '?' starts the query: the id is cut there and not found.
      assert.equal((await call(mock, 'GET', `/images/j1125000000000000003i-u12345-US:we%2Fird?%23x`)).status, 404);
    });

    test('upscale created → completed with the right size', async () => {
      const r = await upscale(mock, { jobid: SEEDED.square });
      assert.equal(r.status, 200);
      const job = r.body;
      assert.match(job.jobid, UPSCALE_ID);
      assert.equal(job.type, 'upscale');
      assert.equal(job.status, 'created');
      assert.equal(job.model, 'seedream-3.0', "the source's model");
      assert.equal(job.code, 200);
      assert.ok(!Number.isNaN(Date.parse(job.created)));
      assert.deepEqual(job.request, { jobid: SEEDED.square, imageIndex: 0, resolution: '4k' }, "the provider's echo");
      assert.deepEqual(job.response, { forecastCost: 0 });
      assert.equal(mock.jobsCreated(), 1);

      const early = await getJob(mock, job.jobid);
      assert.equal(early.body.status, 'created');
      await sleep(200);
      const done = await getJob(mock, job.jobid);
      assert.equal(done.body.status, 'completed');
      assert.ok(done.body.updated >= done.body.created);
      assert.equal(done.body.response.images.length, 1);
      const img = done.body.response.images[0];
      assert.deepEqual([img.width, img.height, img.format], [4096, 4096, 'jpeg']);
      assert.ok(img.imageUrl.startsWith(`${mock.url}/files/`));
    });

    for (const [source, res, w, h] of [
      ['wide', '2k', 2304, 1728],
      ['wide', '4k', 4608, 3456],
      ['square', '2k', 2048, 2048],
      ['square', '8k', 8192, 8192],
    ]) {
      test(`${source} ${res} → ${w}x${h}`, async () => {
        const r = await upscale(mock, { jobid: SEEDED[source], upscaleResolution: res, imageIndex: 2, detailStrength: 1, originalImageStrength: 0 }, { headers: { 'X-Mock-Complete-After-Ms': '0' } });
        assert.equal(r.body.request.resolution, res);
        assert.equal(r.body.request.imageIndex, 2);
        const done = await getJob(mock, r.body.jobid);
        assert.equal(done.body.status, 'completed');
        assert.deepEqual([done.body.response.images[0].width, done.body.response.images[0].height], [w, h]);
      });
    }

    test('per-job delay header and config', async () => {
      const slow = await upscale(mock, { jobid: SEEDED.square }, { headers: { 'x-mock-complete-after-ms': '100000' } });
      mock.setConfig({ completeAfterMs: 0 });
      const fast = await upscale(mock, { jobid: SEEDED.square });
      assert.equal((await getJob(mock, slow.body.jobid)).body.status, 'created');
      assert.equal((await getJob(mock, fast.body.jobid)).body.status, 'completed');
      assert.notEqual(slow.body.jobid, fast.body.jobid);
    });

    test('upscale of the failing source ends failed', async () => {
      const r = await upscale(mock, { jobid: SEEDED.failing }, { headers: { 'x-mock-complete-after-ms': '0' } });
      assert.equal(r.status, 200);
      const done = await getJob(mock, r.body.jobid);
      assert.equal(done.body.status, 'failed');
      assert.equal(done.body.error, 'fail_code: 2043');
      assert.equal(typeof done.body.errorDetails, 'string');
      assert.equal(done.body.response.images, undefined);
    });

    test('upscale of the weird source echoes its id', async () => {
      const r = await upscale(mock, { jobid: SEEDED.weird });
      assert.equal(r.status, 200);
      assert.equal(r.body.request.jobid, SEEDED.weird);
    });

    test('replyUrl / replyRef are taken but not echoed (the provider echoes jobid, imageIndex, resolution)', async () => {
      const r = await upscale(mock, { jobid: SEEDED.square, replyUrl: 'http://127.0.0.1:9/hook', replyRef: 'ref-1', maxJobs: 3 });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.request, { jobid: SEEDED.square, imageIndex: 0, resolution: '4k' });
      assert.equal(mock.state.jobs.get(r.body.jobid).request.replyRef, 'ref-1', 'the mock keeps what was asked');
    });

    test('404 unknown job, 410 expired job', async () => {
      assert.deepEqual((await getJob(mock, 'j1I-u1-US:x@y.z:dreamina')).body, { error: 'Job not found', code: 404 });
      const gone = await getJob(mock, SEEDED.expired);
      assert.equal(gone.status, 410);
      assert.deepEqual(gone.body, { error: 'Job expired', code: 410 });
    });

    test('DELETE /scheduler/{jobid} cancels a running job: 204, then failed "Cancelled by user"', async () => {
      const r = await upscale(mock, { jobid: SEEDED.square });
      const del = await call(mock, 'DELETE', `/scheduler/${enc(r.body.jobid)}`);
      assert.equal(del.status, 204);
      assert.equal(del.body, '');
      const job = (await getJob(mock, r.body.jobid)).body;
      assert.equal(job.status, 'failed');
      assert.equal(job.error, 'Cancelled by user');
      assert.equal(job.response.images, undefined);
      assert.equal(mock.running(), 0, 'it no longer takes capacity');
      await sleep(200);
      assert.equal((await getJob(mock, r.body.jobid)).body.status, 'failed', 'and never completes');
      const again = await call(mock, 'DELETE', `/scheduler/${enc(r.body.jobid)}`);
      assert.equal(again.status, 404, 'a finished job is not running');
      assert.match(again.body.error, /Unable to locate running jobid/);
      assert.equal((await call(mock, 'DELETE', `/scheduler/${enc('j1I-u1-US:x@y.z:dreamina')}`)).status, 404);
      assert.equal((await call(mock, 'DELETE', `/scheduler/${enc(SEEDED.square)}`)).status, 404, 'completed');
      // The seeded running job is cancelled too, and reset brings it back.
      assert.equal((await call(mock, 'DELETE', `/scheduler/${enc(SEEDED.running)}`)).status, 204);
      assert.equal((await getJob(mock, SEEDED.running)).body.error, 'Cancelled by user');
      mock.reset();
      assert.equal((await getJob(mock, SEEDED.running)).body.status, 'created');
    });

    test('unknown API route → 404 JSON', async () => {
      const r = await call(mock, 'GET', '/nothing/here');
      assert.equal(r.status, 404);
      assert.equal(r.body.code, 404);
    });
  });

  describe('files and CORS', () => {
    test('image URLs serve real JPEGs of the stated size, without auth; .png gives the same picture as PNG', async () => {
      const r = await upscale(mock, { jobid: SEEDED.wide, upscaleResolution: '2k' }, { headers: { 'x-mock-complete-after-ms': '0' } });
      const img = (await getJob(mock, r.body.jobid)).body.response.images[0];
      assert.equal(img.format, 'jpeg');
      const res = await fetch(img.imageUrl);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const buf = Buffer.from(await res.arrayBuffer());
      assert.deepEqual([buf[0], buf[1], buf.at(-2), buf.at(-1)], [0xff, 0xd8, 0xff, 0xd9], 'SOI ... EOI');
      assert.equal(sniffType(buf), 'image/jpeg');
      assert.deepEqual(pictureDims(buf), { width: 2304, height: 1728 });
      const jpeg = decodeJpeg(buf);
      const png = Buffer.from(await (await fetch(img.imageUrl.replace('.jpeg?', '.png?'))).arrayBuffer());
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
      assert.deepEqual(pngSize(png), { width: 2304, height: 1728 });
      const diff = meanDiff(downsample(jpeg, 96, 72), downsample(decodePng(png), 96, 72));
      assert.ok(diff < 2, `the JPEG and the PNG are the same picture (${diff.toFixed(2)})`);
      const gen = (await getJob(mock, SEEDED.square)).body.response.images[3];
      const genBuf = Buffer.from(await (await fetch(gen.imageUrl)).arrayBuffer());
      assert.deepEqual(pictureDims(genBuf), { width: 1024, height: 1024 });
      assert.equal(mock.requests().filter((x) => x.path.startsWith('/files')).length, 0);
    });

    test('bad PNG size → 400', async () => {
      const res = await fetch(`${mock.url}/files/x.png?w=0&h=5`);
      assert.equal(res.status, 400);
      await res.text();
    });

    test('OPTIONS preflight → 204 with CORS headers', async () => {
      const res = await fetch(`${mock.baseUrl}/images/upscale`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, X-Mock-Complete-After-Ms');
      assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, DELETE, OPTIONS');
      assert.equal(res.headers.get('access-control-expose-headers'), 'Retry-After');
    });

    test('CORS on errors', async () => {
      const r = await upscale(mock, {});
      assert.equal(r.status, 400);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    });
  });

  describe('control API and request log', () => {
    const control = async (method, p, body) => {
      const res = await fetch(`${mock.url}/__mock/${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json(), cors: res.headers.get('access-control-allow-origin') };
    };

    test('faults, state, requests, config, reset over HTTP', async () => {
      assert.deepEqual((await control('POST', 'faults', [{ status: 429 }, { status: 500 }])).body, { faults: 2 });
      assert.equal((await control('DELETE', 'faults')).body.faults, 0);
      assert.deepEqual((await control('POST', 'faults', { method: 'POST', status: 402 })).body, { faults: 1 });
      assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 402);
      await control('POST', 'config', { completeAfterMs: 0 });
      const created = await upscale(mock, { jobid: SEEDED.square });
      assert.equal((await getJob(mock, created.body.jobid)).body.status, 'completed');

      const st = await control('GET', 'state');
      assert.equal(st.cors, '*');
      assert.deepEqual({ ...st.body, config: undefined }, { jobsCreated: 1, maxRunning: 0, running: 0, requests: 3, faults: 0, webhooks: [], config: undefined });
      const reqs = (await control('GET', 'requests')).body;
      assert.deepEqual(reqs.map((x) => x.method), ['POST', 'POST', 'GET']);

      assert.deepEqual((await control('POST', 'reset')).body, { ok: true });
      const after = (await control('GET', 'state')).body;
      assert.equal(after.jobsCreated, 0);
      assert.equal(after.requests, 0);
      assert.equal(after.config.completeAfterMs, 150);
      assert.equal((await control('GET', 'nope')).status, 404);
    });

    test('request log entries', async () => {
      await upscale(mock, { jobid: SEEDED.square }, { headers: { 'X-Custom': 'A' } });
      await getJob(mock, SEEDED.weird);
      const [post, get] = mock.requests();
      assert.equal(post.method, 'POST');
      assert.equal(post.path, '/v1/dreamina/images/upscale');
      assert.equal(post.jobid, undefined);
      assert.equal(post.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(post.headers['x-custom'], 'A');
      assert.deepEqual(JSON.parse(post.body), { jobid: SEEDED.square });
      assert.equal(typeof post.time, 'number');
      assert.equal(get.jobid, SEEDED.weird);
      assert.equal(get.body, '');
    });
  });

  test('webhook is called once when the job completes', async () => {
    const calls = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls.push({ url: req.url, type: req.headers['content-type'], body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const replyUrl = `http://127.0.0.1:${hook.address().port}/hook?x=1`;
      const r = await upscale(mock, { jobid: SEEDED.failing, replyUrl, replyRef: 'my-ref' }, { headers: { 'x-mock-complete-after-ms': '50' } });
      await waitFor(() => mock.state.webhooks[0]?.status === 200);
      await sleep(100);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].url, '/hook?x=1');
      assert.match(calls[0].type, /application\/json/);
      assert.equal(calls[0].body.jobid, r.body.jobid);
      assert.equal(calls[0].body.status, 'failed');
      assert.equal(calls[0].body.replyRef, 'my-ref');
      assert.equal(mock.state.webhooks.length, 1);
    } finally {
      hook.close();
      hook.closeAllConnections();
    }
  });

  test('webhook errors are swallowed and recorded', async () => {
    const r = await upscale(mock, { jobid: SEEDED.square, replyUrl: 'http://127.0.0.1:1/nothing' }, { headers: { 'x-mock-complete-after-ms': '0' } });
    assert.equal(r.status, 200);
    const w = await waitFor(() => mock.state.webhooks[0]?.error && mock.state.webhooks[0]);
    assert.equal(w.jobid, r.body.jobid);
  });
});
