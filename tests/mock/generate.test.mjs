// Tests of the mock's POST /images (generation), capacity (maxJobs, 429) and job-time ranges.
// Run: node --test tests/mock/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, SEEDED, parseArgs, promptMarkers, delayRange, pictureSize, nearestRatio, CAPACITY_ERROR, DEFAULT_CAPACITY } from './server.mjs';
import { sleep, call } from './helpers.mjs';

const enc = encodeURIComponent;
const generate = (mock, body, opts = {}) => call(mock, 'POST', '/images', { body, ...opts });
const upscale = (mock, body, opts = {}) => call(mock, 'POST', '/images/upscale', { body, ...opts });
const getJob = (mock, jobid) => call(mock, 'GET', `/images/${enc(jobid)}`);
const now0 = { headers: { 'X-Mock-Complete-After-Ms': '0' } };
const GEN_ID = /^j\d{19}i-u12345-US:user@example\.com:dreamina$/;
const US = 'US:user@example.com';
const CA = 'CA:user@example.com';
const sceneOf = (img) => new URL(img.imageUrl).searchParams.get('scene');

describe('POST /images (generation)', () => {
  let mock;
  before(async () => {
    mock = await startMock({ completeAfterMs: 120 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('created like the provider, then completed with 4 images of the asked size', async () => {
    const r = await generate(mock, { prompt: 'a lake at sunset', ratio: '16:9', replyRef: 'r1' });
    assert.equal(r.status, 200);
    const job = r.body;
    assert.match(job.jobid, GEN_ID);
    assert.equal(job.type, 'image');
    assert.equal(job.status, 'created');
    assert.equal(job.model, 'seedream-4.6', "the provider's default model");
    assert.equal(job.code, 200);
    assert.equal(job.updated, undefined);
    assert.deepEqual(job.request, { prompt: 'a lake at sunset', model: 'seedream-4.6', ratio: '16:9', resolution: '2k', inputMode: 'generate' }, "the provider's echo; its default resolution 2k");
    assert.deepEqual(job.response, { forecastCost: 0 });
    assert.equal(mock.jobsCreated(), 1);
    assert.equal((await getJob(mock, job.jobid)).body.status, 'created');
    await sleep(160);
    const done = (await getJob(mock, job.jobid)).body;
    assert.equal(done.status, 'completed');
    assert.equal(done.response.images.length, 4);
    for (const img of done.response.images) {
      assert.deepEqual([img.width, img.height, img.format], [2560, 1440, 'jpeg'], 'the 2k 16:9 picture');
      assert.ok(img.imageUrl.startsWith(`${mock.url}/files/`));
    }
    assert.equal(new Set(done.response.images.map(sceneOf)).size, 4, 'four different pictures');
  });

  test('pictures are drawn from the prompt and the seed, deterministically', async () => {
    const scenes = async (body, m = mock) => {
      const r = await generate(m, body, now0);
      return (await getJob(m, r.body.jobid)).body.response.images.map(sceneOf);
    };
    const a = await scenes({ prompt: 'snowy alps' });
    assert.deepEqual(await scenes({ prompt: 'snowy alps' }), a, 'same prompt, same pictures');
    assert.deepEqual(await scenes({ prompt: 'snowy alps [mock:fail-upscale=1]' }), a, 'markers do not change the pictures');
    assert.notDeepEqual(await scenes({ prompt: 'snowy alps at night' }), a);
    mock.setConfig({ seed: 7 });
    assert.notDeepEqual(await scenes({ prompt: 'snowy alps' }), a, 'another seed, other pictures');
    const other = await startMock({ seed: 7 });
    try {
      assert.deepEqual(await scenes({ prompt: 'snowy alps' }, other), await scenes({ prompt: 'snowy alps' }));
    } finally {
      await other.close();
    }
    const theme = new URL((await getJob(mock, (await generate(mock, { prompt: 'stars at night' }, now0)).body.jobid)).body.response.images[0].imageUrl).searchParams.get('theme');
    assert.equal(theme, 'night', 'the prompt picks the theme');
  });

  test('model, resolution, references, imageStrength and account: echoed as the provider does, run on that account', async () => {
    const r = await generate(mock, {
      imageRef_1: 'asset-1', imageRef_2: 'asset-2', model: 'seedream-4.5', resolution: '4k', ratio: '3:4', imageStrength: 0.7,
      account: CA, replyUrl: 'http://127.0.0.1:9/hook', maxJobs: 3,
    }, now0);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.jobid, /i-u12345-CA:user@example\.com:dreamina$/);
    assert.equal(r.body.model, 'seedream-4.5');
    assert.deepEqual(r.body.request, { model: 'seedream-4.5', ratio: '3:4', resolution: '4k', inputMode: 'generate', imageRef_1: 'asset-1', imageRef_2: 'asset-2', imageStrength: 0.7 });
    assert.equal(r.body.response.forecastCost, 4, 'seedream-4.5 is not free');
    const img = (await getJob(mock, r.body.jobid)).body.response.images[0];
    assert.deepEqual([img.width, img.height], [3456, 4608]);
    assert.match(img.assetRef, /^CA:user@example\.com-image:w3456:h4608:s\d+-uri:tos-mock-i-dreamina\/gen-/);
    assert.match(img.assetId, /^CA:user@example\.com:\d{19}$/);
    assert.equal(img.assetId, `${CA}:${img.itemId}`);
  });

  test('each model gets its default resolution and ratio', async () => {
    const made = async (body) => (await generate(mock, { prompt: 'p', ...body })).body.request;
    assert.deepEqual(await made({}), { prompt: 'p', model: 'seedream-4.6', ratio: 'auto', resolution: '2k', inputMode: 'generate' });
    assert.equal((await made({ model: 'nano-banana' })).resolution, '1k');
    assert.deepEqual(await made({ model: 'seedream-3.0' }), { prompt: 'p', model: 'seedream-3.0', ratio: '1:1', resolution: '1k', inputMode: 'generate' }, 'no auto ratio');
    assert.equal((await made({ model: 'seedream-5.0-lite' })).resolution, '2k');
    const gpt = await generate(mock, { prompt: 'p', model: 'gpt-image-2' }, now0);
    assert.match(gpt.body.jobid, /-CA:user@example\.com:dreamina$/, 'a CA-only model runs on the CA account');
    assert.deepEqual([gpt.body.request.ratio, gpt.body.request.resolution], ['1:1', '1k']);
    const img = (await getJob(mock, gpt.body.jobid)).body.response.images[0];
    assert.deepEqual([img.width, img.height], [1024, 1024]);
  });

  test('sizes per ratio and resolution (2k from the provider; 1k half, 4k twice, 8k four times)', () => {
    assert.deepEqual(pictureSize('16:9', '2k'), { width: 2560, height: 1440 });
    assert.deepEqual(pictureSize('1:1', '1k'), { width: 1024, height: 1024 });
    assert.deepEqual(pictureSize('21:9', '4k'), { width: 6048, height: 2592 });
    assert.deepEqual(pictureSize('9:16', '2k'), { width: 1440, height: 2560 });
    assert.deepEqual(pictureSize('3:2', '8k'), { width: 9984, height: 6656 });
    assert.equal(nearestRatio(1024, 768), '4:3');
    assert.equal(nearestRatio(685, 900), '3:4');
    assert.equal(nearestRatio(1000, 333), '21:9');
  });

  const cases = [
    ['no prompt and no reference', 'Parameter prompt is required', {}],
    ['blank prompt', 'Parameter prompt is required', { prompt: '  ' }],
    ['prompt not a string', 'Parameter prompt must be a string', { prompt: 5 }],
    ['prompt of 1601 characters', 'Parameter prompt must be at most 1600 characters', { prompt: 'x'.repeat(1601) }],
    ['model not a string', 'Parameter model must be a non-empty string', { prompt: 'p', model: 4 }],
    ['ratio 5:4', 'Parameter ratio must be one of auto, 1:1, 3:4, 16:9, 4:3, 9:16, 2:3, 3:2, 21:9', { prompt: 'p', ratio: '5:4' }],
    ['resolution 8k', 'Parameter resolution must be one of 1k, 2k, 4k', { prompt: 'p', resolution: '8k' }],
    ['imageRef_2 without imageRef_1', 'Parameter imageRef_1 is required when imageRef_2 is given', { prompt: 'p', imageRef_2: 'a' }],
    ['imageRef_1 not a string', 'Parameter imageRef_1 must be a non-empty string', { imageRef_1: 3 }],
    ['account empty', 'Parameter account must be a non-empty string', { prompt: 'p', account: '' }],
    ['imageStrength 1.5', 'Parameter imageStrength must be a number 0-1', { prompt: 'p', imageStrength: 1.5 }],
    ['imageStrength a string', 'Parameter imageStrength must be a number 0-1', { prompt: 'p', imageStrength: '0.5' }],
    // The model table, after the structural checks: refused before anything is billed.
    ['an unknown model', 'Parameter model (seedream-9.9) is not supported. Valid values: seedream-5.0-lite, seedream-4.7, seedream-4.6, seedream-4.5, seedream-4.1, seedream-4.0, nano-banana, seedream-3.0, gpt-image-2', { prompt: 'p', model: 'seedream-9.9' }],
    ['1k on seedream-4.6', 'Parameter resolution (1k) is not supported by model seedream-4.6. Valid values: 2k, 4k', { prompt: 'p', resolution: '1k' }],
    ['4k on seedream-3.0', 'Parameter resolution (4k) is not supported by model seedream-3.0. Valid values: 1k, 2k', { prompt: 'p', model: 'seedream-3.0', resolution: '4k' }],
    ['2k on nano-banana', 'Parameter resolution (2k) is not supported by model nano-banana. Valid values: 1k', { prompt: 'p', model: 'nano-banana', resolution: '2k' }],
    ['auto on seedream-3.0', 'Parameter ratio (auto) is not supported by model seedream-3.0. Valid values: 1:1, 3:4, 16:9, 4:3, 9:16, 2:3, 3:2, 21:9', { prompt: 'p', model: 'seedream-3.0', ratio: 'auto' }],
    ['16:9 on gpt-image-2', 'Parameter ratio (16:9) is not supported by model gpt-image-2. Valid values: 1:1, 2:3, 3:2', { prompt: 'p', model: 'gpt-image-2', ratio: '16:9' }],
    ['no prompt on nano-banana', 'Parameter prompt is required by model nano-banana', { model: 'nano-banana', imageRef_1: 'a' }],
    ['2 references on seedream-3.0', 'Parameter imageRef_2 is not supported by model seedream-3.0: at most 1 reference image', { prompt: 'p', model: 'seedream-3.0', imageRef_1: 'a', imageRef_2: 'b' }],
    ['4 references on nano-banana', 'Parameter imageRef_4 is not supported by model nano-banana: at most 3 reference images', { prompt: 'p', model: 'nano-banana', imageRef_1: 'a', imageRef_2: 'b', imageRef_3: 'c', imageRef_4: 'd' }],
    ['a CA-only model on a US account', 'Parameter model (seedream-4.7) is available in region CA only, not on a US account', { prompt: 'p', model: 'seedream-4.7', account: US }],
    ['maxJobs 51', 'Parameter maxJobs must be an integer 1-50', { prompt: 'p', maxJobs: 51 }],
    ['replyUrl relative', 'Parameter replyUrl must be a valid URL', { prompt: 'p', replyUrl: '/x' }],
    ['replyRef number', 'Parameter replyRef must be a string', { prompt: 'p', replyRef: 1 }],
  ];
  for (const [name, message, body] of cases) {
    test(`400 on ${name}`, async () => {
      const r = await generate(mock, body);
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { error: message, code: 400 });
      assert.equal(mock.jobsCreated(), 0);
    });
  }
  test('404 for an account that is not linked; nothing is created', async () => {
    const r = await generate(mock, { prompt: 'p', account: 'US:nobody@example.com' });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'Unable to find configuration for account US:nobody@example.com', code: 404 });
    assert.equal(mock.jobsCreated(), 0);
  });

  test('400 on a body that is not JSON; 1600 characters (code points) pass', async () => {
    assert.deepEqual((await call(mock, 'POST', '/images', { raw: '{' })).body, { error: 'Invalid JSON body', code: 400 });
    assert.equal((await generate(mock, { prompt: 'y'.repeat(1600) })).status, 200);
    assert.equal((await generate(mock, { prompt: '🏔'.repeat(1600) })).status, 200, 'code points, not UTF-16 units');
    assert.equal((await generate(mock, { prompt: '🏔'.repeat(1601) })).status, 400);
  });

  test('upscales of a generation: running source refused, then the same picture upscaled', async () => {
    const gen = (await generate(mock, { prompt: 'green meadow' })).body;
    const early = await upscale(mock, { jobid: gen.jobid, imageIndex: 1 });
    assert.deepEqual(early.body, { error: 'Source image job is created, must be completed', code: 400 });
    await sleep(150);
    const src = (await getJob(mock, gen.jobid)).body.response.images[1];
    const up = await upscale(mock, { jobid: gen.jobid, imageIndex: 1, upscaleResolution: '2k' }, now0);
    assert.equal(up.status, 200);
    assert.match(up.body.jobid, /^j\d{19}I-u12345-US:user@example\.com:dreamina$/);
    const done = (await getJob(mock, up.body.jobid)).body;
    assert.equal(done.status, 'completed');
    assert.deepEqual([done.response.images[0].width, done.response.images[0].height], [2048, 2048]);
    assert.equal(sceneOf(done.response.images[0]), sceneOf(src), 'the upscale shows its source picture');
  });

  test('markers: [mock:fail], [mock:images=N], [mock:fail-upscale=N]', async () => {
    const failed = (await generate(mock, { prompt: 'boom [mock:fail]' }, now0)).body;
    const f = (await getJob(mock, failed.jobid)).body;
    assert.equal(f.status, 'failed');
    assert.equal(f.error, 'fail_code: 2043');
    assert.equal(typeof f.errorDetails, 'string');
    assert.deepEqual((await upscale(mock, { jobid: failed.jobid })).body, { error: 'Source image job is failed, must be completed', code: 400 });

    const two = (await generate(mock, { prompt: 'two [mock:images=2]' }, now0)).body;
    assert.equal((await getJob(mock, two.jobid)).body.response.images.length, 2);
    assert.equal((await upscale(mock, { jobid: two.jobid, imageIndex: 2 })).status, 400);

    const mixed = (await generate(mock, { prompt: 'dunes [mock:fail-upscale=0,3]' }, now0)).body;
    const states = [];
    for (let i = 0; i < 4; i++) {
      const u = await upscale(mock, { jobid: mixed.jobid, imageIndex: i }, now0);
      states.push((await getJob(mock, u.body.jobid)).body.status);
    }
    assert.deepEqual(states, ['failed', 'completed', 'completed', 'failed']);
    assert.deepEqual([...promptMarkers('a [mock:fail-upscale=2] b').failUpscale], [2]);
    assert.equal(promptMarkers('a [mock:fail-upscale=2]  b').clean, 'a b');
  });

  test('seeded partial (image 2 fails) and pair (2 images)', async () => {
    const states = [];
    for (let i = 0; i < 4; i++) {
      const u = await upscale(mock, { jobid: SEEDED.partial, imageIndex: i }, now0);
      states.push((await getJob(mock, u.body.jobid)).body.status);
    }
    assert.deepEqual(states, ['completed', 'completed', 'failed', 'completed']);
    const pair = (await getJob(mock, SEEDED.pair)).body;
    assert.equal(pair.response.images.length, 2);
    assert.deepEqual([pair.response.images[0].width, pair.response.images[0].height], [1024, 768]);
  });

  test('webhook for a generation', async () => {
    const hooks = [];
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        hooks.push(JSON.parse(b));
        res.end('ok');
      });
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const r = await generate(mock, { prompt: 'hook', replyUrl: `http://127.0.0.1:${srv.address().port}/h`, replyRef: 'gen-1' }, { headers: { 'X-Mock-Complete-After-Ms': '20' } });
      const deadline = Date.now() + 3000;
      while (!hooks.length && Date.now() < deadline) await sleep(20);
      assert.equal(hooks.length, 1);
      assert.equal(hooks[0].jobid, r.body.jobid);
      assert.equal(hooks[0].status, 'completed');
      assert.equal(hooks[0].replyRef, 'gen-1');
      assert.equal(hooks[0].response.images.length, 4);
    } finally {
      srv.close();
    }
  });
});

describe('capacity (maxJobs)', () => {
  let mock;
  before(async () => {
    mock = await startMock({ completeAfterMs: 60_000, capacity: 3 });
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('a POST over capacity answers 429 and creates nothing; generations and upscales count alike', async () => {
    assert.equal((await generate(mock, { prompt: 'one', account: US })).status, 200);
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
    assert.equal((await upscale(mock, { jobid: SEEDED.wide })).status, 200);
    for (const r of [await upscale(mock, { jobid: SEEDED.square }), await generate(mock, { prompt: 'four', account: US })]) {
      assert.equal(r.status, 429);
      assert.deepEqual(r.body, { error: CAPACITY_ERROR, code: 429 });
      assert.match(r.body.error, /all accounts at capacity/);
      assert.equal(r.headers.get('retry-after'), null);
    }
    assert.equal(mock.jobsCreated(), 3);
    assert.equal(mock.maxRunning(), 3);
    assert.equal(mock.running(), 3);
  });

  test('validation comes before capacity', async () => {
    mock.setConfig({ capacity: 1 });
    await upscale(mock, { jobid: SEEDED.square });
    assert.equal((await upscale(mock, { jobid: SEEDED.square, imageIndex: 9 })).status, 400);
    assert.equal((await upscale(mock, { jobid: 'j1i-u1-US:x@y.z:dreamina' })).status, 404);
    assert.equal((await generate(mock, {})).status, 400);
    assert.equal((await generate(mock, { prompt: 'p', account: US, resolution: '1k' })).status, 400, 'the model table too');
    assert.equal((await generate(mock, { prompt: 'p', account: US })).status, 429);
  });

  test('a request maxJobs overrides the account limit, both ways', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
    assert.equal((await upscale(mock, { jobid: SEEDED.square, maxJobs: 5 })).status, 200);
    assert.equal((await generate(mock, { prompt: 'p', maxJobs: 5, account: US })).status, 200);
    assert.equal((await generate(mock, { prompt: 'p', maxJobs: 5, account: US })).status, 429);
    assert.equal((await upscale(mock, { jobid: SEEDED.square, maxJobs: 2 })).status, 429);
    assert.equal(mock.maxRunning(), 5);
  });

  test('each account has its own limit; an upscale runs on its source account', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await generate(mock, { prompt: 'p', account: US })).status, 200);
    const other = await generate(mock, { prompt: 'p', account: CA }, { headers: { 'X-Mock-Complete-After-Ms': '0' } });
    assert.equal(other.status, 200);
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 429);
    assert.equal((await upscale(mock, { jobid: other.body.jobid })).status, 200);
    assert.match(other.body.jobid, /-CA:user@example\.com:dreamina$/);
    assert.equal(mock.running(CA), 1);
    assert.equal(mock.maxRunning(), 4, 'the most running over all accounts');
  });

  test('no account named: the first linked one with room runs it; 429 only when all are full', async () => {
    const made = [];
    for (let i = 0; i < 9; i++) {
      const r = await generate(mock, { prompt: `p${i}` });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      made.push(r.body.jobid.split('-u12345-')[1].replace(/:dreamina$/, ''));
    }
    assert.deepEqual(made, [...Array(3).fill(US), ...Array(3).fill(CA), ...Array(3).fill('US:we/ird?#%x@example.com')]);
    const full = await generate(mock, { prompt: 'ten' });
    assert.equal(full.status, 429);
    assert.match(full.body.error, /all accounts at capacity/);
    assert.equal(mock.jobsCreated(), 9);
  });

  test('finished jobs free capacity; Retry-After when configured; reset clears the counters', async () => {
    mock.setConfig({ capacity: 2, capacityRetryAfterSec: 2 });
    const fast = { headers: { 'X-Mock-Complete-After-Ms': '80' } };
    assert.equal((await upscale(mock, { jobid: SEEDED.square }, fast)).status, 200);
    assert.equal((await upscale(mock, { jobid: SEEDED.square }, fast)).status, 200);
    const full = await upscale(mock, { jobid: SEEDED.square });
    assert.equal(full.status, 429);
    assert.equal(full.headers.get('retry-after'), '2');
    await sleep(120);
    assert.equal(mock.running(), 0);
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
    assert.equal(mock.jobsCreated(), 3);
    assert.equal(mock.maxRunning(), 2);
    mock.reset();
    assert.equal(mock.maxRunning(), 0);
    assert.equal(mock.jobsCreated(), 0);
    assert.equal(mock.state.config.capacity, 3, 'reset restores the configured capacity');
  });

  test('a cancelled job frees its place', async () => {
    mock.setConfig({ capacity: 1 });
    const a = await upscale(mock, { jobid: SEEDED.square });
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 429);
    await call(mock, 'DELETE', `/scheduler/${enc(a.body.jobid)}`);
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
  });

  test('capacity over the control API and in the state', async () => {
    const ctl = (method, route, body) =>
      fetch(`${mock.url}/__mock/${route}`, { method, body: body && JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const set = await ctl('POST', 'config', { capacity: 1, capacityRetryAfterSec: 5 });
    assert.equal(set.status, 200);
    assert.equal(set.body.capacity, 1);
    await upscale(mock, { jobid: SEEDED.square });
    const r = await upscale(mock, { jobid: SEEDED.square });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '5');
    const st = (await ctl('GET', 'state')).body;
    assert.deepEqual([st.jobsCreated, st.maxRunning, st.running, st.config.capacity], [1, 1, 1, 1]);
    assert.equal((await ctl('POST', 'config', { capacity: 0 })).status, 400);
    assert.equal((await ctl('POST', 'config', { capacityRetryAfterSec: 'x' })).status, 400);
    assert.equal((await ctl('POST', 'config', { capacity: null })).status, 200, 'null = no limit');
    assert.equal((await upscale(mock, { jobid: SEEDED.square })).status, 200);
    await ctl('POST', 'reset');
    const after = (await ctl('GET', 'state')).body;
    assert.deepEqual([after.jobsCreated, after.maxRunning, after.running, after.config.capacity], [0, 0, 0, 3]);
  });

  test('the default capacity is the provider default, 10', async () => {
    assert.equal(DEFAULT_CAPACITY, 10);
    const m = await startMock({ completeAfterMs: 60_000 });
    try {
      const codes = [];
      for (let i = 0; i < 11; i++) codes.push((await upscale(m, { jobid: SEEDED.square })).status);
      assert.deepEqual(codes, [...Array(10).fill(200), 429]);
      assert.equal(m.maxRunning(), 10);
    } finally {
      await m.close();
    }
  });
});

describe('job time', () => {
  test('completeAfterMs as a range is drawn per job, the same in every run', async () => {
    const delays = async () => {
      const m = await startMock({ completeAfterMs: { min: 1000, max: 3000 }, capacity: null });
      try {
        const out = [];
        for (let i = 0; i < 20; i++) {
          const r = await upscale(m, { jobid: SEEDED.square });
          const job = m.state.jobs.get(r.body.jobid);
          out.push(job.completeAt - job.createdAt);
        }
        return out;
      } finally {
        await m.close();
      }
    };
    const a = await delays();
    assert.ok(a.every((d) => d >= 1000 && d <= 3000), a.join());
    assert.ok(new Set(a).size > 10, 'drawn, not constant');
    assert.deepEqual(await delays(), a, 'deterministic');
  });

  test('range forms and the header still wins', async () => {
    assert.deepEqual(delayRange('1000-3000'), { min: 1000, max: 3000 });
    assert.deepEqual(delayRange('250'), { min: 250, max: 250 });
    assert.deepEqual(delayRange(5), { min: 5, max: 5 });
    for (const bad of ['3000-1000', '-5', 'x', { min: 1 }, -1, NaN]) assert.equal(delayRange(bad), null, String(bad));
    assert.equal(parseArgs(['--complete-after-ms', '1000-3000']).completeAfterMs, '1000-3000');
    assert.throws(() => parseArgs(['--complete-after-ms', 'soon']));
    const o = parseArgs(['--capacity', '3', '--capacity-retry-after', '2', '--seed', '9']);
    assert.deepEqual([o.capacity, o.capacityRetryAfterSec, o.seed], [3, 2, 9]);
    assert.equal(parseArgs(['--capacity', 'none']).capacity, null);
    const m = await startMock({ completeAfterMs: '100-200' });
    try {
      assert.deepEqual(m.state.config.completeAfterMs, { min: 100, max: 200 });
      const r = await upscale(m, { jobid: SEEDED.square }, now0);
      assert.equal((await getJob(m, r.body.jobid)).body.status, 'completed');
      assert.throws(() => m.setConfig({ completeAfterMs: 'later' }), /completeAfterMs/);
      await assert.rejects(startMock({ capacity: 2.5 }), /capacity/);
    } finally {
      await m.close();
    }
  });
});
