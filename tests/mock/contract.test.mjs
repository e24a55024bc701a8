// Tests of the rest of the provider's contract: accounts and credits, the scheduler (running
// jobs, cancel), uploads and the pictures derived from them, the history, webhooks.
// Run: node --test tests/mock/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { deflateSync } from 'node:zlib';
import { startMock, SEEDED, LINKED_ACCOUNTS, MAX_UPLOAD_BYTES } from './server.mjs';
import { encodeRaw } from './png.mjs';
import { encodeJpeg } from './jpeg.mjs';
import { rasterOf } from './raster.mjs';
import { TOKEN, sleep, call, decodePicture, downsample } from './helpers.mjs';

const enc = encodeURIComponent;
const US = 'US:user@example.com';
const CA = 'CA:user@example.com';
const now0 = { headers: { 'X-Mock-Complete-After-Ms': '0' } };
const generate = (mock, body, opts = {}) => call(mock, 'POST', '/images', { body, ...opts });
const upscale = (mock, body, opts = {}) => call(mock, 'POST', '/images/upscale', { body, ...opts });
const getJob = async (mock, jobid) => (await call(mock, 'GET', `/images/${enc(jobid)}`)).body;

/** POST raw bytes to /assets/{account}. */
async function upload(mock, account, bytes, type) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (type) headers['Content-Type'] = type;
  const res = await fetch(`${mock.baseUrl}/assets/${enc(account)}`, { method: 'POST', headers, body: bytes });
  return { status: res.status, body: await res.json() };
}

/** A w x h RGB PNG: the left half red, the right half blue (a "photo" easy to recognise). */
function redBluePng(w, h) {
  const stride = 1 + w * 3;
  const raw = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [220, 30, 30] : [30, 40, 220], y * stride + 1 + x * 3);
  return encodeRaw(w, h, 2, deflateSync(raw));
}

/** Mean colour of the left and the right half of a picture at `url`. */
async function halves(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const pic = decodePicture(Buffer.from(await res.arrayBuffer()));
  const two = downsample(pic, 2, 1);
  return { width: pic.width, height: pic.height, left: [...two.rgb.slice(0, 3)], right: [...two.rgb.slice(3, 6)] };
}

describe('accounts and credits', () => {
  let mock;
  before(async () => { mock = await startMock({ completeAfterMs: 60_000 }); });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  test('GET /accounts: a map keyed by account id, US and CA', async () => {
    const r = await call(mock, 'GET', '/accounts');
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body), LINKED_ACCOUNTS);
    assert.deepEqual(Object.keys(r.body[CA]).sort(), ['account', 'email', 'maxJobs', 'region', 'sessionExpires']);
    assert.deepEqual([r.body[CA].account, r.body[CA].email, r.body[CA].region, r.body[CA].maxJobs], [CA, 'user@example.com', 'CA', 10]);
    assert.ok(Date.parse(r.body[US].sessionExpires) > Date.now());
    assert.equal((await call(mock, 'GET', '/accounts', { token: 'user:1-wrong' })).status, 401);
  });

  test('GET /accounts/{account}: session, models of its region, credits that go down as jobs are made', async () => {
    const get = async (a) => (await call(mock, 'GET', `/accounts/${enc(a)}`)).body;
    const us = await get(US);
    assert.deepEqual(Object.keys(us.session).sort(), ['daysUntilExpiry', 'expires', 'lastRefreshed']);
    assert.ok(!us.models.image.includes('seedream-4.7') && !us.models.image.includes('gpt-image-2'), 'CA-only models');
    assert.ok((await get(CA)).models.image.includes('gpt-image-2'));
    assert.ok(us.models.image.includes('seedream-4.6') && us.models.video.length > 0);
    const { total, vip, gift, purchase } = us.credits;
    assert.equal(total, vip + gift + purchase);
    assert.equal((await generate(mock, { prompt: 'free', account: US })).status, 200);
    assert.equal((await get(US)).credits.total, total, 'seedream-4.6 is free');
    const paid = await generate(mock, { prompt: 'paid', model: 'seedream-4.5', account: US });
    assert.equal(paid.body.response.forecastCost, 4);
    assert.equal((await get(US)).credits.total, total - 4);
    assert.equal((await get(CA)).credits.total, total, 'another account is not charged');
    // The weird account's id is one encoded path segment.
    assert.equal((await get(LINKED_ACCOUNTS[2])).account, LINKED_ACCOUNTS[2]);
    const missing = await call(mock, 'GET', `/accounts/${enc('US:nobody@example.com')}`);
    assert.deepEqual([missing.status, missing.body.error], [404, 'Unable to find configuration for account US:nobody@example.com']);
  });

  test('412 when the account has too few credits; nothing is created', async () => {
    const acct = mock.state.accounts.get(US);
    Object.assign(acct.credits, { vip: 3, gift: 0, purchase: 0 });
    const r = await generate(mock, { prompt: 'p', model: 'seedream-4.5', account: US });
    assert.deepEqual([r.status, r.body], [412, { error: 'Not enough credits', code: 412 }]);
    assert.equal(mock.jobsCreated(), 0);
    assert.equal(acct.credits.vip, 3, 'nothing taken');
    assert.equal((await generate(mock, { prompt: 'p', account: US })).status, 200, 'a free model still runs');
  });
});

describe('scheduler: running jobs and cancel', () => {
  let mock;
  let hook;
  const calls = [];
  before(async () => {
    mock = await startMock({ completeAfterMs: 60_000 });
    hook = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        calls.push({ path: req.url, headers: req.headers, body: JSON.parse(b) });
        res.end('ok');
      });
    });
    await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    hook.close();
    hook.closeAllConnections();
    await mock.close();
  });
  beforeEach(() => {
    mock.reset();
    calls.length = 0;
  });
  const hookUrl = (p) => `http://127.0.0.1:${hook.address().port}${p}`;
  const waitCalls = async (n) => {
    for (let i = 0; i < 150 && calls.length < n; i++) await sleep(20);
    return calls;
  };

  test('GET /scheduler lists the jobs executing now, grouped by account', async () => {
    const a = (await upscale(mock, { jobid: SEEDED.square, replyUrl: hookUrl('/a') })).body;
    const b = (await generate(mock, { prompt: 'p', account: CA })).body;
    await upscale(mock, { jobid: SEEDED.square }, now0); // done at once: not listed
    const r = await call(mock, 'GET', '/scheduler');
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 3, 'the two, and the seeded running job');
    assert.deepEqual(Object.keys(r.body.executing).sort(), [CA, US]);
    const entry = r.body.executing[US].find((e) => e.jobid === a.jobid);
    assert.deepEqual(Object.keys(entry).sort(), ['elapsedSeconds', 'jobid', 'model', 'replyUrl', 'submitId']);
    assert.equal(entry.replyUrl, hookUrl('/a'));
    assert.deepEqual(r.body.executing[CA].map((e) => e.jobid), [b.jobid]);
    assert.ok(r.body.executing[US].some((e) => e.jobid === SEEDED.running));
  });

  test('DELETE cancels: 204, the job failed "Cancelled by user", its webhook called at once, off the list', async () => {
    const a = (await generate(mock, { prompt: 'p', account: US, replyUrl: hookUrl('/c'), replyRef: 'ref-c' })).body;
    const del = await call(mock, 'DELETE', `/scheduler/${enc(a.jobid)}`);
    assert.deepEqual([del.status, del.body], [204, '']);
    const job = await getJob(mock, a.jobid);
    assert.deepEqual([job.status, job.error], ['failed', 'Cancelled by user']);
    const [c] = await waitCalls(1);
    assert.equal(c.path, '/c');
    assert.deepEqual([c.body.jobid, c.body.status, c.body.error, c.body.replyRef], [a.jobid, 'failed', 'Cancelled by user', 'ref-c']);
    assert.equal(c.headers['x-signature'], undefined, 'unsigned');
    const list = (await call(mock, 'GET', '/scheduler')).body;
    assert.ok(!(list.executing[US] ?? []).some((e) => e.jobid === a.jobid));
  });

  test('an account-wide replyUrl (config) gets calls for jobs that named none', async () => {
    mock.setConfig({ replyUrl: hookUrl('/account') });
    const own = (await upscale(mock, { jobid: SEEDED.square, replyUrl: hookUrl('/own') }, { headers: { 'X-Mock-Complete-After-Ms': '10' } })).body;
    const none = (await upscale(mock, { jobid: SEEDED.wide }, { headers: { 'X-Mock-Complete-After-Ms': '10' } })).body;
    await waitCalls(2);
    await sleep(50);
    assert.deepEqual(calls.map((c) => [c.path, c.body.jobid, c.body.status]).sort(), [['/account', none.jobid, 'completed'], ['/own', own.jobid, 'completed']].sort());
    assert.equal(calls.find((c) => c.path === '/account').body.replyRef, undefined);
    assert.throws(() => mock.setConfig({ replyUrl: `http://x/${'a'.repeat(1024)}` }), /replyUrl/);
  });
});

describe('uploads (POST /assets/{account}) and pictures derived from them', () => {
  let mock;
  before(async () => { mock = await startMock({ completeAfterMs: 0 }); });
  after(() => mock.close());

  test('an upload answers its assetRef in the provider shape', async () => {
    const png = redBluePng(64, 48);
    const r = await upload(mock, US, png, 'image/png');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['account', 'assetRef', 'height', 'size', 'width']);
    assert.deepEqual([r.body.account, r.body.width, r.body.height, r.body.size], [US, 64, 48, png.length]);
    assert.match(r.body.assetRef, new RegExp(`^US:user@example\\.com-image:w64:h48:s${png.length}-uri:tos-mock-i-upload/`));
    const log = mock.requests().at(-1);
    assert.equal(log.body, `<${png.length} bytes>`, 'the log notes the size, not the bytes');
  });

  test('JPEG and WebP headers are read for their size', async () => {
    // SOI, an APP0 segment, then SOF0 with height 300 and width 400.
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x01, 0x2c, 0x01, 0x90, 1, 1, 0x11, 0, 0xff, 0xd9]);
    const j = await upload(mock, CA, jpeg, 'image/jpeg');
    assert.deepEqual([j.status, j.body.width, j.body.height, j.body.account], [200, 400, 300, CA]);
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0); webp.writeUInt32LE(22, 4); webp.write('WEBPVP8X', 8); webp.writeUInt32LE(10, 16);
    webp.writeUIntLE(639, 24, 3); webp.writeUIntLE(479, 27, 3);
    const w = await upload(mock, US, webp, 'image/webp');
    assert.deepEqual([w.status, w.body.width, w.body.height], [200, 640, 480]);
  });

  test('refusals: empty, wrong or missing type, bytes not of the type, too large, unknown account', async () => {
    const png = redBluePng(8, 8);
    assert.deepEqual(await upload(mock, US, Buffer.alloc(0), 'image/png'), { status: 400, body: { error: 'Image is empty', code: 400 } });
    assert.deepEqual(await upload(mock, US, png, 'image/bmp'), { status: 400, body: { error: 'Content-Type (image/bmp) not supported. Valid values: image/jpeg, image/png, image/webp', code: 400 } });
    assert.equal((await upload(mock, US, png)).body.error.startsWith('Content-Type ('), true);
    assert.equal((await upload(mock, US, png, 'image/jpeg')).status, 400, 'PNG bytes are not a JPEG');
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    png.copy(big);
    const tooBig = await upload(mock, US, big, 'image/png');
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.body.error, /too large/);
    const nobody = await upload(mock, 'US:nobody@example.com', png, 'image/png');
    assert.deepEqual([nobody.status, nobody.body.error], [404, 'Unable to find configuration for account US:nobody@example.com']);
    const unauth = await fetch(`${mock.baseUrl}/assets/${enc(US)}`, { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: png });
    assert.equal(unauth.status, 401);
    await unauth.text();
  });

  test('an uploaded photo as imageRef_1: the job runs on its account, auto follows its shape, the pictures and their upscale show it', async () => {
    const asset = (await upload(mock, CA, redBluePng(120, 160), 'image/png')).body;
    const gen = (await generate(mock, { imageRef_1: asset.assetRef, imageStrength: 1 })).body;
    assert.match(gen.jobid, /-CA:user@example\.com:dreamina$/, "the reference names the account");
    const done = await getJob(mock, gen.jobid);
    assert.equal(done.status, 'completed');
    const img = done.response.images[0];
    assert.deepEqual([img.width, img.height], [1728, 2304], 'auto: the 3:4 picture, like the 120x160 photo');
    const pic = await halves(img.imageUrl);
    assert.ok(pic.left[0] > 150 && pic.left[2] < 110, `left half red: ${pic.left.map(Math.round)}`);
    assert.ok(pic.right[2] > 150 && pic.right[0] < 110, `right half blue: ${pic.right.map(Math.round)}`);
    const up = (await upscale(mock, { jobid: gen.jobid, upscaleResolution: '4k' })).body;
    const upImg = (await getJob(mock, up.jobid)).response.images[0];
    const big = await halves(upImg.imageUrl);
    assert.deepEqual([big.width, big.height], [3456, 4608]);
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(big.left[c] - pic.left[c]) < 6 && Math.abs(big.right[c] - pic.right[c]) < 6, 'the upscale is the same picture');
    }
    // A weaker imageStrength keeps less of the photo; a generated picture passes its photo on.
    const weak = await getJob(mock, (await generate(mock, { imageRef_1: asset.assetRef, imageStrength: 0 })).body.jobid);
    const faint = await halves(weak.response.images[0].imageUrl);
    assert.ok(faint.left[0] - faint.right[0] < pic.left[0] - pic.right[0], 'less red on the left');
    const again = await getJob(mock, (await generate(mock, { imageRef_1: img.assetRef, imageStrength: 1 })).body.jobid);
    assert.ok((await halves(again.response.images[0].imageUrl)).left[0] > 150, 'from a generated picture of the photo');
  });

  test('a JPEG photo works the same way', async () => {
    const rgb = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < 64 * 64; i++) rgb.set((i % 64) < 32 ? [220, 30, 30] : [30, 40, 220], i * 3);
    const jpeg = encodeJpeg(rasterOf({ width: 64, height: 64, rgb }));
    const asset = (await upload(mock, US, jpeg, 'image/jpeg')).body;
    assert.match(asset.assetRef, /-image:w64:h64:/);
    const done = await getJob(mock, (await generate(mock, { imageRef_1: asset.assetRef, imageStrength: 1 })).body.jobid);
    const pic = await halves(done.response.images[0].imageUrl);
    assert.deepEqual([pic.width, pic.height], [2048, 2048]);
    assert.ok(pic.left[0] > 150 && pic.right[2] > 150, `red | blue: ${pic.left.map(Math.round)} | ${pic.right.map(Math.round)}`);
  });

  test('a reference that names an account that is not linked gets 404', async () => {
    const r = await generate(mock, { imageRef_1: 'US:nobody@example.com-image:w1:h1:s1-uri:tos-x/y' });
    assert.equal(r.status, 404);
  });
});

describe('history (GET /assets/{account})', () => {
  let mock;
  before(async () => { mock = await startMock({ completeAfterMs: 0 }); });
  after(() => mock.close());

  test("the account's pictures, newest first, with count and offset", async () => {
    const gen = (await generate(mock, { prompt: 'a red barn', account: US })).body;
    const first = await call(mock, 'GET', `/assets/${enc(US)}?count=3`);
    assert.equal(first.status, 200);
    assert.equal(first.body.account, US);
    assert.equal(first.body.assets.length, 3);
    assert.equal(first.body.hasMore, true);
    assert.equal(first.body.nextOffset, 3);
    const a = first.body.assets[0];
    assert.deepEqual(Object.keys(a).sort(), ['assetId', 'assetRef', 'coverUrl', 'createdAt', 'description', 'format', 'height', 'historyRecordId', 'imageUrl', 'itemId', 'type', 'width']);
    assert.equal(a.description, 'a red barn');
    assert.equal(a.type, 'image');
    const job = await getJob(mock, gen.jobid);
    assert.ok(job.response.images.some((i) => i.assetRef === a.assetRef));
    const rest = await call(mock, 'GET', `/assets/${enc(US)}?count=100&offset=3`);
    assert.equal(rest.body.hasMore, false);
    assert.ok(rest.body.assets.length > 10, 'the seeded pictures too');
    assert.ok(rest.body.assets.every((x) => x.assetId.startsWith(`${US}:`)));
    assert.equal((await call(mock, 'GET', `/assets/${enc(US)}?count=0`)).status, 400);
    assert.equal((await call(mock, 'GET', `/assets/${enc('US:nobody@example.com')}`)).status, 404);
  });
});
