// The batch Worker's decisions on the host: deliveries and redeliveries, POST outcomes,
// reconciliation at an item's own webhook URL, polling, capacity delays, request checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as D from '../src/decide.mjs';
import { config } from '../src/config.mjs';

const S = D.STATUS;
const BATCH = '0b6f9c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e';
const KEY = D.itemKey(BATCH, 7);
const item = (over = {}) => ({ batch: BATCH, index: 7, status: S.QUEUED, request: { jobid: 'src' }, waits: 0, polls: 0, ...over });
const ctx = (over = {}) => ({ now: 10_000, attempts: 1, running: 0, limit: 10, unknownHoldMs: 60_000, submitLeaseMs: 30_000, ...over });
const CFG = { unknownHoldMs: 60_000, submitLeaseMs: 30_000 };
// The provider's job: its request echo is the item's (source job, image index, default resolution).
const job = (status, over = {}) => ({
  jobid: 'jU1', type: 'upscale', status, request: { jobid: 'src', imageIndex: 0, resolution: '4k' },
  ...(status === 'completed' ? { response: { images: [{ imageUrl: 'https://cdn/x.png', width: 4096, height: 3072 }] } } : {}),
  ...(status === 'failed' ? { error: 'fail_code: 2043' } : {}),
  ...over,
});

test('a first delivery with a free slot takes it (submitting) and says submit', () => {
  const d = D.onDelivery(item(), ctx({ running: 9 }));
  assert.equal(d.action, 'submit');
  assert.equal(d.item.status, S.SUBMITTING);
  assert.equal(d.item.grantedAt, 10_000);
  assert.ok(D.holdsSlot(d.item, 10_000, CFG));
});

test('no free slot: the item is parked (acked, no guessed delay); the ledger hands it the next freed slot, reserved for it', () => {
  const d = D.onDelivery(item({ dueAt: 5 }), ctx({ running: 10 }));
  assert.deepEqual([d.action, d.delaySeconds, d.item.status, d.item.dueAt, d.item.waits], ['ack', undefined, S.QUEUED, null, 1]);
  assert.equal(D.holdsSlot(d.item, 10_000, CFG), false, 'a parked item holds nothing');
  const sent = D.dispatched(d.item, 20_000);
  assert.ok(D.holdsSlot(sent, 20_000, CFG), 'the slot is reserved while its message travels');
  assert.ok(!D.holdsSlot(sent, 20_000 + D.DISPATCH_LEASE_MS, CFG), '…and lapses if the message never comes');
  const taken = D.onDelivery(sent, ctx({ now: 20_050, running: 10 }));
  assert.deepEqual([taken.action, taken.item.status, taken.item.dispatchedAt], ['submit', S.SUBMITTING, null], 'its delivery takes the reserved slot though all 10 are counted');
  const lapsed = D.onDelivery(sent, ctx({ now: 20_000 + D.DISPATCH_LEASE_MS, running: 10 }));
  assert.equal(lapsed.action, 'ack', 'a late message competes like any other');
  assert.equal(D.onDelivery(item(), ctx({ running: 3, limit: 3 })).action, 'ack', 'the limit in force (lowered after a 429) counts');
});

test('a lost message (no delivery by due_at) parks its item; anything else is left alone', () => {
  assert.deepEqual(D.onMessageLost(item({ dueAt: 5_000 }), 10_000).dueAt, null);
  assert.equal(D.onMessageLost(item({ dueAt: 50_000 }), 10_000), null, 'not due yet');
  assert.equal(D.onMessageLost(item({ dueAt: null }), 10_000), null, 'parked already');
  assert.equal(D.onMessageLost(item({ status: S.SUBMITTING, dueAt: 5_000 }), 10_000), null, 're-checked: it moved on');
});

test('a duplicate message retried many times is requeued as a fresh message (the queue drops it after max_retries)', () => {
  const d = D.onDelivery(item({ status: S.SUBMITTING, grantedAt: 9_000 }), ctx({ attempts: D.REQUEUE_AT_ATTEMPT }));
  assert.equal(d.action, 'requeue');
  assert.ok(d.delaySeconds >= 1);
});

test('one rule for slots: what holds one, and until when', () => {
  assert.equal(D.slotUntil(item(), CFG), null);
  assert.equal(D.slotUntil(item({ status: S.SUBMITTING, grantedAt: 1_000 }), CFG), 61_000, 'a submit lease ends as an unknown hold would');
  assert.equal(D.slotUntil(item({ status: S.CREATED, jobid: 'j' }), CFG), D.FOREVER);
  assert.equal(D.slotUntil(item({ status: S.UNKNOWN, holdUntil: 7 }), CFG), 7);
  for (const status of [S.COMPLETED, S.FAILED]) assert.equal(D.slotUntil(item({ status }), CFG), null);
});

test('job times are learned from jobs: the first poll of a silent job comes after twice the learned time, within POLL_AFTER_MS', () => {
  let est = null;
  for (let i = 0; i < 30; i++) est = D.learnJobTime(est, 800);
  assert.equal(est, 800);
  assert.equal(D.learnJobTime(1_000, NaN), 1_000);
  assert.equal(D.firstPollMs(null, 180_000), 180_000, 'nothing learned yet');
  assert.equal(D.firstPollMs(800, 180_000), 5_000, 'at least 5 s');
  assert.equal(D.firstPollMs(30_000, 180_000), 60_000);
  assert.equal(D.firstPollMs(120_000, 180_000), 180_000);
});

test('the provider at capacity (429): no more than what runs now, for its Retry-After or a doubling backoff', () => {
  const a = D.busyLimit(null, { running: 4, retryAfterMs: null, now: 0 });
  assert.deepEqual([a.n, a.until], [4, 1_000]);
  const b = D.busyLimit(a, { running: 0, retryAfterMs: null, now: 500 });
  assert.deepEqual([b.n, b.until], [1, 2_500], 'again soon after: twice as long, at least one job');
  assert.equal(D.busyLimit(b, { running: 3, retryAfterMs: 7_000, now: 600 }).until, 7_600, 'Retry-After wins');
});

test('a second delivery while the first may still be posting (a duplicate message) comes back after the lease', () => {
  const submitting = item({ status: S.SUBMITTING, grantedAt: 9_000 });
  const d = D.onDelivery(submitting, ctx({ now: 20_000 }));
  assert.deepEqual([d.action, d.delaySeconds, d.item], ['retry', 19, submitting], 'lease 30 s from 9 s: 19 s left, nothing changed');
});

test('a redelivery after the lease of an item whose POST may have happened never submits: unknown, holding its slot for a bound', () => {
  const submitting = item({ status: S.SUBMITTING, grantedAt: 9_000 });
  const d = D.onDelivery(submitting, ctx({ running: 0, now: 39_000 }));
  assert.equal(d.action, 'ack');
  assert.equal(d.item.status, S.UNKNOWN);
  assert.equal(d.item.holdUntil, 9_000 + 60_000);
  assert.ok(D.holdsSlot(d.item, 68_999, CFG) && !D.holdsSlot(d.item, 69_000, CFG));
  assert.match(d.item.error.message, /may exist/);
  assert.deepEqual(D.leaseExpired(submitting, 60_000), d.item, 'the alarm decides the same when no redelivery comes');
});

test('redeliveries of created, unknown, completed or failed items ack and change nothing', () => {
  for (const status of [S.CREATED, S.UNKNOWN, S.COMPLETED, S.FAILED]) {
    const it = item({ status, jobid: status === S.UNKNOWN ? null : 'jU1' });
    const d = D.onDelivery(it, ctx());
    assert.equal(d.action, 'ack', status);
    assert.equal(d.item, it, `${status}: same record`);
  }
  assert.equal(D.onDelivery(null, ctx()).action, 'ack', 'a message for a deleted batch');
});

test('POST succeeded: created(jobid), first poll due after POLL_AFTER_MS; a second job for one item is recorded, not adopted', () => {
  const r = D.onPosted(item({ status: S.SUBMITTING, grantedAt: 9_000 }), job('created'), 10_000, 5_000);
  assert.equal(r.item.status, S.CREATED);
  assert.equal(r.item.jobid, 'jU1');
  assert.equal(r.item.nextPollAt, 15_000);
  const again = D.onPosted(r.item, job('created'), 11_000, 5_000);
  assert.equal(again.changed, false, 'the same report twice');
  const second = D.onPosted(r.item, job('created', { jobid: 'jU2' }), 11_000, 5_000);
  assert.equal(second.item.jobid, 'jU1');
  assert.deepEqual(second.item.extraJobids, ['jU2']);
  assert.match(second.anomaly, /second job/);
});

test('POST report after the item went unknown (a late consumer) is accepted: the job id is never dropped', () => {
  const unknown = D.onDelivery(item({ status: S.SUBMITTING, grantedAt: 9_000 }), ctx({ now: 40_000 })).item;
  assert.equal(unknown.status, S.UNKNOWN);
  const r = D.onPosted(unknown, job('created'), 12_000, 5_000);
  assert.equal(r.item.status, S.CREATED);
  assert.equal(r.item.jobid, 'jU1');
  assert.equal(r.item.holdUntil, null);
});

test('POST failures: refused → failed; 429 / provider 503 → parked again, the account busy; reset, timeout, 5xx → unknown (never re-sent)', () => {
  const sub = item({ status: S.SUBMITTING, grantedAt: 9_000 });
  const c = { now: 10_000, unknownHoldMs: 60_000 };
  const refused = D.onPostFailed(sub, { kind: 'validation', field: 'jobid', message: 'Source image job not found', status: 400 }, c);
  assert.deepEqual([refused.item.status, refused.action, refused.item.error.field], [S.FAILED, 'ack', 'jobid']);
  const limited = D.onPostFailed(sub, { kind: 'rate_limited', status: 429, retryAfterMs: 4_200 }, c);
  assert.deepEqual([limited.item.status, limited.action, limited.item.dueAt, limited.busy], [S.QUEUED, 'ack', null, { retryAfterMs: 4_200 }]);
  assert.equal(D.holdsSlot(limited.item, 10_000, CFG), false, 'the slot is released');
  assert.ok(D.onPostFailed(sub, { kind: 'server', status: 503 }, c).busy);
  for (const kind of ['network', 'timeout', 'invalid_response', 'aborted']) {
    const r = D.onPostFailed(sub, { kind, message: 'connection reset. The job may have been created' }, c);
    assert.deepEqual([r.item.status, r.action], [S.UNKNOWN, 'ack'], kind);
    assert.equal(r.item.holdUntil, 70_000);
  }
  assert.equal(D.onPostFailed(sub, { kind: 'server', status: 502 }, c).item.status, S.UNKNOWN, 'a 502 may hide a created job');
  const done = item({ status: S.COMPLETED, jobid: 'jU1' });
  assert.equal(D.onPostFailed(done, { kind: 'network' }, c).changed, false, 'only a submitting item changes');
  // A late report for an item whose lease ran out (unknown, no job id): no other POST was made for it.
  const late = item({ status: S.UNKNOWN, holdUntil: 70_000, error: { kind: 'unknown' } });
  const lateLimited = D.onPostFailed(late, { kind: 'rate_limited', status: 429 }, c);
  assert.deepEqual([lateLimited.item.status, lateLimited.item.holdUntil, lateLimited.item.error], [S.QUEUED, null, null]);
  assert.equal(D.onPostFailed(item({ status: S.UNKNOWN, jobid: 'jU1' }), { kind: 'rate_limited' }, c).changed, false, 'an unknown item that found its job stays');
});

test('a confirmed job matches its item by jobid, else by its signed webhook URL, else by the replyRef the provider recorded; never by a claimed one', () => {
  const find = (jobid) => (jobid === 'jKnown' ? 'known-key' : null);
  assert.deepEqual(D.matchKey({ jobid: 'jKnown', urlItem: KEY, replyRef: KEY, replyRefSource: 'job' }, find), { key: 'known-key', by: 'jobid' }, 'the ledger\'s record first');
  assert.deepEqual(D.matchKey({ jobid: 'jNew', urlItem: KEY, replyRef: 'other', replyRefSource: 'body' }, find), { key: KEY, by: 'url' });
  assert.deepEqual(D.matchKey({ jobid: 'jNew', replyRef: KEY, replyRefSource: 'job' }, find), { key: KEY, by: 'replyRef' });
  assert.equal(D.matchKey({ jobid: 'jNew', replyRef: KEY, replyRefSource: 'body' }, find), null, 'a body claim reconciles nothing');
  assert.equal(D.matchKey({ jobid: 'jNew', urlItem: null, replyRef: KEY }, find), null, 'an old-form URL names no item');
  assert.equal(D.matchKey({ jobid: 'jNew', replyRef: 'order-42', replyRefSource: 'job' }, find), null, 'not one of our keys');
});

test('reconciliation: an item whose POST ended ambiguously takes the job at its own webhook URL; completed fills the image', () => {
  const unknown = item({ status: S.UNKNOWN, grantedAt: 9_000, holdUntil: 70_000, error: { kind: 'network' } });
  const r = D.onJobClaimed(unknown, job('completed', { created: new Date(9_500).toISOString() }), 20_000, 5_000);
  assert.deepEqual([r.changed, r.taken, r.anomaly], [true, true, undefined]);
  assert.deepEqual([r.item.status, r.item.jobid, r.item.reconciled, r.item.error], [S.COMPLETED, 'jU1', true, null]);
  assert.deepEqual([r.item.imageUrl, r.item.width, r.item.height], ['https://cdn/x.png', 4096, 3072]);
  const running = D.onJobClaimed(unknown, job('created'), 20_000, 5_000);
  assert.deepEqual([running.item.status, running.item.jobid, running.item.nextPollAt, running.item.holdUntil], [S.CREATED, 'jU1', 25_000, null]);
  assert.equal(D.holdsSlot(running.item, 1e15, CFG), true, 'a job found running holds its slot until it ends');
  // The consumer stopped after its POST, before recording: the webhook comes while it is still submitting.
  const died = D.onJobClaimed(item({ status: S.SUBMITTING, grantedAt: 9_000 }), job('completed'), 20_000, 5_000);
  assert.deepEqual([died.taken, died.item.status, died.anomaly], [true, S.COMPLETED, undefined]);
  assert.equal(D.onPosted(died.item, job('created'), 21_000, 5_000).changed, false, 'its late POST report then changes nothing');
  // A POST taken as refused (429) that did create the job: adopted, so it is never sent again, and reported.
  const queued = D.onJobClaimed(item({ status: S.QUEUED }), job('created'), 20_000, 5_000);
  assert.deepEqual([queued.taken, queued.item.status, queued.anomaly.event], [true, S.CREATED, 'job_after_refusal']);
  assert.equal(D.onDelivery(queued.item, ctx()).action, 'ack', 'its message then sends nothing');
  // A field the provider does not echo is not held against the job (the URL's tag is what binds it).
  assert.equal(D.onJobClaimed(unknown, job('created', { request: undefined, type: undefined }), 20_000, 5_000).taken, true);
});

test('a job at an item\'s own URL that cannot be its POST\'s, or a second one, changes nothing and is reported', () => {
  const unknown = item({ status: S.UNKNOWN, grantedAt: 1_000_000, request: { jobid: 'src', imageIndex: 1, upscaleResolution: '2k' } });
  const echo = { jobid: 'src', imageIndex: 1, resolution: '2k' };
  assert.equal(D.onJobClaimed(unknown, job('completed', { request: echo }), 1_100_000, 5_000).taken, true, 'the echo matches');
  for (const [why, over] of [
    ['another source', { request: { ...echo, jobid: 'other' } }],
    ['another image', { request: { ...echo, imageIndex: 0 } }],
    ['another resolution', { request: { ...echo, resolution: '4k' } }],
    ['a generation', { type: 'image', request: echo }],
    ['made before the item was sent', { request: echo, created: new Date(1_000_000 - D.CLOCK_SKEW_MS - 1).toISOString() }],
  ]) {
    const r = D.onJobClaimed(unknown, job('completed', over), 1_100_000, 5_000);
    assert.deepEqual([r.changed, r.taken, r.item, r.anomaly?.event], [false, false, unknown, 'foreign_job'], why);
  }
  assert.equal(D.onJobClaimed(unknown, job('completed', { request: echo, created: new Date(1_000_000 - D.CLOCK_SKEW_MS + 1).toISOString() }), 1_100_000, 5_000).taken, true, 'clock skew within bounds');
  const rejected = item({ status: S.FAILED, request: null, error: { kind: 'validation' } });
  assert.equal(D.onJobClaimed(rejected, job('completed'), 1, 1).anomaly.event, 'foreign_job', 'an item refused at validation was never sent');
  const created = item({ status: S.CREATED, jobid: 'jFirst' });
  const second = D.onJobClaimed(created, job('completed'), 20_000, 5_000);
  assert.deepEqual([second.changed, second.taken, second.item, second.anomaly.event], [false, false, created, 'second_job']);
  assert.match(second.anomaly.why, /double charge/);
  assert.deepEqual([D.onJobClaimed(null, job('completed'), 1, 1).changed, D.onJobClaimed(null, job('completed'), 1, 1).anomaly], [false, undefined], 'a deleted batch');
});

test('duplicate or stale webhooks change nothing; another job id does not touch the item', () => {
  const created = item({ status: S.CREATED, jobid: 'jU1' });
  const done = D.onJobSeen(created, job('completed'), 20_000).item;
  assert.equal(D.onJobSeen(done, job('completed'), 21_000).changed, false);
  assert.equal(D.onJobSeen(done, job('failed'), 21_000).changed, false, 'a completed item stays completed');
  assert.equal(D.onJobSeen(created, job('completed', { jobid: 'jOther' }), 20_000).changed, false);
  assert.equal(D.onJobSeen(item({ status: S.UNKNOWN }), job('completed'), 20_000).changed, false, 'no adoption here: only onJobClaimed adopts');
  assert.equal(D.onJobSeen(created, job('created'), 20_000).changed, false, 'still running: nothing new');
  const failed = D.onJobSeen(created, job('failed'), 20_000).item;
  assert.deepEqual([failed.status, failed.error.kind, failed.error.message], [S.FAILED, 'job_failed', 'fail_code: 2043']);
});

test('polling: doubling gaps capped at 15 min; 404/410 fail the item keeping its job id; blips poll again', () => {
  assert.deepEqual([0, 1, 2, 3, 10].map((p) => D.pollGapMs(p, 1_000)), [1_000, 2_000, 4_000, 8_000, 32_000]);
  assert.equal(D.pollGapMs(20, 60_000), 15 * 60_000);
  const created = item({ status: S.CREATED, jobid: 'jU1', polls: 0 });
  const next = D.afterPoll(created, 50_000, 1_000);
  assert.deepEqual([next.polls, next.nextPollAt], [1, 51_000]);
  const gone = D.onPollRefused(created, { kind: 'gone', status: 410 }, 50_000);
  assert.deepEqual([gone.status, gone.jobid, gone.error.kind], [S.FAILED, 'jU1', 'gone']);
  assert.equal(D.onPollRefused(created, { kind: 'network' }, 50_000), null);
});

test('keys: made and parsed back; anything else is refused', () => {
  assert.deepEqual(D.parseKey(KEY), { batch: BATCH, index: 7 });
  for (const bad of [null, 42, '', 'x/1', `${BATCH}/`, `${BATCH}/01`, `${BATCH}/10000`, `${BATCH}/-1`, `${BATCH}/1.5`, `${BATCH.toUpperCase()}/1`]) {
    assert.equal(D.parseKey(bad), null, String(bad));
  }
});

test('batch bodies: 1–10,000 items; only "items"; the Worker\'s own fields are refused per item', () => {
  assert.equal(D.parseBatchBody({ items: [{ jobid: 'a' }] }).items.length, 1);
  assert.equal(D.parseBatchBody({ items: Array(D.MAX_ITEMS).fill({}) }).items.length, D.MAX_ITEMS);
  assert.equal(D.parseBatchBody({ items: Array(D.MAX_ITEMS + 1).fill({}) }).status, 413);
  for (const bad of [null, [], 'x', {}, { items: [] }, { items: {} }, { items: [{}], extra: 1 }]) assert.equal(D.parseBatchBody(bad).status, 400, JSON.stringify(bad));
  assert.equal(D.ownFieldError({ jobid: 'a', replyRef: 'mine' }).field, 'replyRef');
  assert.equal(D.ownFieldError({ jobid: 'a', replyUrl: 'https://x' }).field, 'replyUrl');
  assert.equal(D.ownFieldError({ jobid: 'a' }), null);
});

test('config: defaults, bounds, and a message naming the bad variable', () => {
  const env = { USEAPI_TOKEN: 't', API_KEY: 'k', PUBLIC_URL: 'https://b.example.workers.dev/' };
  const c = config(env);
  assert.deepEqual([c.maxJobs, c.publicUrl, c.upstream, c.account], [10, 'https://b.example.workers.dev', undefined, 'default']);
  assert.equal(config({ ...env, MAX_JOBS: '3' }).maxJobs, 3);
  assert.throws(() => config({ ...env, MAX_JOBS: '0' }), /MAX_JOBS/);
  assert.throws(() => config({ ...env, MAX_JOBS: '2.5' }), /MAX_JOBS/);
  assert.throws(() => config({ ...env, PUBLIC_URL: 'b.example' }), /PUBLIC_URL/);
  assert.throws(() => config({ ...env, USEAPI_TOKEN: '' }), /USEAPI_TOKEN/);
  assert.throws(() => config({ ...env, API_KEY: undefined }), /API_KEY/);
});

test('reports: counters add up to the total; storage says whether pictures are kept; items show only what their status has', () => {
  const s = D.summarize({ id: BATCH, total: 9 }, { queued: 1, submitting: 1, created: 2, completed: 3, failed: 1, unknown: 1 });
  assert.deepEqual({ ...s, storage: undefined }, { id: BATCH, total: 9, queued: 1, running: 3, completed: 3, failed: 1, unknown: 1, storage: undefined });
  assert.equal(s.storage.bucket, null);
  assert.match(s.storage.note, /no R2 bucket bound/);
  assert.deepEqual(D.summarize({ id: BATCH, total: 9 }, {}, { stored: 2 }).storage, { bucket: 'RESULTS', pending: 0, stored: 2, failed: 0 });
  assert.deepEqual(D.publicItem(item({ status: S.COMPLETED, jobid: 'j', imageUrl: 'u', width: 1, height: 2 })), { index: 7, status: 'completed', jobid: 'j', imageUrl: 'u', width: 1, height: 2 });
  assert.deepEqual(D.publicItem(item()), { index: 7, status: 'queued' });
  const p = D.parsePage(new URLSearchParams('offset=100&limit=50&status=unknown'));
  assert.deepEqual(p, { offset: 100, limit: 50, status: 'unknown' });
  assert.throws(() => D.parsePage(new URLSearchParams('limit=0')), /limit/);
  assert.throws(() => D.parsePage(new URLSearchParams('status=bogus')), /status/);
  assert.ok(D.batchFinished({ counts: { completed: 3, failed: 1, unknown: 1 }, holding: 0, storing: 0 }));
  for (const busy of [{ counts: { queued: 1 } }, { counts: { created: 1 } }, { counts: {}, holding: 1 }, { counts: {}, storing: 1 }]) assert.ok(!D.batchFinished(busy), JSON.stringify(busy));
});

test('pictures: a completed item is stored once a bucket is bound; tries back off; a failure keeps the job id and the provider URL', () => {
  const done = D.onJobSeen(item({ status: S.CREATED, jobid: 'jU1' }), job('completed'), 20_000).item;
  assert.deepEqual(done.images, [{ imageUrl: 'https://cdn/x.png', width: 4096, height: 3072 }]);
  assert.equal(D.toStore(done, { results: false, now: 1, orphanMs: 10 }), null, 'no bucket: nothing to store');
  const pending = D.toStore(done, { results: true, now: 1, orphanMs: 10 });
  assert.deepEqual([pending.store, pending.storeDueAt], [D.STORE.PENDING, 11]);
  assert.equal(D.toStore(pending, { results: true, now: 1, orphanMs: 10 }), null, 'once');
  const opts = { now: 100, orphanMs: 10, tries: 3 };
  const retry = D.onStoreOutcome(pending, { error: { kind: 'download', status: 503 }, attempts: 2 }, opts);
  assert.deepEqual([retry.store, retry.storeDueAt, D.storeBackoffS(2)], [D.STORE.PENDING, 100 + 2_000 + 10, 2]);
  const failed = D.onStoreOutcome(pending, { error: { kind: 'download', status: 503 }, attempts: 3 }, opts);
  const shown = D.publicItem(failed);
  assert.deepEqual([shown.status, shown.jobid, shown.imageUrl, shown.stored.status, shown.stored.attempts], ['completed', 'jU1', 'https://cdn/x.png', 'failed', 3]);
  assert.equal(D.onStoreOutcome(pending, { error: { kind: 'too_large' }, attempts: 1, permanent: true }, opts).store, D.STORE.FAILED, 'no retry can help');
  const stored = D.onStoreOutcome(pending, { objects: [{ key: D.objectKey(BATCH, 7, 0), bytes: 5, contentType: 'image/png' }] }, opts);
  assert.deepEqual(D.publicItem(stored).stored, { status: 'stored', objects: [{ key: `${BATCH}/7/0`, bytes: 5, contentType: 'image/png', url: `/batches/${BATCH}/items/7/image` }] });
  assert.equal(D.onStoreOutcome(stored, { objects: [] }, opts), null, 'a duplicate report changes nothing');
  assert.ok(D.objectKey(BATCH, 7, 0).startsWith(D.batchPrefix(BATCH)));
});

test('Idempotency-Key: the same key gives the same batch id, shaped like the random ones', async () => {
  const a = await D.batchIdFor('catalogue-2026-12');
  assert.equal(a, await D.batchIdFor('catalogue-2026-12'));
  assert.notEqual(a, await D.batchIdFor('catalogue-2026-13'));
  assert.ok(D.isBatchId(a), a);
  assert.ok(D.parseKey(D.itemKey(a, 3)));
  assert.equal(D.idempotencyKeyError(null), null);
  assert.equal(D.idempotencyKeyError('order-7'), null);
  for (const bad of ['', ' ', 'a b', 'x'.repeat(201), 'é']) assert.match(D.idempotencyKeyError(bad), /Idempotency-Key/, JSON.stringify(bad));
});
