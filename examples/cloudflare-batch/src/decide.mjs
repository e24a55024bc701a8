// The batch Worker's decisions, as pure functions of plain records (no I/O, no clock, no
// Cloudflare API): who holds a slot, what a delivery means, what a POST outcome means, when to
// poll, how a confirmed job updates an item, what becomes of its pictures. The Durable Object
// (ledger.mjs) only loads, calls and stores.

/** An item's life: queued (parked, or dispatched to a freed slot) → submitting → created(jobid)
 * → completed | failed; `unknown` when a POST ended ambiguously (the job may exist) until a
 * call at the item's own signed webhook URL brings a job that GET confirms (onJobClaimed). */
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
// Keys and request bodies

/** The item's key: in queue messages, in the job's own webhook URL (signed: webhooks.mjs) and,
 * for people reading the provider's calls, as its replyRef (never trusted: a body's claim). */
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
// Capacity: who holds one of the account's MAX_JOBS slots, and until when (one rule)

/** A slot the ledger reserved for a parked item when it sent its message: lapses if none comes. */
export const DISPATCH_LEASE_MS = 60_000;
/** Held until the job is seen to end (a created job): later than any clock. */
export const FOREVER = Number.MAX_SAFE_INTEGER;

/**
 * Until when `item` occupies one of the account's slots (ms since the epoch), or null: THE rule.
 * The ledger stores it in every row it writes (`slot_until`) and counts `slot_until > now`.
 *  - queued: only once the ledger dispatched it to a freed slot (reserved until its message comes);
 *  - submitting: a consumer is posting; past its lease it counts as unknown (below);
 *  - created: the job runs until a webhook or a poll says it ended;
 *  - unknown: the job may be running: held UNKNOWN_HOLD_MS from its grant, then let go.
 */
export function slotUntil(item, { submitLeaseMs, unknownHoldMs }) {
  switch (item?.status) {
    case STATUS.QUEUED: return item.dispatchedAt ? item.dispatchedAt + DISPATCH_LEASE_MS : null;
    case STATUS.SUBMITTING: return (item.grantedAt ?? 0) + Math.max(submitLeaseMs, unknownHoldMs);
    case STATUS.CREATED: return FOREVER;
    case STATUS.UNKNOWN: return item.holdUntil ?? null;
    default: return null;
  }
}
export const holdsSlot = (item, now, cfg) => (slotUntil(item, cfg) ?? 0) > now;

/** What the Worker knows of job times, learned from the jobs (EWMA of created → seen done). */
export function learnJobTime(current, sampleMs) {
  if (!(sampleMs > 0)) return current;
  return current ? Math.round(current * 0.8 + sampleMs * 0.2) : Math.round(sampleMs);
}

/** The first poll of a created job whose webhook has not come: twice the learned job time (at
 * least 5 s), never later than POLL_AFTER_MS; POLL_AFTER_MS until a job time is known. */
export function firstPollMs(jobMs, pollAfterMs) {
  return jobMs ? Math.min(pollAfterMs, Math.max(5_000, 2 * jobMs)) : pollAfterMs;
}

/** After the provider said "at capacity" (429, or 503): no more jobs than are running now until the
 * Retry-After, or a backoff doubling from 1 s to 60 s, is over. `prev`: the limit in force. */
export function busyLimit(prev, { running, retryAfterMs, now }) {
  const backoffMs = prev && prev.until > now - 60_000 ? Math.min(60_000, prev.backoffMs * 2) : 1_000;
  const forMs = retryAfterMs > 0 ? Math.min(retryAfterMs, MAX_DELAY_S * 1000) : backoffMs;
  return { n: Math.max(1, running), until: now + forMs, backoffMs };
}

// ---------------------------------------------------------------------------------------
// Deliveries: what a (re)delivered queue message means

/** Waits for a slot in the ledger, with no message (the ledger sends one when a slot frees). */
export const parked = (item) => ({ ...item, dispatchedAt: null, dueAt: null, waitUntil: null, waits: (item.waits ?? 0) + 1 });

/** The ledger gave a freed slot to this parked item and sends its message now. */
export const dispatched = (item, now) => ({ ...item, dispatchedAt: now });

/**
 * Decides a delivery of `item`'s message. ctx: {now, attempts, running, limit, submitLeaseMs,
 * unknownHoldMs}. Returns {item (new or same), action, delaySeconds?, why}. actions: 'submit' (a
 * slot is taken: POST now), 'ack' (nothing to send now: done, or parked until a slot frees),
 * 'retry' / 'requeue' (come back after delaySeconds; requeue = a fresh message, so the queue's
 * retry limit never drops an item). A delivery never waits out a guessed delay for capacity.
 */
export function onDelivery(item, ctx) {
  if (!item) return { item, action: 'ack', why: 'no such item (batch deleted or never stored)' };
  switch (item.status) {
    case STATUS.QUEUED: {
      const reserved = (item.dispatchedAt ?? -Infinity) + DISPATCH_LEASE_MS > ctx.now;
      if (reserved || ctx.running < ctx.limit) {
        const next = { ...item, status: STATUS.SUBMITTING, grantedAt: ctx.now, dispatchedAt: null, waitUntil: null, dueAt: null };
        return { item: next, action: 'submit', why: reserved ? 'the slot reserved for it' : `a free slot (${ctx.running}/${ctx.limit} taken)` };
      }
      return { item: parked(item), action: 'ack', why: `no free slot (${ctx.running}/${ctx.limit} taken): parked until one frees` };
    }
    case STATUS.SUBMITTING: {
      // Within the lease the first delivery may still be posting (this is a duplicate message):
      // come back when the lease is over.
      const leaseLeft = (item.grantedAt ?? 0) + ctx.submitLeaseMs - ctx.now;
      if (leaseLeft > 0) {
        const delaySeconds = Math.min(MAX_DELAY_S, Math.ceil(leaseLeft / 1000));
        return { item, action: (ctx.attempts ?? 1) >= REQUEUE_AT_ATTEMPT ? 'requeue' : 'retry', delaySeconds, why: 'another delivery may still be posting' };
      }
      return { item: leaseExpired(item, ctx.unknownHoldMs), action: 'ack', why: 'redelivery of an item whose POST may have happened' };
    }
    default:
      return { item, action: 'ack', why: `duplicate delivery: item is already ${item.status}` };
  }
}

/** A queued item whose message did not come within ORPHAN_MS (lost): parked, so the ledger sends
 * it when a slot frees. Anything else is left as it is (re-checked, never assumed). */
export function onMessageLost(item, now) {
  if (item?.status !== STATUS.QUEUED || item.dueAt === null || item.dueAt > now) return null;
  return parked(item);
}

/**
 * A submitting item whose lease ran out without a report: its consumer stopped while its POST
 * was on the way or after it. The job may exist: never POST again; wait for its webhook. (On a
 * redelivery, or from the alarm when no redelivery comes.)
 */
export function leaseExpired(item, unknownHoldMs) {
  return {
    ...item, status: STATUS.UNKNOWN, holdUntil: (item.grantedAt ?? 0) + unknownHoldMs,
    error: { kind: 'unknown', message: 'a consumer stopped during or after its POST; the job may exist, so it is not sent again (reconciled when its webhook comes to the item\'s own URL)' },
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
 * The POST failed. Refused by the API → failed; 429 or a provider 503 → parked again (`busy`: the
 * account is at capacity); anything else (reset, timeout, unreadable answer, other 5xx) may have created the job →
 * unknown, never sent again.
 */
export function onPostFailed(item, err, ctx) { // ctx: {now, unknownHoldMs}
  // A late report (its lease ran out, the item went unknown) still counts: no other POST was made.
  const reporting = item?.status === STATUS.SUBMITTING || (item?.status === STATUS.UNKNOWN && !item.jobid);
  if (!reporting) return { item, changed: false, action: 'ack' };
  const error = errorInfo(err);
  if (error.kind === 'rate_limited' || (error.kind === 'server' && error.status === 503)) {
    // Nothing was created: back in line, and the ledger runs no more jobs than now for a while.
    const back = parked({ ...item, status: STATUS.QUEUED, grantedAt: null, holdUntil: null, error: null });
    return { item: back, changed: true, action: 'ack', busy: { retryAfterMs: error.retryAfterMs ?? null } };
  }
  if (REFUSED.has(error.kind)) {
    return { item: { ...item, status: STATUS.FAILED, error, doneAt: ctx.now, grantedAt: null, holdUntil: null }, changed: true, action: 'ack' };
  }
  return { item: { ...item, status: STATUS.UNKNOWN, error, holdUntil: ctx.now + ctx.unknownHoldMs }, changed: true, action: 'ack' };
}

// ---------------------------------------------------------------------------------------
// Confirmed jobs (webhook confirmed by GET, or a poll)

/**
 * Which item a confirmed job belongs to:
 *  - by job id, when the ledger recorded it for an item (the ledger's own fact);
 *  - else the item its webhook URL names with this Worker's tag (`urlItem`, checked by
 *    webhooks.verifyCall): the provider calls exactly the replyUrl the item's POST gave it;
 *  - else a replyRef the provider's own job object holds (`replyRefSource: "job"`; today's
 *    provider records none). A replyRef the call's body merely claims is never used.
 * The last two only propose the item: onJobClaimed decides whether it takes the job.
 */
export function matchKey({ jobid, urlItem = null, replyRef, replyRefSource }, findByJobid) {
  const byJob = findByJobid(jobid);
  if (byJob) return { key: byJob, by: 'jobid' };
  if (parseKey(urlItem)) return { key: urlItem, by: 'url' };
  if (replyRefSource === 'job' && parseKey(replyRef)) return { key: replyRef, by: 'replyRef' };
  return null;
}

/** Applies a job the API just returned (GET, a webhook matched by job id or a poll) to the item
 * that has it; a duplicate changes nothing; another job id does not touch the item. */
export function onJobSeen(item, job, now) {
  if (!item || item.jobid !== job.jobid) return { item, changed: false };
  const next = applyJob(item, job, now);
  return { item: next, changed: next !== item };
}

/** How much earlier than the item's grant (the Worker's clock) its job may say it was created
 * (the provider's clock) and still be the job of that grant's POST. */
export const CLOCK_SKEW_MS = 10 * 60_000;

/** Why `job` cannot be the job the item's POST created, or null: the provider's echo of the
 * request (source job, image index, resolution) is the item's, and the job is not older than
 * the grant of its POST. A field the provider does not echo is not held against it. */
export function notItsJob(item, job) {
  const req = item.request;
  if (!req) return 'the item was never sent';
  if (job.type !== undefined && job.type !== 'upscale') return `a job of type ${JSON.stringify(job.type)}`;
  const want = { jobid: req.jobid, imageIndex: req.imageIndex ?? 0, resolution: req.upscaleResolution ?? '4k' };
  for (const [f, v] of Object.entries(want)) {
    const echoed = job.request?.[f];
    if (echoed !== undefined && echoed !== v) return `its request.${f} is ${JSON.stringify(echoed)}, the item's ${JSON.stringify(v)}`;
  }
  const created = Date.parse(job.created ?? '');
  if (item.grantedAt && created < item.grantedAt - CLOCK_SKEW_MS) return `created ${job.created}, before the item was sent`;
  return null;
}

/**
 * A confirmed job the ledger has recorded for no item, proposed for `item` by the item's signed
 * webhook URL (matchKey). The provider calls that URL only for a job a POST of this item created,
 * and only this Worker can sign it; the job's facts come from the GET. So an item with no job
 * yet takes it (`reconciled`) if notItsJob finds nothing against it: an unknown or submitting
 * item (its POST ended ambiguously, or its consumer stopped before recording), and, as an
 * anomaly, one whose POST was taken as refused (it is then never sent again). An item that has a
 * job keeps it and nothing changes: a second job (a possible double charge) or a job that is not
 * its is reported as an anomaly. Returns {item, changed, taken, why, anomaly?: {event, why}}.
 */
export function onJobClaimed(item, job, now, pollAfterMs) {
  const keep = (why, event) => ({ item, changed: false, taken: false, why, ...(event ? { anomaly: { event, why } } : {}) });
  if (!item) return keep('no such item (batch deleted?)');
  const not = notItsJob(item, job);
  if (not) return keep(`job ${job.jobid} was sent to this item's webhook URL but is not its job: ${not}`, 'foreign_job');
  if (item.jobid) return keep(`second job ${job.jobid} for item with ${item.jobid}: a possible double charge, not adopted`, 'second_job');
  const found = { ...item, status: STATUS.CREATED, jobid: job.jobid, createdAt: now, nextPollAt: now + pollAfterMs, polls: 0, reconciled: true, error: null, holdUntil: null, doneAt: null };
  const r = { item: applyJob(found, job, now), changed: true, taken: true, why: `its job, found by its own webhook URL (item was ${item.status})` };
  if (item.status === STATUS.UNKNOWN || item.status === STATUS.SUBMITTING) return r;
  return { ...r, anomaly: { event: 'job_after_refusal', why: `a POST taken as refused (item ${item.status}) created job ${job.jobid}: adopted, never sent again` } };
}

/** The item after its job was seen in `job.status`; the same object when nothing changes. */
function applyJob(item, job, now) {
  if (DONE.has(item.status)) return item;
  if (job.status === 'completed') {
    const images = (job.response?.images ?? []).map((i) => ({ imageUrl: i.imageUrl ?? null, width: i.width ?? null, height: i.height ?? null }));
    const img = images[0] ?? {};
    return { ...item, status: STATUS.COMPLETED, images, imageUrl: img.imageUrl ?? null, width: img.width ?? null, height: img.height ?? null, doneAt: now, nextPollAt: null, error: null };
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
// Pictures in R2 (binding RESULTS): each completed item's images, downloaded and kept

export const STORE = Object.freeze({ PENDING: 'pending', STORED: 'stored', FAILED: 'failed' });

/** The R2 key of image `n` of an item: under its batch (a batch's objects share the prefix). */
export const objectKey = (batch, index, n) => `${batch}/${index}/${n}`;
export const batchPrefix = (batch) => `${batch}/`;

/** A completed item gets its pictures stored (with a bucket bound); its message is due by `dueAt`. */
export function toStore(item, { results, now, orphanMs }) {
  if (!results || item?.status !== STATUS.COMPLETED || item.store) return null;
  if (!item.images?.length) return { ...item, store: STORE.FAILED, storeInfo: { error: { kind: 'no_image', message: 'the completed job reported no image' } } };
  return { ...item, store: STORE.PENDING, storeDueAt: now + orphanMs, storeInfo: null };
}

/** Seconds before download try `attempt` + 1 (1, 2, 4 … 300 s). */
export const storeBackoffS = (attempt) => Math.min(300, 2 ** Math.max(0, attempt - 1));

/** The outcome of one download try for a pending item; anything else changes nothing. */
export function onStoreOutcome(item, outcome, { now, orphanMs, tries }) {
  if (item?.store !== STORE.PENDING) return null;
  if (outcome.objects) return { ...item, store: STORE.STORED, storeDueAt: null, storeInfo: { objects: outcome.objects } };
  const info = { error: outcome.error, attempts: outcome.attempts };
  if (outcome.permanent || outcome.attempts >= tries) return { ...item, store: STORE.FAILED, storeDueAt: null, storeInfo: info };
  return { ...item, storeDueAt: now + storeBackoffS(outcome.attempts) * 1000 + orphanMs, storeInfo: info };
}

// ---------------------------------------------------------------------------------------
// Reports

/** GET /batches/{id} counters from per-status counts (`unknown` = needs reconciliation), and
 * where the pictures go: `stores` (per-store counts) is null when no bucket is bound. */
export function summarize(batch, counts, stores = null) {
  const c = (s) => counts[s] ?? 0;
  const storage = stores
    ? { bucket: 'RESULTS', pending: stores[STORE.PENDING] ?? 0, stored: stores[STORE.STORED] ?? 0, failed: stores[STORE.FAILED] ?? 0 }
    : { bucket: null, note: "no R2 bucket bound (RESULTS): the pictures stay at the provider's imageUrl, whose links expire" };
  return {
    id: batch.id, total: batch.total,
    queued: c(STATUS.QUEUED), running: c(STATUS.SUBMITTING) + c(STATUS.CREATED),
    completed: c(STATUS.COMPLETED), failed: c(STATUS.FAILED), unknown: c(STATUS.UNKNOWN),
    storage,
  };
}

/** Whether a batch is over (it may be deleted): nothing queued or running, no unknown item still
 * holding a slot (its job may run), no picture still being stored. */
export function batchFinished({ counts, holding, storing }) {
  return !(counts[STATUS.QUEUED] || counts[STATUS.SUBMITTING] || counts[STATUS.CREATED] || holding || storing);
}

/** One item as GET /batches/{id} shows it. */
export function publicItem(item) {
  const out = { index: item.index, status: item.status };
  if (item.jobid) out.jobid = item.jobid;
  if (item.status === STATUS.COMPLETED) Object.assign(out, { imageUrl: item.imageUrl, width: item.width, height: item.height });
  if (item.error && item.status !== STATUS.COMPLETED) out.error = item.error;
  if (item.reconciled) out.reconciled = true;
  if (item.extraJobids?.length) out.extraJobids = item.extraJobids;
  if (item.store) out.stored = publicStore(item);
  return out;
}

/** Where the item's pictures are: served by this Worker once stored; the provider's URL and job id
 * stay on the item whatever happens to the download. */
function publicStore(item) {
  const info = item.storeInfo ?? {};
  if (item.store === STORE.STORED) {
    const url = `/batches/${item.batch}/items/${item.index}/image`;
    return { status: item.store, objects: info.objects.map((o, n) => ({ ...o, url: n ? `${url}?n=${n}` : url })) };
  }
  return { status: item.store, ...(info.error ? { error: info.error } : {}), ...(info.attempts ? { attempts: info.attempts } : {}) };
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
