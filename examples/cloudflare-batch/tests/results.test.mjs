// Pictures in R2 for real (workerd's local R2): downloads that fail and come back, downloads that
// keep failing, batches deleted with their objects, and the Worker without a bucket.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBatchStack, requests, waitFor, allItems, API_KEY, TOKEN } from './harness.mjs';
import { startMock } from '../../../tests/mock/server.mjs';

const FAST = { POLL_AFTER_MS: '1500', POLL_EVERY_MS: '500', UNKNOWN_HOLD_MS: '3000', SUBMIT_LEASE_MS: '30000', STORE_TRIES: '3' };
const stored = (s) => s.queued === 0 && s.running === 0 && s.storage.pending === 0;
const picture = (st, p) => fetch(st.url + p, { headers: { authorization: `Bearer ${API_KEY}` } });

describe('pictures in R2 (STORE_TRIES=3, RETAIN_DAYS=1)', () => {
  let st;
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: { ...FAST, RETAIN_DAYS: '1' } }); });
  after(() => st?.close());

  test('a download that fails twice then succeeds is stored, after backing off', async () => {
    st.proxy.failPictures(2, 503);
    const { id } = (await st.api('POST', '/batches', { items: requests(1) })).json;
    const s = await waitFor(st.api, id, stored, 30_000);
    assert.deepEqual([s.completed, s.storage.stored, s.storage.failed], [1, 1, 0], JSON.stringify(s));
    const tries = st.proxy.pictures.filter((p) => p.url.includes('/files/upscale-'));
    assert.deepEqual(tries.map((p) => !!p.failed), [true, true, false]);
    const { items: [it] } = await allItems(st.api, id);
    const served = await picture(st, it.stored.objects[0].url);
    assert.equal(served.status, 200);
    const bytes = Buffer.from(await served.arrayBuffer());
    assert.ok(bytes.equals(Buffer.from(await (await fetch(it.imageUrl)).arrayBuffer())), 'the picture at its imageUrl');
    assert.match(st.logs().join('\n'), /event: 'store'/, 'each try is logged at debug level');
  });

  test('a download that keeps failing is reported on the item, with the job id and the provider URL kept', async () => {
    st.proxy.failPictures(3, 502);
    const { id } = (await st.api('POST', '/batches', { items: requests(1) })).json;
    const s = await waitFor(st.api, id, stored, 30_000);
    assert.deepEqual([s.completed, s.storage.stored, s.storage.failed], [1, 0, 1], JSON.stringify(s));
    const { items: [it] } = await allItems(st.api, id);
    assert.equal(it.status, 'completed', 'the job is not lost');
    assert.match(it.jobid, /I-u12345/);
    assert.match(it.imageUrl, /\/files\/upscale-/);
    assert.deepEqual([it.stored.status, it.stored.attempts, it.stored.error.status], ['failed', 3, 502]);
    assert.equal((await picture(st, `/batches/${id}/items/0/image`)).status, 404);
    assert.match(st.errors().join('\n'), /event: 'store_failed'/, 'logged as an error');
  });

  test('DELETE /batches/{id}: 409 while running; once finished its rows and its objects are gone', async () => {
    const { id } = (await st.api('POST', '/batches', { items: requests(6) })).json;
    const early = await st.api('DELETE', `/batches/${id}`);
    assert.equal(early.status, 409, early.text);
    await waitFor(st.api, id, stored, 30_000);
    const bucket = await st.mf.getR2Bucket('RESULTS');
    assert.equal((await bucket.list({ prefix: `${id}/` })).objects.length, 6);
    const other = (await st.api('POST', '/batches', { items: requests(1) })).json.id;
    await waitFor(st.api, other, stored, 30_000);

    assert.equal((await st.api('DELETE', `/batches/${id}`, undefined, {})).status, 401);
    const del = await st.api('DELETE', `/batches/${id}`);
    assert.deepEqual([del.status, del.json.items, del.json.objects], [200, 6, 6], del.text);
    assert.equal((await bucket.list({ prefix: `${id}/` })).objects.length, 0, 'its objects are gone');
    assert.equal((await st.api('GET', `/batches/${id}`)).status, 404);
    assert.equal((await picture(st, `/batches/${id}/items/0/image`)).status, 404);
    assert.equal((await st.api('DELETE', `/batches/${id}`)).status, 404);
    assert.equal((await bucket.list({ prefix: `${other}/` })).objects.length, 1, 'another batch keeps its picture');
    assert.equal((await picture(st, `/batches/${other}/items/0/image`)).status, 200);
    assert.equal((await st.api('GET', '/__test/stats')).json.purges, 0, 'no purge left over');
  });

  test('RETAIN_DAYS: a batch finished more than that long ago is removed by the alarm, rows and objects', async () => {
    const { id } = (await st.api('POST', '/batches', { items: requests(2) })).json;
    const young = (await st.api('POST', '/batches', { items: requests(1) })).json.id;
    await waitFor(st.api, id, stored, 30_000);
    await waitFor(st.api, young, stored, 30_000);
    const bucket = await st.mf.getR2Bucket('RESULTS');
    assert.equal((await bucket.list({ prefix: `${id}/` })).objects.length, 2);
    await st.api('POST', '/__test/age', { batch: id, days: 2 });
    let gone;
    for (const t0 = Date.now(); Date.now() - t0 < 10_000; await new Promise((r) => setTimeout(r, 200))) {
      if ((gone = await st.api('GET', `/batches/${id}`)).status === 404) break;
    }
    assert.equal(gone.status, 404, 'its rows are gone');
    assert.equal((await bucket.list({ prefix: `${id}/` })).objects.length, 0, 'its objects are gone');
    assert.equal((await st.api('GET', `/batches/${young}`)).status, 200, 'a younger batch stays');
    assert.equal((await bucket.list({ prefix: `${young}/` })).objects.length, 1);
  });
});

/** The size of the picture the mock reports for the upscale `request`: measured on a mock of its
 * own (a picture is a pure function of the request), so a cap set from it stays right whatever the
 * mock draws. */
async function pictureBytes(request) {
  const mock = await startMock({ completeAfterMs: 0, quiet: true });
  try {
    const call = (method, p, body) => fetch(mock.baseUrl + p, {
      method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
    }).then((r) => r.json());
    let job = await call('POST', '/images/upscale', request);
    while (job.status === 'created') job = await call('GET', `/images/${encodeURIComponent(job.jobid)}`);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    return (await (await fetch(job.response.images[0].imageUrl)).arrayBuffer()).byteLength;
  } finally {
    await mock.close();
  }
}

describe('a picture over MAX_IMAGE_BYTES', () => {
  let st;
  let cap;
  before(async () => {
    cap = (await pictureBytes(requests(1)[0])) - 1; // one byte short of the picture the job makes
    st = await startBatchStack({ completeAfterMs: 300, vars: { ...FAST, MAX_IMAGE_BYTES: String(cap) } });
  });
  after(() => st?.close());

  test('is refused at its first try (no retry can help), nothing written, the item keeps its job', async () => {
    const { id } = (await st.api('POST', '/batches', { items: requests(1) })).json;
    const s = await waitFor(st.api, id, stored, 30_000);
    assert.deepEqual([s.completed, s.storage.failed], [1, 1], JSON.stringify(s));
    const { items: [it] } = await allItems(st.api, id);
    assert.deepEqual([it.stored.error.kind, it.stored.attempts], ['too_large', 1]);
    assert.match(it.stored.error.message, new RegExp(`MAX_IMAGE_BYTES \\(${cap}\\)`));
    assert.ok(it.jobid && it.imageUrl);
    const bucket = await st.mf.getR2Bucket('RESULTS');
    assert.equal((await bucket.list({ prefix: `${id}/` })).objects.length, 0);
  });
});

describe('without an R2 bucket bound', () => {
  let st;
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: FAST, r2: false }); });
  after(() => st?.close());

  test('the Worker runs as before, and says the pictures are not stored', async () => {
    const { id } = (await st.api('POST', '/batches', { items: requests(2) })).json;
    const s = await waitFor(st.api, id, (x) => x.queued === 0 && x.running === 0, 30_000);
    assert.equal(s.completed, 2);
    assert.equal(s.storage.bucket, null);
    assert.match(s.storage.note, /no R2 bucket bound/);
    const { items } = await allItems(st.api, id);
    assert.ok(items.every((i) => i.imageUrl && i.stored === undefined));
    const r = await picture(st, `/batches/${id}/items/0/image`);
    assert.equal(r.status, 404);
    assert.match((await r.json()).error, /no R2 bucket/);
    assert.equal(st.proxy.pictures.length, 0, 'nothing was downloaded');
    const del = await st.api('DELETE', `/batches/${id}`);
    assert.deepEqual([del.status, del.json.items], [200, 2]);
  });
});
