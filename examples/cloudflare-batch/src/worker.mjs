// A Cloudflare Worker that upscales batches of up to 10,000 images through a Queue, within the
// account's MAX_JOBS, with a Durable Object as the ledger (ledger.mjs), every decision in
// decide.mjs and the pictures kept in R2 (results.mjs). Routes: POST /batches,
// GET|DELETE /batches/{id}, GET /batches/{id}/items/{index}/image, POST /webhook.
import { DreaminaClient, handleWebhook } from 'dreamina-upscale';
import { config, RETIRED } from './config.mjs';
import * as D from './decide.mjs';
import * as log from './log.mjs';
import { storeImages, servePicture } from './results.mjs';
import { webhookKeys, replyUrlFor, verifyCall, sameSecret } from './webhooks.mjs';

export { Ledger } from './ledger.mjs';

const MAX_BODY_BYTES = 16 << 20;
const json = (status, body) => Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } });

let cached; // per isolate: settings, client and webhook keys for this env

async function setup(env) {
  if (cached?.env === env) return cached;
  const cfg = config(env);
  const retired = RETIRED.filter((name) => env[name] !== undefined);
  if (retired.length) log.warn('retired_settings', { names: retired, why: 'no longer read: job times are learned from the jobs' });
  // A long Retry-After is not waited out in the consumer: the item is parked and the ledger runs
  // fewer jobs until it is over (decide.busyLimit).
  const client = new DreaminaClient({ token: cfg.token, maxRetryAfterMs: 5_000, ...(cfg.upstream ? { baseUrl: cfg.upstream } : {}) });
  const keys = await webhookKeys(cfg.token);
  // Each job's own webhook URL: names its item, signed (webhooks.mjs).
  cached = { env, cfg, client, keys, replyUrl: (key) => replyUrlFor(cfg.publicUrl, keys, key) };
  return cached;
}

const ledger = (env, cfg) => env.LEDGER.get(env.LEDGER.idFromName(cfg.account));

/** Validates one item with the package's own rules: an already-aborted call checks and sends nothing. */
async function validate(client, item, replyUrl) {
  const own = D.ownFieldError(item);
  if (own) return own;
  const isObject = item !== null && typeof item === 'object' && !Array.isArray(item);
  try {
    await client.upscale(isObject ? { ...item, replyUrl, replyRef: 'check' } : item, { signal: AbortSignal.abort() });
  } catch (e) {
    if (e?.kind === 'aborted') return null; // valid: it got as far as sending
    return D.errorInfo(e);
  }
  return { kind: 'internal', message: 'validation sent a request' };
}

async function postBatch(request, env, s, hooks) {
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return json(413, { error: `body over ${MAX_BODY_BYTES} bytes` });
  const idemKey = request.headers.get('idempotency-key');
  const keyError = D.idempotencyKeyError(idemKey);
  if (keyError) return json(400, { error: keyError });
  let body;
  try {
    body = await request.json();
  } catch {
    return json(400, { error: 'body is not JSON' });
  }
  const parsed = D.parseBatchBody(body);
  if (parsed.error) return json(parsed.status, { error: parsed.error });
  // With an Idempotency-Key, a retried POST (after a timeout or a 5xx) finds its batch again.
  const id = idemKey === null ? crypto.randomUUID() : await D.batchIdFor(idemKey);
  const replyUrl = await s.replyUrl(D.itemKey(id, parsed.items.length - 1)); // the longest of this batch
  const entries = [];
  for (const item of parsed.items) {
    const error = await validate(s.client, item, replyUrl);
    entries.push(error ? { error } : { request: item });
  }
  const digest = idemKey === null ? null : await D.sha256(JSON.stringify(parsed.items));
  const stored = await ledger(env, s.cfg).createBatch(id, entries, digest);
  if (stored.conflict) return json(409, { error: 'this Idempotency-Key was used for a different batch', id });
  await hooks.afterStore?.(id, env);
  // A replay sends the messages again: the first attempt may have died before sending them all,
  // and a duplicate message is harmless.
  const messages = entries.flatMap((e, i) => (e.error ? [] : [{ body: { k: D.itemKey(id, i) } }]));
  try {
    for (let i = 0; i < messages.length; i += 100) await env.QUEUE.sendBatch(messages.slice(i, i + 100));
  } catch (e) {
    // Stored, not all enqueued: the alarm sends the missing messages after ORPHAN_MS.
    return json(503, { error: `the batch is stored but not all of it was enqueued (${e?.message ?? e}); it will be, or retry with the same Idempotency-Key`, id });
  }
  const rejected = entries.flatMap((e, index) => (e.error ? [{ index, error: e.error }] : []));
  return json(202, { id, total: entries.length, accepted: messages.length, rejected, ...(stored.existing ? { replayed: true } : {}) });
}

async function getBatch(url, id, env, s) {
  let page;
  try {
    page = D.parsePage(url.searchParams);
  } catch (e) {
    return json(400, { error: e.message });
  }
  const status = D.isBatchId(id) ? await ledger(env, s.cfg).status(id, page) : null;
  return status ? json(200, status) : json(404, { error: 'no such batch' });
}

/** DELETE /batches/{id}: a finished batch's rows and stored pictures; a running one: 409. */
async function deleteBatch(id, env, s) {
  const r = D.isBatchId(id) ? await ledger(env, s.cfg).deleteBatch(id) : { status: 404 };
  if (r.status === 404) return json(404, { error: 'no such batch' });
  if (r.status === 409) return json(409, { error: 'the batch is still running (or storing pictures): delete it once it is finished', ...r.summary });
  return json(200, { id, deleted: true, items: r.items, objects: r.objects ?? 'pending (the alarm removes them)' });
}

/** GET /batches/{id}/items/{index}/image[?n=]: a stored picture, from R2. */
async function getPicture(url, id, indexText, env, s) {
  if (!env.RESULTS) return json(404, { error: 'no R2 bucket bound (RESULTS): pictures are not stored; see the item\'s imageUrl' });
  const key = D.parseKey(`${id}/${indexText}`);
  const n = Number(url.searchParams.get('n') ?? 0);
  if (!key || !Number.isInteger(n) || n < 0 || n > 3) return json(404, { error: 'no such item' });
  const found = await ledger(env, s.cfg).storedObject(key.batch, key.index, n);
  if (!found.key) return json(404, { error: found.status === null ? 'no such item' : `no stored picture (item ${found.status})`, status: found.status });
  return (await servePicture(env.RESULTS, found.key)) ?? json(404, { error: 'the stored picture is missing from the bucket' });
}

/** POST /webhook?item=…&k=…: a job's own URL (or ?k=… of earlier versions). The call's body is
 * only a hint: handleWebhook confirms the job by GET; the item comes from the signed URL. */
async function webhook(request, url, env, s) {
  const call = await verifyCall(url.searchParams, s.keys);
  if (!call) return json(403, { error: 'bad webhook key' });
  let confirmed;
  try {
    confirmed = await handleWebhook(request, { client: s.client, timeoutMs: 10_000 });
  } catch (e) {
    // Unreadable or forged (not_found): nothing was trusted. Other failures: the alarm polls.
    const status = e?.kind === 'validation' ? 400 : e?.kind === 'not_found' ? 404 : 502;
    return json(status, { ignored: true, error: D.errorInfo(e) });
  }
  const r = await ledger(env, s.cfg).jobSeen({ job: confirmed.job, urlItem: call.item, replyRef: confirmed.replyRef, replyRefSource: confirmed.replyRefSource });
  return json(200, { ...r, jobid: confirmed.jobid });
}

/** Processes one queue message; an unexpected throw fails the batch (redelivery is safe). */
async function consume(msg, env, s, hooks) {
  const key = msg.body?.k;
  if (!D.parseKey(key)) return msg.ack(); // not ours
  if (msg.body.op === 'store') return storePictures(msg, key, env, s);
  const replyUrl = await s.replyUrl(key); // before a slot is taken: nothing can fail between it and the POST
  const stub = ledger(env, s.cfg);
  const d = await stub.deliver(key, msg.attempts);
  if (d.action === 'retry') return msg.retry({ delaySeconds: d.delaySeconds });
  if (d.action === 'requeue') {
    await env.QUEUE.send({ k: key }, { delaySeconds: d.delaySeconds });
    return msg.ack();
  }
  if (d.action !== 'submit') return msg.ack();
  let job;
  try {
    // 3 tries × 30 s at most: well inside SUBMIT_LEASE_MS, so no second delivery takes over meanwhile.
    job = await s.client.upscale({ ...d.request, replyUrl, replyRef: key }, { maxRetries: 2, timeoutMs: 30_000 });
  } catch (e) {
    const r = await stub.postFailed(key, D.errorInfo(e));
    return r.action === 'retry' ? msg.retry({ delaySeconds: r.delaySeconds }) : msg.ack();
  }
  await hooks.afterPost?.(msg, job, env);
  const created = { jobid: job.jobid, status: job.status, response: job.response, error: job.error };
  try {
    await stub.posted(key, created);
  } catch {
    await ledger(env, s.cfg).posted(key, created); // once more, on a fresh stub: the object may have restarted
  }
  await hooks.afterRecord?.(msg, job, env);
  msg.ack();
}

/** A store message: one try at downloading the item's pictures into R2; failures come back
 * after a backoff (the message's retry), up to STORE_TRIES, then the item says so. */
async function storePictures(msg, key, env, s) {
  const stub = ledger(env, s.cfg);
  const task = await stub.storeTask(key);
  if (!task) return msg.ack(); // stored already, or the batch was deleted
  let outcome;
  try {
    if (!env.RESULTS) throw Object.assign(new Error('no R2 bucket bound (RESULTS)'), { kind: 'no_bucket', permanent: true });
    outcome = { objects: await storeImages(env.RESULTS, task, s.cfg.maxImageBytes) };
  } catch (e) {
    outcome = { error: D.errorInfo(e), attempts: msg.attempts, permanent: !!e?.permanent };
  }
  const r = await stub.storeOutcome(key, outcome);
  // The batch was deleted while this download ran: what it wrote goes too.
  if (r.orphan && outcome.objects) await env.RESULTS.delete(outcome.objects.map((o) => o.key));
  if (r.retryInS) return msg.retry({ delaySeconds: r.retryInS });
  msg.ack();
}

/** The Worker; `hooks` ({afterStore, afterPost, afterRecord}) let tests crash it at those points. */
export function makeWorker(hooks = {}) {
  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      let s;
      try {
        s = await setup(env);
      } catch (e) {
        return json(500, { error: `misconfigured: ${e.message}` });
      }
      if (request.method === 'POST' && url.pathname === '/webhook') return webhook(request, url, env, s);
      const m = /^\/batches(?:\/([^/]+)(?:\/items\/([^/]+)\/image)?)?$/.exec(url.pathname);
      if (!m) return json(404, { error: 'not found' });
      if (!sameSecret(request.headers.get('authorization') ?? '', `Bearer ${s.cfg.apiKey}`)) return json(401, { error: 'Authorization: Bearer <API_KEY> required' });
      if (!m[1] && request.method === 'POST') return postBatch(request, env, s, hooks);
      if (m[2] !== undefined && request.method === 'GET') return getPicture(url, m[1], m[2], env, s);
      if (m[1] && m[2] === undefined && request.method === 'GET') return getBatch(url, m[1], env, s);
      if (m[1] && m[2] === undefined && request.method === 'DELETE') return deleteBatch(m[1], env, s);
      return json(405, { error: 'method not allowed' });
    },

    async queue(batch, env) {
      const s = await setup(env);
      const results = await Promise.allSettled(batch.messages.map((msg) => consume(msg, env, s, hooks)));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

export default makeWorker();
