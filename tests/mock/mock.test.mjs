// Tests of the mock Dreamina API itself. Run: node --test tests/mock/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { startMock, SEEDED, parseArgs, pictureSize, nearestRatio } from './server.mjs';
import { encodePng, pngSize, crc32, PNG_SIGNATURE } from './png.mjs';
import { TOKEN, sleep, call, decodePng, decodeJpeg, downsample, meanDiff } from './helpers.mjs';
import { sniffType, pictureDims } from './sniff.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const enc = encodeURIComponent;

const upscale = (mock, body, opts = {}) => call(mock, 'POST', '/images/upscale', { body, ...opts });
const getJob = (mock, jobid, opts) => call(mock, 'GET', `/images/${enc(jobid)}`, opts);

/** Raw HTTP request with an exact path (fetch would normalise '..'). */
function rawRequest(port, method, rawPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Wait until fn() is truthy (polling), or fail after ms. */
async function waitFor(fn, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(20);
  }
  throw new Error('timed out waiting');
}

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

  describe('faults', () => {
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

describe('static files', () => {
  let mock;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-static-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<h1>demo</h1>');
    fs.writeFileSync(path.join(dir, 'app.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    fs.writeFileSync(path.join(dir, 'app.mjs'), 'export {}');
    mock = await startMock({ static: [{ dir, prefix: '/demo' }] });
  });
  after(async () => {
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('serves index, wasm and js with the right types', async () => {
    const idx = await rawRequest(mock.port, 'GET', '/demo/');
    assert.equal(idx.status, 200);
    assert.match(idx.headers['content-type'], /^text\/html/);
    assert.equal(idx.headers['cache-control'], 'no-store');
    assert.equal(idx.body.toString(), '<h1>demo</h1>');
    assert.equal((await rawRequest(mock.port, 'GET', '/demo/app.wasm')).headers['content-type'], 'application/wasm');
    assert.match((await rawRequest(mock.port, 'GET', '/demo/app.mjs')).headers['content-type'], /^text\/javascript/);
    assert.equal((await rawRequest(mock.port, 'GET', '/demo')).status, 301);
    assert.equal((await rawRequest(mock.port, 'GET', '/demo/missing.js')).status, 404);
  });

  test('no directory traversal', async () => {
    for (const p of ['/demo/../etc/passwd', '/demo/%2e%2e/%2e%2e/etc/passwd', '/demo/..%2f..%2fetc%2fpasswd']) {
      const r = await rawRequest(mock.port, 'GET', p);
      assert.ok([403, 404].includes(r.status), `${p} → ${r.status}`);
    }
  });
});

describe('CLI', () => {
  test('parseArgs', () => {
    const o = parseArgs(['--port', '0', '--static', 'www', '--static', 'pkg:/pkg/', '--token', 'x', '--complete-after-ms=10']);
    assert.deepEqual(o.static, [{ dir: 'www', prefix: '/' }, { dir: 'pkg', prefix: '/pkg/' }]);
    assert.deepEqual(o.tokens, ['user:12345-sandbox', 'x']);
    assert.equal(o.completeAfterMs, 10);
    assert.throws(() => parseArgs(['--bogus']));
  });

  test('runs, writes port and pid files, stops on SIGTERM', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-cli-'));
    const portFile = path.join(tmp, 'port');
    const pidFile = path.join(tmp, 'pid');
    const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--port', '0', '--port-file', portFile, '--pid-file', pidFile, '--token', 'cli-token'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      const port = Number(await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(portFile, 'utf8')));
      assert.ok(port > 0);
      assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), child.pid);
      const res = await fetch(`http://127.0.0.1:${port}/v1/dreamina/images/${enc(SEEDED.square)}`, { headers: { Authorization: 'Bearer cli-token' } });
      assert.equal(res.status, 200);
      await res.text();
      await waitFor(() => out.includes(`mock Dreamina API listening on http://127.0.0.1:${port}/v1/dreamina`));
    } finally {
      child.kill('SIGTERM');
    }
    assert.deepEqual(await exited, { code: 0, signal: null });
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

describe('png', () => {
  /** Parse chunks, checking every CRC; returns [{type, data}]. */
  function chunks(buf) {
    assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE));
    const out = [];
    for (let off = 8; off < buf.length; ) {
      const len = buf.readUInt32BE(off);
      const type = buf.toString('ascii', off + 4, off + 8);
      const data = buf.subarray(off + 8, off + 8 + len);
      assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
      out.push({ type, data });
      off += 12 + len;
    }
    return out;
  }

  test('valid structure, IHDR size, pixel data size', () => {
    const buf = encodePng(37, 21, 9);
    const cs = chunks(buf);
    assert.deepEqual(cs.map((c) => c.type), ['IHDR', 'PLTE', 'IDAT', 'IEND']);
    assert.deepEqual(pngSize(buf), { width: 37, height: 21 });
    assert.deepEqual([...cs[0].data.subarray(8)], [8, 3, 0, 0, 0]);
    const raw = inflateSync(cs[2].data);
    assert.equal(raw.length, 21 * 38);
    assert.ok(new Set(raw).size > 2, 'has a visible pattern');
  });

  test('crc32 known value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  test('seed changes the palette, cache returns the same buffer', () => {
    assert.notDeepEqual(encodePng(8, 8, 1), encodePng(8, 8, 2));
    assert.equal(encodePng(8, 8, 1), encodePng(8, 8, 1));
    assert.throws(() => encodePng(0, 5));
  });

  test('8192x8192 encodes fast and small', () => {
    const t = Date.now();
    const buf = encodePng(8192, 8192, 77);
    const ms = Date.now() - t;
    assert.deepEqual(pngSize(buf), { width: 8192, height: 8192 });
    assert.ok(ms < 3000, `took ${ms} ms`);
    assert.ok(buf.length < 4 * 1024 * 1024, `${buf.length} bytes`);
  });

  test('pictureSize and nearestRatio', () => {
    assert.deepEqual(pictureSize('16:9', '2k'), { width: 2560, height: 1440 });
    assert.deepEqual(pictureSize('4:3', '1k'), { width: 1152, height: 864 });
    assert.deepEqual(pictureSize('21:9', '8k'), { width: 12096, height: 5184 });
    assert.equal(nearestRatio(1024, 768), '4:3');
    assert.equal(nearestRatio(685, 900), '3:4');
    assert.equal(nearestRatio(1000, 333), '21:9');
  });
});
