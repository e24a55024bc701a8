// The batch Worker's decisions on the host: deliveries and redeliveries, POST outcomes,
// reconciliation by replyRef, polling, capacity delays, request checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as D from '../src/decide.mjs';

const S = D.STATUS;
const BATCH = '0b6f9c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e';
const KEY = D.itemKey(BATCH, 7);
const item = (over = {}) => ({ batch: BATCH, index: 7, status: S.QUEUED, request: { jobid: 'src' }, waits: 0, polls: 0, ...over });
const ctx = (over = {}) => ({
  now: 10_000, attempts: 1, running: 0, maxJobs: 10, ahead: 0, waiting: 0, slotMs: 2_000, earliestFreeInMs: 0,
  unknownHoldMs: 60_000, slotWaitMs: 0, mayWait: false, submitLeaseMs: 30_000, orphanMs: 600_000, ...over,
});
const job = (status, over = {}) => ({
  jobid: 'jU1', status,
  ...(status === 'completed' ? { response: { images: [{ imageUrl: 'https://cdn/x.png', width: 4096, height: 3072 }] } } : {}),
  ...(status === 'failed' ? { error: 'fail_code: 2043' } : {}),
  ...over,
});

test('a first delivery with a free slot reserves it (submitting) and says submit', () => {
  const d = D.onDelivery(item(), ctx({ running: 9 }));
  assert.equal(d.action, 'submit');
  assert.equal(d.item.status, S.SUBMITTING);
  assert.equal(d.item.grantedAt, 10_000);
  assert.ok(D.holdsSlot(d.item, 10_000));
});

test('no free slot: retry after the oldest job should end plus one job per MAX_JOBS waiters ahead, never under 1 s', () => {
  const full = ctx({ running: 10, earliestFreeInMs: 1_500, ahead: 25 });
  const d = D.onDelivery(item(), full);
  assert.equal(d.action, 'retry');
  assert.equal(d.delaySeconds, Math.ceil((1_500 + 2 * 2_000) / 1000));
  assert.equal(d.item.status, S.QUEUED, 'still queued, nothing reserved');
  assert.equal(d.item.waitUntil, 10_000 + d.delaySeconds * 1000);
  assert.equal(d.item.dueAt, d.item.waitUntil + 600_000, 'overdue after that: its message was lost');
  assert.equal(D.onDelivery(item({ dueAt: 5 }), ctx()).item.dueAt, null, 'a submitted item is not due for delivery');
  assert.equal(d.item.waits, 1);
  assert.equal(D.onDelivery(item(), ctx({ running: 10, earliestFreeInMs: -5_000 })).delaySeconds, 1, 'an overdue job: 1 s, not 0 (no spinning)');
  assert.equal(D.noCapacityDelay({ ahead: 1e9, maxJobs: 1, slotMs: 1e6, earliestFreeInMs: 0 }), D.MAX_DELAY_S);
});

test('no free slot but one is due within SLOT_WAIT_MS: wait for it; too many waiting: retry', () => {
  const base = ctx({ running: 10, mayWait: true, slotWaitMs: 2_000, earliestFreeInMs: 300, slotMs: 400 });
  assert.equal(D.onDelivery(item(), base).action, 'wait');
  assert.equal(D.onDelivery(item(), { ...base, waiting: 50 }).action, 'retry', '50 ahead = 5 rounds of 400 ms + 300 > 2 s');
  assert.equal(D.onDelivery(item(), { ...base, mayWait: false }).action, 'retry', 'after the wait: no second wait');
});

test('a message retried many times is requeued as a fresh message (the queue drops it after max_retries)', () => {
  const d = D.onDelivery(item(), ctx({ running: 10, attempts: D.REQUEUE_AT_ATTEMPT }));
  assert.equal(d.action, 'requeue');
  assert.ok(d.delaySeconds >= 1);
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
  assert.ok(D.holdsSlot(d.item, 68_999) && !D.holdsSlot(d.item, 69_000));
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

test('POST failures: refused → failed; 429 / provider 503 → queued again and retried; reset, timeout, 5xx → unknown (never re-sent)', () => {
  const sub = item({ status: S.SUBMITTING, grantedAt: 9_000 });
  const c = { now: 10_000, slotMs: 3_000, unknownHoldMs: 60_000, orphanMs: 600_000 };
  const refused = D.onPostFailed(sub, { kind: 'validation', field: 'jobid', message: 'Source image job not found', status: 400 }, c);
  assert.deepEqual([refused.item.status, refused.action, refused.item.error.field], [S.FAILED, 'ack', 'jobid']);
  const limited = D.onPostFailed(sub, { kind: 'rate_limited', status: 429, retryAfterMs: 4_200 }, c);
  assert.deepEqual([limited.item.status, limited.action, limited.delaySeconds], [S.QUEUED, 'retry', 5]);
  assert.equal(D.holdsSlot(limited.item, 10_000), false, 'the slot is released');
  assert.equal(D.onPostFailed(sub, { kind: 'server', status: 503 }, c).action, 'retry');
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

test('a confirmed job matches its item by jobid, or by the replyRef the provider recorded, never by a claimed one', () => {
  const find = (jobid) => (jobid === 'jKnown' ? 'known-key' : null);
  assert.deepEqual(D.matchKey({ jobid: 'jKnown', replyRef: KEY, replyRefSource: 'job' }, find), { key: 'known-key', by: 'jobid' });
  assert.deepEqual(D.matchKey({ jobid: 'jNew', replyRef: KEY, replyRefSource: 'job' }, find), { key: KEY, by: 'replyRef' });
  assert.equal(D.matchKey({ jobid: 'jNew', replyRef: KEY, replyRefSource: 'body' }, find), null, 'a body claim reconciles nothing');
  assert.equal(D.matchKey({ jobid: 'jNew', replyRef: 'order-42', replyRefSource: 'job' }, find), null, 'not one of our keys');
});

test('reconciliation: an unknown item adopts the job its webhook confirms; completed fills the image', () => {
  const unknown = item({ status: S.UNKNOWN, holdUntil: 70_000, error: { kind: 'network' } });
  const r = D.onJobSeen(unknown, job('completed'), 20_000, 5_000);
  assert.equal(r.changed, true);
  assert.equal(r.item.status, S.COMPLETED);
  assert.equal(r.item.jobid, 'jU1');
  assert.equal(r.item.reconciled, true);
  assert.deepEqual([r.item.imageUrl, r.item.width, r.item.height], ['https://cdn/x.png', 4096, 3072]);
  assert.equal(r.item.error, null);
  const running = D.onJobSeen(unknown, job('created'), 20_000, 5_000);
  assert.deepEqual([running.item.status, running.item.jobid, running.item.nextPollAt], [S.CREATED, 'jU1', 25_000]);
  assert.equal(D.onJobSeen(item({ status: S.QUEUED }), job('completed'), 1, 1).changed, false, 'a queued item was never sent: no adoption');
});

test('duplicate or stale webhooks change nothing; another job id does not touch the item', () => {
  const created = item({ status: S.CREATED, jobid: 'jU1' });
  const done = D.onJobSeen(created, job('completed'), 20_000, 5_000).item;
  assert.equal(D.onJobSeen(done, job('completed'), 21_000, 5_000).changed, false);
  assert.equal(D.onJobSeen(done, job('failed'), 21_000, 5_000).changed, false, 'a completed item stays completed');
  assert.equal(D.onJobSeen(created, job('completed', { jobid: 'jOther' }), 20_000, 5_000).changed, false);
  assert.equal(D.onJobSeen(created, job('created'), 20_000, 5_000).changed, false, 'still running: nothing new');
  const failed = D.onJobSeen(created, job('failed'), 20_000, 5_000).item;
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
  const c = D.config(env);
  assert.deepEqual([c.maxJobs, c.publicUrl, c.upstream, c.account], [10, 'https://b.example.workers.dev', undefined, 'default']);
  assert.equal(D.config({ ...env, MAX_JOBS: '3' }).maxJobs, 3);
  assert.throws(() => D.config({ ...env, MAX_JOBS: '0' }), /MAX_JOBS/);
  assert.throws(() => D.config({ ...env, MAX_JOBS: '2.5' }), /MAX_JOBS/);
  assert.throws(() => D.config({ ...env, PUBLIC_URL: 'b.example' }), /PUBLIC_URL/);
  assert.throws(() => D.config({ ...env, USEAPI_TOKEN: '' }), /USEAPI_TOKEN/);
  assert.throws(() => D.config({ ...env, API_KEY: undefined }), /API_KEY/);
});

test('reports: counters add up to the total; items show only what their status has', () => {
  const s = D.summarize({ id: BATCH, total: 9 }, { queued: 1, submitting: 1, created: 2, completed: 3, failed: 1, unknown: 1 });
  assert.deepEqual(s, { id: BATCH, total: 9, queued: 1, running: 3, completed: 3, failed: 1, unknown: 1 });
  assert.deepEqual(D.publicItem(item({ status: S.COMPLETED, jobid: 'j', imageUrl: 'u', width: 1, height: 2 })), { index: 7, status: 'completed', jobid: 'j', imageUrl: 'u', width: 1, height: 2 });
  assert.deepEqual(D.publicItem(item()), { index: 7, status: 'queued' });
  const p = D.parsePage(new URLSearchParams('offset=100&limit=50&status=unknown'));
  assert.deepEqual(p, { offset: 100, limit: 50, status: 'unknown' });
  assert.throws(() => D.parsePage(new URLSearchParams('limit=0')), /limit/);
  assert.throws(() => D.parsePage(new URLSearchParams('status=bogus')), /status/);
});

test('the slot estimate moves toward what jobs take', () => {
  let est = 45_000;
  for (let i = 0; i < 30; i++) est = D.updateSlotEstimate(est, 500);
  assert.ok(est < 1_000 && est >= 500, String(est));
  assert.equal(D.updateSlotEstimate(1_000, NaN), 1_000);
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
