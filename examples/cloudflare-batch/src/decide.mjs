// The batch Worker's decisions, as pure functions of plain records (no I/O, no clock, no
// Cloudflare API): what a delivery means, what a POST outcome means, when to poll, how a
// confirmed job updates an item. The Durable Object (ledger.mjs) only loads, calls and stores.

/** An item's life: queued → submitting → created(jobid) → completed | failed; `unknown` when a
 * POST ended ambiguously (the job may exist) until a confirmed webhook with its replyRef says. */
export const STATUS = Object.freeze({
  QUEUED: 'queued', SUBMITTING: 'submitting', CREATED: 'created', UNKNOWN: 'unknown',
  COMPLETED: 'completed', FAILED: 'failed',
});
export const MAX_ITEMS = 10_000;
/** Cloudflare's bounds: delaySeconds ≤ 12 h; a message dies after max_retries (≤ 100). */
export const MAX_DELAY_S = 43_200;
export const REQUEUE_AT_ATTEMPT = 50;

const DONE = new Set([STATUS.COMPLETED, STATUS.FAILED]);
/** POST failures after which the job cannot exist (the API answered and refused). */
const REFUSED = new Set(['validation', 'unauthorized', 'payment_required', 'not_found', 'gone', 'moderated', 'account_error']);

// ---------------------------------------------------------------------------------------
// Configuration

const int = (env, name, dflt, lo, hi) => {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name} must be an integer ${lo}-${hi}, got ${JSON.stringify(raw)}`);
  return n;
};

/** The Worker's settings from its env (vars and secrets); throws a message naming the bad one. */
export function config(env) {
  const publicUrl = String(env.PUBLIC_URL ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new Error(`PUBLIC_URL must be this Worker's absolute http(s) URL, got ${JSON.stringify(env.PUBLIC_URL)}`);
  if (!env.USEAPI_TOKEN) throw new Error('USEAPI_TOKEN is not set (wrangler secret put USEAPI_TOKEN)');
  if (!env.API_KEY) throw new Error('API_KEY is not set (wrangler secret put API_KEY): it guards POST/GET /batches');
  return {
    token: env.USEAPI_TOKEN,
    apiKey: env.API_KEY,
    upstream: env.UPSTREAM || undefined, // undefined: the client's default, the provider's URL
    publicUrl,
    account: env.ACCOUNT || 'default',
    maxJobs: int(env, 'MAX_JOBS', 10, 1, 50),
    // How long a job usually takes (provider: 15–120 s); learned as jobs finish.
    expectedJobMs: int(env, 'EXPECTED_JOB_MS', 45_000, 1, 3_600_000),
    // A created job whose webhook has not come after this is polled, then every POLL_EVERY_MS (doubling, capped).
    pollAfterMs: int(env, 'POLL_AFTER_MS', 180_000, 100, 86_400_000),
    pollEveryMs: int(env, 'POLL_EVERY_MS', 30_000, 100, 3_600_000),
    // An `unknown` item holds a capacity slot this long (its job may be running), then lets go.
    unknownHoldMs: int(env, 'UNKNOWN_HOLD_MS', 300_000, 0, 86_400_000),
    // A delivery with no free slot may wait this long in the Durable Object for one to free.
    slotWaitMs: int(env, 'SLOT_WAIT_MS', 5_000, 0, 30_000),
    // Longer than any consumer's POST can take (3 tries × 30 s + backoff): within it, a second
    // delivery for a submitting item may be a duplicate message while the first is still posting.
    submitLeaseMs: int(env, 'SUBMIT_LEASE_MS', 180_000, 0, 3_600_000),
    // A queued item not delivered for this long has lost its message: the alarm sends a new one.
    orphanMs: int(env, 'ORPHAN_MS', 900_000, 1_000, 86_400_000),
  };
}

// ---------------------------------------------------------------------------------------
// Keys and request bodies

/** The item's key, used as the job's replyRef and in queue messages. */
export const itemKey = (batch, index) => `${batch}/${index}`;
const BATCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isBatchId = (s) => typeof s === 'string' && BATCH_ID.test(s);

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
export const sha256 = async (text) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

/** The batch id for an `Idempotency-Key` (the same key = the same batch), UUID-shaped. */
export async function batchIdFor(idempotencyKey) {
  const h = await sha256(`dreamina-batch id:${idempotencyKey}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `Idempotency-Key`: absent (null), or 1–200 visible ASCII characters. */
export function idempotencyKeyError(key) {
  if (key === null) return null;
  return /^[\x21-\x7e]{1,200}$/.test(key) ? null : 'Idempotency-Key must be 1-200 visible ASCII characters';
}

/** `{batch, index}` from a key, or null for anything this Worker did not make. */
export function parseKey(key) {
  if (typeof key !== 'string') return null;
  const slash = key.lastIndexOf('/');
  const batch = key.slice(0, slash);
  const digits = key.slice(slash + 1);
  if (slash < 0 || !isBatchId(batch) || !/^(0|[1-9]\d{0,4})$/.test(digits)) return null;
  const index = Number(digits);
  return index < MAX_ITEMS ? { batch, index } : null;
}

/** Checks the shape of `POST /batches`; each item is then checked with the client's own rules. */
export function parseBatchBody(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'body must be a JSON object {"items": [...]}', status: 400 };
  const extra = Object.keys(body).filter((k) => k !== 'items');
  if (extra.length) return { error: `unknown field ${JSON.stringify(extra[0])} (expected only "items")`, status: 400 };
  if (!Array.isArray(body.items) || body.items.length === 0) return { error: '"items" must be a non-empty array of upscale requests', status: 400 };
  if (body.items.length > MAX_ITEMS) return { error: `"items" holds ${body.items.length} requests; at most ${MAX_ITEMS} per batch`, status: 413 };
  return { items: body.items };
}

/** Fields the Worker sets itself; an item that sets them is refused (not silently changed). */
export function ownFieldError(item) {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return null; // the client names it
  for (const field of ['replyUrl', 'replyRef']) {
    if (item[field] !== undefined) return { kind: 'validation', field, message: `Invalid ${field}: the batch Worker sets it (its own /webhook and the item's key)` };
  }
  return null;
}

/** A plain, JSON-safe copy of an error (a DreaminaError or anything thrown). */
export function errorInfo(err) {
  const out = { kind: typeof err?.kind === 'string' ? err.kind : 'internal', message: String(err?.message ?? err) };
  for (const k of ['status', 'field', 'jobid', 'retryAfterMs']) if (err?.[k] !== undefined) out[k] = err[k];
  return out;
}

// ---------------------------------------------------------------------------------------
// Capacity

/** True when the item occupies one of the account's MAX_JOBS slots at `now`. */
export function holdsSlot(item, now) {
  if (item.status === STATUS.SUBMITTING || item.status === STATUS.CREATED) return true;
  return item.status === STATUS.UNKNOWN && (item.holdUntil ?? 0) > now;
}

/**
 * Seconds until a delivery that found no slot should come back: after the oldest running job is
 * expected to end, plus one job length per `maxJobs` waiters already ahead of it. At least 1 s
 * (never spin), at most Cloudflare's 12 h.
 */
export function noCapacityDelay({ ahead, maxJobs, slotMs, earliestFreeInMs }) {
  const rounds = Math.floor(Math.max(0, ahead) / maxJobs);
  const ms = Math.max(0, earliestFreeInMs) + rounds * slotMs;
  return Math.min(MAX_DELAY_S, Math.max(1, Math.ceil(ms / 1000)));
}

/** Whether a delivery without a slot should wait in the Durable Object for one (bounded). */
export function shouldWaitForSlot({ waiting, maxJobs, slotMs, earliestFreeInMs, slotWaitMs }) {
  if (slotWaitMs <= 0) return false;
  const expected = Math.max(0, earliestFreeInMs) + Math.floor(waiting / maxJobs) * slotMs;
  return expected <= slotWaitMs;
}

/** The running estimate of how long a slot stays taken (EWMA of observed grant→done times). */
export function updateSlotEstimate(current, sampleMs) {
  if (!(sampleMs > 0)) return current;
  return Math.round(current * 0.8 + sampleMs * 0.2);
}

// ---------------------------------------------------------------------------------------
// Deliveries: what a (re)delivered queue message means

/**
 * Decides a delivery of `item`'s message. ctx: {now, attempts, running, maxJobs, ahead,
 * slotMs, earliestFreeInMs, unknownHoldMs}. Returns {item (new or same), action, delaySeconds?, why}.
 * actions: 'submit' (a slot is reserved: POST now), 'ack' (nothing to send), 'wait' (no slot:
 * wait for one, then decide again), 'retry' / 'requeue' (no slot: come back after delaySeconds;
 * requeue = send a fresh message, so the queue's retry limit never drops an item).
 */
export function onDelivery(item, ctx) {
  if (!item) return { item, action: 'ack', why: 'no such item (batch deleted or never stored)' };
  switch (item.status) {
    case STATUS.QUEUED: {
      if (ctx.running < ctx.maxJobs) {
        return { item: { ...item, status: STATUS.SUBMITTING, grantedAt: ctx.now, waitUntil: null, dueAt: null }, action: 'submit', why: 'slot reserved' };
      }
      if (ctx.mayWait && shouldWaitForSlot({ ...ctx, waiting: ctx.waiting ?? 0 })) return { item, action: 'wait', why: 'a slot should free soon' };
      const delaySeconds = noCapacityDelay(ctx);
      const waitUntil = ctx.now + delaySeconds * 1000;
      const next = { ...item, waitUntil, dueAt: waitUntil + ctx.orphanMs, waits: (item.waits ?? 0) + 1 };
      const action = (ctx.attempts ?? 1) >= REQUEUE_AT_ATTEMPT ? 'requeue' : 'retry';
      return { item: next, action, delaySeconds, why: `no capacity (${ctx.running}/${ctx.maxJobs} running)` };
    }
    case STATUS.SUBMITTING: {
      // Within the lease the first delivery may still be posting (this is a duplicate message):
      // come back when the lease is over.
      const leaseLeft = (item.grantedAt ?? 0) + ctx.submitLeaseMs - ctx.now;
      if (leaseLeft > 0) return { item, action: 'retry', delaySeconds: Math.min(MAX_DELAY_S, Math.ceil(leaseLeft / 1000)), why: 'another delivery may still be posting' };
      return { item: leaseExpired(item, ctx.unknownHoldMs), action: 'ack', why: 'redelivery of an item whose POST may have happened' };
    }
    default:
      return { item, action: 'ack', why: `duplicate delivery: item is already ${item.status}` };
  }
}

/**
 * A submitting item whose lease ran out without a report: its consumer stopped while its POST
 * was on the way or after it. The job may exist: never POST again; wait for its webhook. (On a
 * redelivery, or from the alarm when no redelivery comes.)
 */
export function leaseExpired(item, unknownHoldMs) {
  return {
    ...item, status: STATUS.UNKNOWN, holdUntil: (item.grantedAt ?? 0) + unknownHoldMs,
    error: { kind: 'unknown', message: 'a consumer stopped during or after its POST; the job may exist, so it is not sent again (reconciled when its webhook comes)' },
  };
}

// ---------------------------------------------------------------------------------------
// POST outcomes

/** The POST succeeded: the item has its job id. `job` is the created job the API returned. */
export function onPosted(item, job, now, pollAfterMs) {
  if (!item) return { item, changed: false, anomaly: `job ${job.jobid} created for an item that is gone` };
  if (item.jobid && item.jobid !== job.jobid) {
    // Two jobs for one item would be a double bill: keep the first, record the second.
    const extra = [...(item.extraJobids ?? []), job.jobid];
    return { item: { ...item, extraJobids: extra }, changed: true, anomaly: `second job ${job.jobid} for item with ${item.jobid}` };
  }
  if (item.jobid) return { item, changed: false };
  if (DONE.has(item.status)) return { item: { ...item, jobid: job.jobid }, changed: true };
  const created = { ...item, status: STATUS.CREATED, jobid: job.jobid, createdAt: now, nextPollAt: now + pollAfterMs, polls: 0, error: null, holdUntil: null };
  return { item: applyJob(created, job, now), changed: true };
}

/**
 * The POST failed. Refused by the API → failed; 429 or a provider 503 → back to queued and retry
 * later; anything else (reset, timeout, unreadable answer, other 5xx) may have created the job →
 * unknown, never sent again.
 */
export function onPostFailed(item, err, ctx) {
  // A late report (its lease ran out, the item went unknown) still counts: no other POST was made.
  const reporting = item?.status === STATUS.SUBMITTING || (item?.status === STATUS.UNKNOWN && !item.jobid);
  if (!reporting) return { item, changed: false, action: 'ack' };
  const error = errorInfo(err);
  if (error.kind === 'rate_limited' || (error.kind === 'server' && error.status === 503)) {
    const delaySeconds = Math.min(MAX_DELAY_S, Math.max(1, Math.ceil((error.retryAfterMs ?? ctx.slotMs) / 1000)));
    const waitUntil = ctx.now + delaySeconds * 1000;
    return { item: { ...item, status: STATUS.QUEUED, grantedAt: null, holdUntil: null, error: null, waitUntil, dueAt: waitUntil + ctx.orphanMs }, changed: true, action: 'retry', delaySeconds };
  }
  if (REFUSED.has(error.kind)) {
    return { item: { ...item, status: STATUS.FAILED, error, doneAt: ctx.now, grantedAt: null, holdUntil: null }, changed: true, action: 'ack' };
  }
  return { item: { ...item, status: STATUS.UNKNOWN, error, holdUntil: ctx.now + ctx.unknownHoldMs }, changed: true, action: 'ack' };
}

// ---------------------------------------------------------------------------------------
// Confirmed jobs (webhook confirmed by GET, or a poll)

/**
 * Which item a confirmed job belongs to: by job id, or (for an item whose POST was ambiguous)
 * by the replyRef the provider recorded for the job. A replyRef the body merely claims is not used.
 */
export function matchKey({ jobid, replyRef, replyRefSource }, findByJobid) {
  const byJob = findByJobid(jobid);
  if (byJob) return { key: byJob, by: 'jobid' };
  if (replyRefSource === 'job' && parseKey(replyRef)) return { key: replyRef, by: 'replyRef' };
  return null;
}

/** Applies a job the API just returned (GET) to its item; a duplicate changes nothing. */
export function onJobSeen(item, job, now, pollAfterMs) {
  if (!item) return { item, changed: false };
  if (item.jobid && item.jobid !== job.jobid) return { item, changed: false }; // not this item's job
  if (!item.jobid) {
    // Reconciliation: the ambiguous POST did create this job.
    if (item.status !== STATUS.UNKNOWN && item.status !== STATUS.SUBMITTING) return { item, changed: false };
    const found = { ...item, status: STATUS.CREATED, jobid: job.jobid, createdAt: now, nextPollAt: now + pollAfterMs, polls: 0, reconciled: true, error: null, holdUntil: null };
    return { item: applyJob(found, job, now), changed: true };
  }
  const next = applyJob(item, job, now);
  return { item: next, changed: next !== item };
}

/** The item after its job was seen in `job.status`; the same object when nothing changes. */
function applyJob(item, job, now) {
  if (DONE.has(item.status)) return item;
  if (job.status === 'completed') {
    const img = job.response?.images?.[0] ?? {};
    return { ...item, status: STATUS.COMPLETED, imageUrl: img.imageUrl ?? null, width: img.width ?? null, height: img.height ?? null, doneAt: now, nextPollAt: null, error: null };
  }
  if (job.status === 'failed') {
    return { ...item, status: STATUS.FAILED, doneAt: now, nextPollAt: null, error: { kind: 'job_failed', message: String(job.error ?? 'the job failed'), jobid: job.jobid } };
  }
  return item; // still running: the provider treats any other status so
}

// ---------------------------------------------------------------------------------------
// Polling (the alarm): webhooks are hints and can be lost

/** The delay before poll number `polls` (0-based) of a job still running: doubling, capped. */
export function pollGapMs(polls, pollEveryMs) {
  return Math.min(pollEveryMs * 2 ** Math.min(polls, 5), 15 * 60_000);
}

/** After a poll saw the job still running, or the poll itself failed (a blip): when next. */
export function afterPoll(item, now, pollEveryMs) {
  const polls = (item.polls ?? 0) + 1;
  return { ...item, polls, nextPollAt: now + pollGapMs(polls - 1, pollEveryMs) };
}

/** A poll answered that the job is gone for good (404, 410): failed, job id kept. */
export function onPollRefused(item, err, now) {
  const error = errorInfo(err);
  if (error.kind !== 'not_found' && error.kind !== 'gone') return null;
  return { ...item, status: STATUS.FAILED, doneAt: now, nextPollAt: null, error };
}

// ---------------------------------------------------------------------------------------
// Reports

/** GET /batches/{id} counters from per-status counts (`unknown` = needs reconciliation). */
export function summarize(batch, counts) {
  const c = (s) => counts[s] ?? 0;
  return {
    id: batch.id, total: batch.total,
    queued: c(STATUS.QUEUED), running: c(STATUS.SUBMITTING) + c(STATUS.CREATED),
    completed: c(STATUS.COMPLETED), failed: c(STATUS.FAILED), unknown: c(STATUS.UNKNOWN),
  };
}

/** One item as GET /batches/{id} shows it. */
export function publicItem(item) {
  const out = { index: item.index, status: item.status };
  if (item.jobid) out.jobid = item.jobid;
  if (item.status === STATUS.COMPLETED) Object.assign(out, { imageUrl: item.imageUrl, width: item.width, height: item.height });
  if (item.error && item.status !== STATUS.COMPLETED) out.error = item.error;
  if (item.reconciled) out.reconciled = true;
  if (item.extraJobids?.length) out.extraJobids = item.extraJobids;
  return out;
}

/** `?offset=&limit=&status=` of GET /batches/{id}; limit 1–1000 (default 100). */
export function parsePage(params) {
  const num = (name, dflt, lo, hi) => {
    const raw = params.get(name);
    if (raw === null || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name} must be an integer ${lo}-${hi}`);
    return n;
  };
  const status = params.get('status');
  if (status !== null && !Object.values(STATUS).includes(status)) throw new Error(`status must be one of ${Object.values(STATUS).join(', ')}`);
  return { offset: num('offset', 0, 0, MAX_ITEMS), limit: num('limit', 100, 1, 1000), status };
}
