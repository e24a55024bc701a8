// The batch Worker for real: workerd (Miniflare) with a real Queue and a real SQLite Durable
// Object, configured from wrangler.toml, against the project's mock API on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startBatchStack, requests, waitFor, allItems, mostRunning, TOKEN, API_KEY } from './harness.mjs';
import { parseKey } from '../src/decide.mjs';

const indexOf = (key) => parseKey(key)?.index;
/** The webhook key of earlier versions (one for every job: `/webhook?k=`), derived from the token as they did. */
const LEGACY_K = createHmac('sha256', TOKEN).update('dreamina-batch webhook').digest().subarray(0, 16).toString('hex');
/** POSTs a webhook call to the Worker: `query` is the URL's query (a job's own, or made up). */
const hookTo = (st, query, body) => fetch(`${st.url}/webhook?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  .then(async (r) => ({ status: r.status, json: await r.json() }));

const FAST = { POLL_AFTER_MS: '1500', POLL_EVERY_MS: '500', UNKNOWN_HOLD_MS: '3000', SUBMIT_LEASE_MS: '1000' };
const settled = (s) => s.queued === 0 && s.running === 0;

/** POST /images/upscale requests the mock received, counted per replyRef of batch `id`. */
function postsPerItem(mock, id) {
  const counts = new Map();
  for (const r of mock.requests()) {
    if (r.method !== 'POST' || !r.path.endsWith('/images/upscale')) continue;
    const ref = JSON.parse(r.body).replyRef;
    if (ref?.startsWith(`${id}/`)) counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}
/** Upscale jobs the mock created for batch `id`. */
const jobsOf = (mock, id) => [...mock.state.jobs.values()].filter((j) => j.type === 'upscale' && j.request.replyRef?.startsWith(`${id}/`));

describe('200 items, MAX_JOBS=10', () => {
  let st;
  // A long submit lease: the mock draws pictures in this process (seconds of CPU each), which can
  // hold a POST's answer past FAST's 1 s lease; this suite tests throughput and pictures, not crashes.
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: { ...FAST, MAX_JOBS: '10', SUBMIT_LEASE_MS: '60000' } }); });
  after(() => st?.close());

  test('all complete, one job per item, never more than 10 running; bad items are reported, not queued', async () => {
    const items = [...requests(100), { ...requests(1)[0], imageIndex: 9 }, ...requests(100), { jobid: 'x', replyRef: 'mine' }];
    const posted = await st.api('POST', '/batches', { items });
    assert.equal(posted.status, 202, posted.text);
    const { id, total, accepted, rejected } = posted.json;
    assert.deepEqual([total, accepted], [202, 200]);
    assert.deepEqual(rejected.map((r) => [r.index, r.error.kind, r.error.field]), [[100, 'validation', 'imageIndex'], [201, 'validation', 'replyRef']]);

    const t0 = Date.now();
    const done = await waitFor(st.api, id, settled, 90_000);
    const all = await allItems(st.api, id, 64); // several pages
    assert.deepEqual([done.completed, done.failed, done.unknown], [200, 2, 0]);
    assert.equal(all.items.length, 202);
    assert.deepEqual(all.items.map((i) => i.index), [...Array(202).keys()], 'every index once, in order');
    for (const it of all.items.filter((i) => i.index !== 100 && i.index !== 201)) {
      assert.equal(it.status, 'completed', JSON.stringify(it));
      assert.match(it.imageUrl, /^http:\/\/127\.0\.0\.1:\d+\/files\/upscale-/);
      assert.ok(it.width >= 2048 && it.height >= 1536, JSON.stringify(it));
      assert.ok(it.jobid.includes('I-u12345'));
    }
    assert.equal(new Set(all.items.filter((i) => i.jobid).map((i) => i.jobid)).size, 200, 'distinct job ids');
    assert.equal(st.mock.jobsCreated(), 200, 'jobs created = items');
    const posts = postsPerItem(st.mock, id);
    assert.equal(posts.size, 200);
    assert.ok([...posts.values()].every((n) => n === 1), 'one POST per item: the mock (capacity 10) never had to answer 429');
    const most = mostRunning(st.mock);
    assert.ok(most <= 10, `the mock saw ${most} running at once`);
    assert.ok(most >= 5, `capacity was used (${most} at once)`);
    const stats = (await st.api('GET', '/__test/stats')).json;
    assert.equal(stats.running, 0, 'every slot released');
    // No guessed delays: an item is delivered at most twice (parked, then sent by the ledger when a slot freed).
    const mine = Object.entries(stats.deliveries).filter(([k]) => k.startsWith(`${id}/`));
    assert.equal(mine.length, 200);
    assert.ok(mine.every(([, n]) => n <= 2), JSON.stringify(mine.filter(([, n]) => n > 2)));
    assert.ok(mine.filter(([, n]) => n === 2).length >= 150, 'most items were parked, then handed a freed slot');
    assert.ok(st.logs().some((l) => l.includes("event: 'dispatch'")), 'dispatches are logged (debug)');
    console.log(`# 200 items, MAX_JOBS=10, 300 ms jobs: ${Date.now() - t0} ms after the 202 (bound ${200 / 10 * 300} ms); most running ${most}; job time learned ${stats.jobMs} ms`);

    // Every picture in R2, served by the Worker byte for byte as the mock drew it.
    const stored = await waitFor(st.api, id, (s) => s.storage.pending === 0, 120_000);
    assert.deepEqual([stored.storage.stored, stored.storage.failed], [200, 0], JSON.stringify(stored.storage));
    const bucket = await st.mf.getR2Bucket('RESULTS');
    const { items: final } = await allItems(st.api, id, 1000);
    const direct = new Set([0, 1, 2, 3].map((i) => final[i].imageUrl));
    for (const it of final.filter((i) => i.status === 'completed')) {
      // The picture at the imageUrl the item reports (through the test proxy; a few straight from the mock).
      const at = direct.has(it.imageUrl) ? it.imageUrl.replace(st.proxy.url, st.mock.url) : it.imageUrl;
      const source = await fetch(at);
      const type = source.headers.get('content-type'); // what the provider's CDN (the mock) sent
      const reported = Buffer.from(await source.arrayBuffer());
      assert.match(type, /^image\//);
      const [obj] = it.stored.objects;
      assert.deepEqual([it.stored.status, obj.key, obj.contentType, obj.url], ['stored', `${id}/${it.index}/0`, type, `/batches/${id}/items/${it.index}/image`]);
      const served = await fetch(st.url + obj.url, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), type, 'served with the content type the CDN sent');
      const bytes = Buffer.from(await served.arrayBuffer());
      assert.equal(bytes.length, obj.bytes);
      assert.ok(bytes.equals(reported), `item ${it.index}: the stored picture is the one at its imageUrl`);
      assert.equal((await bucket.head(obj.key)).httpMetadata.contentType, type);
    }
    assert.equal((await fetch(`${st.url}/batches/${id}/items/0/image`)).status, 401, 'pictures are behind the API key');
    assert.equal((await st.api('GET', `/batches/${id}/items/100/image`)).status, 404, 'a rejected item has no picture');
  });

  test('the HTTP API: key required, bodies checked, unknown batches 404, pages', async () => {
    assert.equal((await st.api('POST', '/batches', { items: requests(1) }, {})).status, 401);
    assert.equal((await st.api('POST', '/batches', { items: requests(1) }, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await st.api('POST', '/batches', { items: [] })).status, 400);
    assert.equal((await st.api('POST', '/batches', { items: requests(2), more: 1 })).status, 400);
    assert.equal((await st.api('POST', '/batches', { items: requests(1) }, { authorization: `Bearer ${API_KEY}`, 'idempotency-key': ' ' })).status, 400);
    assert.equal((await st.api('POST', '/batches', { items: Array(10_001).fill(requests(1)[0]) })).status, 413);
    assert.equal((await st.api('GET', '/batches/0b6f9c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e')).status, 404);
    assert.equal((await st.api('GET', '/batches/..%2f')).status, 404);
    assert.equal((await st.api('GET', '/nope')).status, 404);
    const before = st.mock.requests().length;
    const bad = await st.api('POST', '/batches', { items: [{ jobid: 1 }, { nope: true }, 'x'] });
    assert.equal(bad.status, 202);
    assert.deepEqual(bad.json.rejected.map((r) => r.error.field), ['jobid', 'nope', 'request']);
    assert.equal(st.mock.requests().length, before, 'validation sent nothing');
    const page = await st.api('GET', `/batches/${bad.json.id}?offset=1&limit=1`);
    assert.deepEqual([page.json.failed, page.json.items.length, page.json.items[0].index, page.json.next], [3, 1, 1, 2]);
    assert.equal((await st.api('GET', `/batches/${bad.json.id}?limit=5000`)).status, 400);
  });

  test('10,000 items (the most per batch) are validated, stored and enqueued in one request', async () => {
    const big = await st.api('POST', '/batches', { items: requests(10_000) });
    assert.equal(big.status, 202, big.text);
    assert.deepEqual([big.json.total, big.json.accepted, big.json.rejected.length], [10_000, 10_000, 0]);
    const s = (await st.api('GET', `/batches/${big.json.id}?offset=9999&limit=1`)).json;
    assert.equal(s.queued + s.running + s.completed, 10_000, JSON.stringify({ ...s, items: undefined }));
    assert.deepEqual(s.items.map((i) => i.index), [9999]);
    assert.ok(s.running <= 10);
  });
});

describe('crashes, lost webhooks, forged webhooks', () => {
  let st;
  before(async () => {
    st = await startBatchStack({ completeAfterMs: 300, vars: { ...FAST, CRASH_AFTER_POST: '3,13', CRASH_AFTER_RECORD: '5,25' } });
  });
  after(() => st?.close());

  test('a consumer that dies after its POST (before recording or before acking) loses nothing and sends nothing twice; the alarm finds jobs whose webhook was dropped', async () => {
    const dropped = new Set([7, 17, 27]);
    st.relay.drop = (body) => dropped.has(indexOf(body?.replyRef));
    const { id } = (await st.api('POST', '/batches', { items: requests(60) })).json;
    await waitFor(st.api, id, settled, 60_000);
    // The crashed deliveries come back after the consumer's retry_delay: wait for them too.
    let stats;
    for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 250))) {
      stats = (await st.api('GET', '/__test/stats')).json;
      const crashed = stats.crashes.filter((c) => c.key.startsWith(id));
      if (crashed.length === 4 && crashed.every((c) => stats.deliveries[c.key] >= 2)) break;
    }
    const done = (await st.api('GET', `/batches/${id}?limit=1`)).json;
    assert.deepEqual([done.completed, done.failed, done.unknown], [60, 0, 0], JSON.stringify(done));
    const { items } = await allItems(st.api, id);
    assert.ok(items.every((i) => i.status === 'completed' && i.imageUrl), 'all completed with an image');
    assert.equal(jobsOf(st.mock, id).length, 60, 'jobs created = items');
    assert.ok([...postsPerItem(st.mock, id).values()].every((n) => n === 1), 'one POST per item');
    // 3 and 13 died before recording their job id: the webhook, called at the item's own signed
    // URL (the provider records no replyRef in the job), found it.
    for (const i of [3, 13]) {
      assert.equal(items[i].reconciled, true, `item ${i} reconciled`);
      assert.match(st.logs().join('\n'), new RegExp(`event: 'job_claimed',[^}]*key: '${id}/${i}',[^}]*by: 'url',[^}]*taken: true`), `item ${i}: found by its URL`);
    }
    for (const i of [5, 25]) assert.equal(items[i].reconciled, undefined, `item ${i} had its job id recorded`);
    const crashed = stats.crashes.filter((c) => c.key.startsWith(id));
    assert.deepEqual(crashed.map((c) => `${c.point} ${indexOf(c.key)}`).sort(),
      ['CRASH_AFTER_POST 13', 'CRASH_AFTER_POST 3', 'CRASH_AFTER_RECORD 25', 'CRASH_AFTER_RECORD 5']);
    for (const c of crashed) {
      assert.ok(stats.deliveries[c.key] >= 2, `${c.key} was redelivered`);
      assert.equal(items[indexOf(c.key)].jobid, c.jobid, 'the job the crashed consumer created is the one recorded');
    }
    // Dropped webhooks: the relay answered 503, the mock does not call twice, so only the alarm's GET could tell.
    const droppedRefs = st.relay.dropped.map((b) => b.replyRef).filter((r) => r.startsWith(id));
    assert.deepEqual(droppedRefs.map(indexOf).sort((a, b) => a - b), [7, 17, 27]);
    for (const i of dropped) {
      const call = st.mock.webhooks().find((w) => w.jobid === items[i].jobid);
      assert.equal(call.status, 503);
      const polls = st.mock.requests().filter((r) => r.method === 'GET' && r.jobid === items[i].jobid && r.time > call.time);
      assert.ok(polls.length >= 1, `item ${i} polled after its webhook was lost`);
      assert.equal(polls[0].headers.authorization, `Bearer ${TOKEN}`);
    }
    assert.ok(mostRunning(st.mock) <= 10);
  });

  test('forged, duplicate and stranger webhooks change nothing', async () => {
    const { id } = (await st.api('POST', '/batches', { items: requests(3) })).json;
    await waitFor(st.api, id, settled, 30_000);
    const before = await allItems(st.api, id);
    const calls = st.mock.webhooks().filter((w) => w.body.replyRef?.startsWith(id));
    // Each job was given its own URL: its item, and a tag only the Worker can make.
    const urlOf = (i) => new URL(calls.find((c) => c.jobid === before.items[i].jobid).url);
    for (const i of [0, 1, 2]) {
      assert.deepEqual([urlOf(i).pathname, urlOf(i).searchParams.get('item')], ['/webhook', `${id}/${i}`]);
      assert.match(urlOf(i).searchParams.get('k'), /^[0-9a-f]{32}$/);
      assert.ok(Buffer.byteLength(urlOf(i).href) <= 1024);
    }
    const own = (i) => urlOf(i).search.slice(1);
    const hook = (body, query) => hookTo(st, query, body);
    const gets = () => st.mock.requests().filter((r) => r.method === 'GET').length;

    let n = gets();
    assert.equal((await hook({ jobid: before.items[0].jobid, status: 'failed' }, `item=${id}%2F0&k=wrong`)).status, 403);
    const k0 = urlOf(0).searchParams.get('k');
    assert.equal((await hook({ jobid: before.items[1].jobid }, `item=${id}%2F1&k=${k0}`)).status, 403, 'item 0\'s tag does not sign item 1');
    assert.equal((await hook({ jobid: before.items[1].jobid }, `k=${k0}`)).status, 403, 'an item\'s tag is not the account key');
    assert.equal(gets(), n, 'a call without a valid key is not even looked up');

    const forgedId = 'j0101000000000000999I-u12345-US:attacker@example.com:dreamina';
    const forged = await hook({ jobid: forgedId, status: 'completed', replyRef: `${id}/0`, response: { images: [{ imageUrl: 'https://evil.example/x.jpeg' }] } }, own(0));
    assert.equal(forged.status, 404);
    assert.equal(forged.json.ignored, true);
    assert.equal(st.mock.requests().filter((r) => r.jobid === forgedId).length, 1, 'looked up once, not believed');

    const lie = await hook({ jobid: before.items[1].jobid, status: 'failed', replyRef: `${id}/1` }, own(1));
    assert.deepEqual([lie.status, lie.json.matched, lie.json.changed, lie.json.status], [200, true, false, 'completed'], 'GET says completed, the body is not believed');

    const replay = await hook(calls[2].body, new URL(calls[2].url).search.slice(1));
    assert.deepEqual([replay.status, replay.json.changed], [200, false], 'a duplicate webhook');

    // The URL of earlier versions (in-flight jobs of an older deployment) still works, by job id only.
    const old = await hook({ jobid: before.items[1].jobid }, `k=${LEGACY_K}`);
    assert.deepEqual([old.status, old.json.matched, old.json.by, old.json.changed], [200, true, 'jobid', false]);

    // A real job made outside this Worker, whose replyRef names item 2 and item 0 (a claim).
    const stranger = await fetch(`${st.mock.baseUrl}/images/upscale`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...requests(1)[0], replyRef: `${id}/2` }),
    }).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 400));
    const claimed = await hook({ jobid: stranger.jobid, replyRef: `${id}/2` }, `k=${LEGACY_K}`);
    assert.deepEqual([claimed.status, claimed.json.matched, claimed.json.changed], [200, false, undefined], 'a body claim at the account URL: nobody\'s job');
    // Even at the items' own URLs (as if their tags had leaked): item 2 asked for another picture;
    // item 0 asked for the same one, but has its own job. Nothing changes; both are logged as errors.
    const at2 = await hook({ jobid: stranger.jobid }, own(2));
    assert.deepEqual([at2.status, at2.json.matched, at2.json.changed], [200, false, false]);
    const at0 = await hook({ jobid: stranger.jobid }, own(0));
    assert.deepEqual([at0.status, at0.json.matched, at0.json.changed], [200, false, false]);
    const errors = st.errors().join('\n');
    assert.match(errors, new RegExp(`event: 'foreign_job'[^}]*'${id}/2'`));
    assert.match(errors, new RegExp(`event: 'second_job'[^}]*'${id}/0'`));

    const after = await allItems(st.api, id);
    assert.deepEqual(after.items, before.items, 'the ledger is unchanged');
  });
});

describe('ambiguous POST failures (connection reset after the job was created)', () => {
  let st;
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: FAST }); });
  after(() => st?.close());

  test('reset mid-request: the item is not re-sent; its webhook reconciles it', async () => {
    st.mock.addFault({ method: 'POST', path: '/images/upscale', action: 'reset-after', times: 2 });
    const { id } = (await st.api('POST', '/batches', { items: requests(20) })).json;
    const done = await waitFor(st.api, id, settled, 60_000);
    assert.deepEqual([done.completed, done.unknown], [20, 0], JSON.stringify(done));
    const { items } = await allItems(st.api, id);
    const resets = st.mock.requests().filter((r) => r.fault === 'reset-after').map((r) => JSON.parse(r.body).replyRef);
    assert.equal(resets.length, 2);
    for (const ref of resets) assert.equal(items[indexOf(ref)].reconciled, true, `${ref} reconciled`);
    assert.equal(jobsOf(st.mock, id).length, 20, 'jobs created = items');
    assert.ok([...postsPerItem(st.mock, id).values()].every((n) => n === 1), 'never sent twice');
  });

  test('the account busy with other jobs (mock capacity 4 < MAX_JOBS 10): 429s are retried later, nothing is created twice', async () => {
    st.mock.setConfig({ capacity: 4 });
    try {
      const { id } = (await st.api('POST', '/batches', { items: requests(20) })).json;
      const done = await waitFor(st.api, id, settled, 60_000);
      assert.deepEqual([done.completed, done.failed, done.unknown], [20, 0, 0], JSON.stringify(done));
      const posts = [...postsPerItem(st.mock, id).values()];
      assert.ok(posts.some((n) => n > 1), 'some POSTs were refused with 429 and sent again');
      assert.equal(jobsOf(st.mock, id).length, 20, 'jobs created = items: a 429 creates nothing');
      assert.ok(st.mock.maxRunning() <= 10);
    } finally {
      st.mock.setConfig({ capacity: 10 });
    }
  });

  test('reset mid-request and its webhook lost: reported as unknown (needs reconciliation), never sent twice', async () => {
    st.mock.addFault({ method: 'POST', path: '/images/upscale', action: 'reset-after', times: 1 });
    let batch = null;
    st.relay.drop = (body) => batch !== null && String(body?.replyRef).startsWith(batch);
    batch = (await st.api('POST', '/batches', { items: requests(1) })).json.id;
    const s = await waitFor(st.api, batch, (x) => x.unknown === 1, 20_000);
    // Past the hold (3 s) and several poll periods: still unknown, still one POST.
    await new Promise((r) => setTimeout(r, 4_000));
    const listed = (await st.api('GET', `/batches/${batch}?status=unknown`)).json;
    assert.deepEqual([s.unknown, listed.unknown, listed.items.length], [1, 1, 1]);
    const it = listed.items[0];
    assert.equal(it.status, 'unknown');
    assert.equal(it.error.kind, 'network');
    assert.match(it.error.message, /may have been created/);
    assert.equal(it.jobid, undefined);
    assert.deepEqual([...postsPerItem(st.mock, batch).values()], [1], 'one POST');
    assert.equal(jobsOf(st.mock, batch).length, 1, 'the job exists upstream: sending again would bill twice');
    const stats = (await st.api('GET', '/__test/stats')).json;
    assert.equal(stats.running, 0, 'its slot was released after UNKNOWN_HOLD_MS');

    // The lost call, sent again: with its body's claim alone (at the account URL) it reconciles
    // nothing; at the item's own URL, as the provider made it, it does.
    const [job] = jobsOf(st.mock, batch);
    const call = st.mock.webhooks().find((w) => w.jobid === job.jobid);
    assert.equal(call.status, 503, 'the provider\'s call was lost');
    const claim = await hookTo(st, `k=${LEGACY_K}`, call.body);
    assert.deepEqual([claim.status, claim.json.matched], [200, false]);
    assert.equal((await st.api('GET', `/batches/${batch}`)).json.unknown, 1, 'still unknown');
    const again = await hookTo(st, new URL(call.url).search.slice(1), call.body);
    assert.deepEqual([again.status, again.json.matched, again.json.by, again.json.status], [200, true, 'url', 'completed']);
    const found = (await st.api('GET', `/batches/${batch}`)).json.items[0];
    assert.deepEqual([found.status, found.jobid, found.reconciled], ['completed', job.jobid, true]);
    assert.deepEqual([...postsPerItem(st.mock, batch).values()], [1], 'still one POST');
  });
});

describe('a Worker that dies while enqueueing a batch', () => {
  let st;
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: { ...FAST, CRASH_AFTER_STORE: '1', ORPHAN_MS: '2000' } }); });
  after(() => st?.close());

  test('the stored items whose messages were never sent are found by the alarm and sent; nothing twice', async () => {
    const headers = { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'catalogue-2026-12' };
    const r = await st.api('POST', '/batches', { items: requests(20) }, headers);
    assert.equal(r.status, 500, 'the caller saw the crash');
    const crash = (await st.api('GET', '/__test/stats')).json.crashes.find((c) => c.point === 'CRASH_AFTER_STORE');
    const id = crash.batch;
    const done = await waitFor(st.api, id, settled, 30_000);
    assert.deepEqual([done.total, done.completed, done.unknown], [20, 20, 0], JSON.stringify(done));
    const stats = (await st.api('GET', '/__test/stats')).json;
    assert.ok(stats.resent >= 20, `the alarm sent the lost messages (${stats.resent})`);
    assert.equal(jobsOf(st.mock, id).length, 20, 'jobs created = items');
    assert.ok([...postsPerItem(st.mock, id).values()].every((n) => n === 1), 'one POST per item, duplicates of messages included');

    // The caller retries its POST with the same Idempotency-Key: the same batch, nothing new.
    const again = await st.api('POST', '/batches', { items: requests(20) }, headers);
    assert.deepEqual([again.status, again.json.id, again.json.replayed], [202, id, true]);
    const other = await st.api('POST', '/batches', { items: requests(21) }, headers);
    assert.equal(other.status, 409, 'the same key for other items');
    await new Promise((res) => setTimeout(res, 1_500)); // the replayed messages are delivered
    assert.equal(jobsOf(st.mock, id).length, 20, 'still one job per item');
    assert.ok([...postsPerItem(st.mock, id).values()].every((n) => n === 1));
  });
});
