// The account's Durable Object: the ledger of every item (SQLite) and the account's MAX_JOBS
// slots. It loads rows, asks decide.mjs, stores what it says. When a slot frees (a webhook, a
// poll, a POST report, a lease or hold running out) it hands it to the oldest parked item at
// once by sending that item's message (pump). Its alarm polls jobs whose webhook is late and
// takes over lost messages. One instance per account: idFromName(ACCOUNT).
import { DurableObject } from 'cloudflare:workers';
import { DreaminaClient } from 'dreamina-upscale';
import { config } from './config.mjs';
import * as D from './decide.mjs';
import * as log from './log.mjs';
import { purgeBatch } from './results.mjs';
import { fromRow, toColumns, UPDATE, PARKED, migrate } from './schema.mjs';
import { Housekeeping } from './housekeeping.mjs';

const S = D.STATUS;
const byCount = (rows, col) => Object.fromEntries(rows.map((r) => [r[col], r.n]));

export class Ledger extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.cfg = config(env);
    this.sql = ctx.storage.sql;
    const m = migrate(ctx.storage, { now: Date.now(), cfg: this.cfg });
    if (m.from !== m.to) log.debug('ledger_migrated', m);
    this.jobMs = Number(this.one('SELECT v FROM meta WHERE k = ?', 'jobMs')?.v ?? 0) || null;
    this.busy = null; // {n, until, backoffMs}: the provider said "at capacity"
    this.client = new DreaminaClient({ token: this.cfg.token, ...(this.cfg.upstream ? { baseUrl: this.cfg.upstream } : {}) });
    this.house = new Housekeeping(this);
    this.house.schedule();
  }

  one(q, ...args) { return this.sql.exec(q, ...args).toArray()[0]; }
  load(key) {
    const k = D.parseKey(key);
    return k ? fromRow(this.one('SELECT * FROM items WHERE batch = ? AND idx = ?', k.batch, k.index)) : null;
  }
  save(item) { this.sql.exec(UPDATE, ...toColumns(item, this.cfg), item.batch, item.index); }

  /** Slots taken now: the rows whose slot_until (decide.slotUntil, stored with each row) is ahead. */
  running(now) { return this.one('SELECT COUNT(*) AS n FROM items WHERE slot_until > ?', now).n; }
  /** MAX_JOBS, or fewer while the provider says the account is at capacity. */
  limit(now) { return this.busy && this.busy.until > now ? Math.min(this.cfg.maxJobs, this.busy.n) : this.cfg.maxJobs; }

  /** Sends queue messages, 100 per call (Cloudflare's sendBatch limit), to `queue`. */
  async send(bodies, queue = this.env.QUEUE) {
    for (let i = 0; i < bodies.length; i += 100) await queue.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body })));
  }

  /** Store messages go to their own queue (PICTURES), so a slow download never holds up the
   * message that starts a job; without that binding, to the item queue. */
  sendStores(bodies) { return this.send(bodies, this.env.PICTURES ?? this.env.QUEUE); }

  // ---- RPC: batches ----

  /**
   * Stores a batch: `entries[i]` is {request} (queued) or {error} (refused by validation).
   * The same id again (an Idempotency-Key replay) stores nothing: {existing: true}, or
   * {conflict: true} when its items differ (`digest`).
   */
  createBatch(id, entries, digest = null) {
    const now = Date.now();
    const old = this.one('SELECT total, digest FROM batches WHERE id = ?', id);
    if (old) return old.digest === digest ? { id, total: old.total, existing: true } : { id, conflict: true };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO batches (id, total, created_at, digest) VALUES (?, ?, ?, ?)', id, entries.length, now, digest);
      entries.forEach((e, idx) => {
        if (e.error) this.sql.exec('INSERT INTO items (batch, idx, status, error, done_at) VALUES (?, ?, ?, ?, ?)', id, idx, S.FAILED, JSON.stringify(e.error), now);
        else this.sql.exec('INSERT INTO items (batch, idx, request, status, due_at) VALUES (?, ?, ?, ?, ?)', id, idx, JSON.stringify(e.request), S.QUEUED, now + this.cfg.orphanMs);
      });
    });
    this.house.schedule();
    return { id, total: entries.length };
  }

  /** Per-status counts of a batch, its items still holding a slot, its pictures per store state. */
  tally(id, now = Date.now()) {
    const counts = byCount(this.sql.exec('SELECT status, COUNT(*) AS n FROM items WHERE batch = ? GROUP BY status', id).toArray(), 'status');
    const stores = byCount(this.sql.exec('SELECT store, COUNT(*) AS n FROM items WHERE batch = ? AND store IS NOT NULL GROUP BY store', id).toArray(), 'store');
    const holding = this.one('SELECT COUNT(*) AS n FROM items WHERE batch = ? AND slot_until > ?', id, now).n;
    return { counts, stores, holding, storing: stores[D.STORE.PENDING] ?? 0 };
  }

  /** GET /batches/{id}: counters and one page of items. */
  status(id, { offset = 0, limit = 100, status = null } = {}) {
    const batch = this.one('SELECT id, total FROM batches WHERE id = ?', id);
    if (!batch) return null;
    const { counts, stores } = this.tally(id);
    const rows = status
      ? this.sql.exec('SELECT * FROM items WHERE batch = ? AND status = ? ORDER BY idx LIMIT ? OFFSET ?', id, status, limit + 1, offset).toArray()
      : this.sql.exec('SELECT * FROM items WHERE batch = ? ORDER BY idx LIMIT ? OFFSET ?', id, limit + 1, offset).toArray();
    const items = rows.slice(0, limit).map((r) => D.publicItem(fromRow(r)));
    return { ...D.summarize(batch, counts, this.cfg.results ? stores : null), offset, limit, ...(rows.length > limit ? { next: offset + limit } : {}), items };
  }

  /** DELETE /batches/{id}: a finished batch's rows go at once (with a purge record), its R2
   * objects next (the alarm finishes a purge that fails). {status: 404 | 409 | 200, ...}. */
  async deleteBatch(id) {
    const batch = this.one('SELECT id, total FROM batches WHERE id = ?', id);
    if (!batch) return { status: 404 };
    const t = this.tally(id);
    if (!D.batchFinished(t)) return { status: 409, summary: D.summarize(batch, t.counts, this.cfg.results ? t.stores : null) };
    const items = this.dropRows(id);
    const objects = await this.purge(id);
    return { status: 200, id, items, objects };
  }

  dropRows(id) {
    let n = 0;
    this.ctx.storage.transactionSync(() => {
      n = this.one('SELECT COUNT(*) AS n FROM items WHERE batch = ?', id).n;
      this.sql.exec('DELETE FROM items WHERE batch = ?', id);
      this.sql.exec('DELETE FROM batches WHERE id = ?', id);
      if (this.env.RESULTS) this.sql.exec('INSERT OR REPLACE INTO purges (batch, at) VALUES (?, ?)', id, Date.now());
    });
    log.debug('batch_deleted', { batch: id, items: n });
    return n;
  }

  /** Removes a deleted batch's objects; null when that failed (the alarm tries again). */
  async purge(id) {
    if (!this.env.RESULTS) return 0;
    try {
      const n = await purgeBatch(this.env.RESULTS, id);
      this.sql.exec('DELETE FROM purges WHERE batch = ?', id);
      return n;
    } catch (e) {
      log.anomaly('purge_failed', { batch: id, error: String(e?.message ?? e) });
      this.house.failed();
      return null;
    }
  }

  // ---- RPC: the consumer ----

  /** A delivery of `key`'s message: {action, request?, delaySeconds?, why}. See decide.onDelivery. */
  deliver(key, attempts) {
    const now = Date.now();
    const item = this.load(key);
    const d = D.onDelivery(item, {
      now, attempts, running: this.running(now), limit: this.limit(now),
      submitLeaseMs: this.cfg.submitLeaseMs, unknownHoldMs: this.cfg.unknownHoldMs,
    });
    if (d.item && d.item !== item) this.save(d.item);
    log.debug('delivery', { key, attempts, action: d.action, why: d.why });
    if (d.action === 'submit' || d.item?.status === S.UNKNOWN) this.house.schedule(); // lease and hold ends
    return { action: d.action, why: d.why, ...(d.delaySeconds ? { delaySeconds: d.delaySeconds } : {}), ...(d.action === 'submit' ? { request: item.request } : {}) };
  }

  /** The POST created `job` for `key`. */
  async posted(key, job) {
    const now = Date.now();
    const before = this.load(key);
    const r = D.onPosted(before, job, now, D.firstPollMs(this.jobMs, this.cfg.pollAfterMs));
    if (r.anomaly) log.anomaly('second_job', { key, jobid: job.jobid, why: r.anomaly });
    if (r.changed) this.changed(r.item, before);
    this.house.schedule();
    await this.pump(); // a job that was already done (or a late report) frees its slot at once
    return { status: r.item?.status, ...(r.anomaly ? { anomaly: r.anomaly } : {}) };
  }

  /** The POST failed with `error` (errorInfo): {action: 'ack' | 'retry', delaySeconds?}. */
  async postFailed(key, error) {
    const now = Date.now();
    const r = D.onPostFailed(this.load(key), error, { now, unknownHoldMs: this.cfg.unknownHoldMs });
    if (r.changed) this.save(r.item);
    if (r.busy) {
      this.busy = D.busyLimit(this.busy, { running: this.running(now), retryAfterMs: r.busy.retryAfterMs, now });
      log.debug('provider_busy', { key, limit: this.busy.n, forMs: this.busy.until - now, why: error.message });
    } else if (r.item?.status === S.UNKNOWN) {
      log.anomaly('post_ambiguous', { key, error, why: 'the job may exist: not sent again, reconciled by its webhook' });
    } else log.debug('post_failed', { key, status: r.item?.status, error });
    this.house.schedule();
    await this.pump();
    return { action: r.action, ...(r.delaySeconds ? { delaySeconds: r.delaySeconds } : {}), status: r.item?.status };
  }

  // ---- RPC: confirmed jobs ----

  /**
   * A job confirmed by GET (from a webhook): updates the item that has it, or offers it to the
   * item its signed webhook URL names (`urlItem`; decide.onJobClaimed). A duplicate, a stranger
   * or a forgery changes nothing; a second job or a job that is not the item's is logged as an error.
   */
  async jobSeen({ job, urlItem = null, replyRef, replyRefSource }) {
    const m = D.matchKey({ jobid: job.jobid, urlItem, replyRef, replyRefSource }, (jobid) => {
      const r = this.one('SELECT batch, idx FROM items WHERE jobid = ?', jobid);
      return r ? D.itemKey(r.batch, r.idx) : null;
    });
    if (!m) {
      log.debug('webhook_unmatched', { jobid: job.jobid, why: 'a job this ledger does not know, at no item\'s own URL' });
      return { matched: false };
    }
    if (m.by === 'jobid' && urlItem && urlItem !== m.key) log.anomaly('webhook_url_mismatch', { key: m.key, urlItem, jobid: job.jobid, why: 'the job is recorded for another item than its URL names: applied to the recorded one' });
    const item = this.load(m.key);
    const now = Date.now();
    const r = m.by === 'jobid' ? D.onJobSeen(item, job, now) : D.onJobClaimed(item, job, now, D.firstPollMs(this.jobMs, this.cfg.pollAfterMs));
    if (r.anomaly) log.anomaly(r.anomaly.event, { key: m.key, jobid: job.jobid, by: m.by, ...(item?.jobid ? { itemJobid: item.jobid } : {}), why: r.anomaly.why });
    else if (r.why) log.debug('job_claimed', { key: m.key, jobid: job.jobid, by: m.by, taken: r.taken, why: r.why });
    if (r.changed) {
      this.changed(r.item, item);
      log.debug('job_seen', { key: m.key, by: m.by, status: r.item.status });
      this.house.schedule();
      await this.pump();
    }
    const matched = !!item && (m.by === 'jobid' || r.taken);
    return { matched, by: m.by, changed: r.changed, ...(matched ? { status: r.item.status } : {}) };
  }

  /** Saves an item that changed; a job that just ended teaches the job time and gets its
   * pictures stored (its store message is sent with the next pump). */
  changed(item, before) {
    const now = Date.now();
    const ended = (item.status === S.COMPLETED || item.status === S.FAILED) && before?.status !== item.status;
    if (ended && item.createdAt && item.status === S.COMPLETED) {
      this.jobMs = D.learnJobTime(this.jobMs, item.doneAt - item.createdAt);
      this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', 'jobMs', String(this.jobMs));
    }
    const toStore = D.toStore(item, { results: this.cfg.results, now, orphanMs: this.cfg.orphanMs });
    this.save(toStore ?? item);
    if (toStore?.store === D.STORE.PENDING) this.outbox = [...(this.outbox ?? []), { k: D.itemKey(item.batch, item.index), op: 'store' }];
  }

  /**
   * Hands free slots to the oldest parked items (reserving each slot for its item) and sends
   * their messages, with any store messages waiting. A send that fails gives the reservations
   * back (re-checking each item first) and the alarm tries again: false, never a throw (a
   * webhook or a POST report that freed the slot is recorded whatever happens here).
   */
  async pump() {
    const now = Date.now();
    const free = this.limit(now) - this.running(now);
    const picked = free <= 0 ? [] : this.sql.exec(`SELECT * FROM items WHERE ${PARKED} ORDER BY rowid LIMIT ?`, S.QUEUED, now, free).toArray().map((r) => D.dispatched(fromRow(r), now));
    for (const item of picked) this.save(item);
    const stores = this.outbox ?? [];
    this.outbox = [];
    if (!picked.length && !stores.length) return true;
    if (picked.length) log.debug('dispatch', { keys: picked.map((i) => D.itemKey(i.batch, i.index)), free, why: 'slots freed: the oldest parked items get them' });
    try {
      await Promise.all([this.send(picked.map((i) => ({ k: D.itemKey(i.batch, i.index) }))), this.sendStores(stores)]);
    } catch (e) {
      for (const p of picked) {
        const cur = this.load(D.itemKey(p.batch, p.index));
        if (cur?.status === S.QUEUED && cur.dispatchedAt === now) this.save({ ...cur, dispatchedAt: null });
      }
      // Store messages not sent: their store_due_at brings them back through the alarm. (A
      // dispatch message that did go out meets an unreserved item: it takes a slot if one is free.)
      log.anomaly('send_failed', { dispatch: picked.length, stores: stores.length, error: String(e?.message ?? e) });
      this.house.failed();
      return false;
    }
    return true;
  }

  // ---- RPC: pictures (R2) ----

  /** What a store message should download: null when the item is not waiting for it. */
  storeTask(key) {
    const item = this.load(key);
    if (item?.store !== D.STORE.PENDING) return null;
    return { batch: item.batch, index: item.index, jobid: item.jobid, images: item.images };
  }

  /** A download try ended: {objects} or {error, attempts, permanent}. */
  storeOutcome(key, outcome) {
    const now = Date.now();
    const item = this.load(key);
    const next = D.onStoreOutcome(item, outcome, { now, orphanMs: this.cfg.orphanMs, tries: this.cfg.storeTries });
    if (!next) return { store: item?.store ?? null, orphan: !item };
    this.save(next);
    if (next.store === D.STORE.FAILED) log.anomaly('store_failed', { key, jobid: item.jobid, imageUrl: item.imageUrl, error: outcome.error, attempts: outcome.attempts });
    else log.debug('store', { key, store: next.store, attempts: outcome.attempts, error: outcome.error });
    this.house.schedule();
    return { store: next.store, ...(next.store === D.STORE.PENDING ? { retryInS: D.storeBackoffS(outcome.attempts) } : {}) };
  }

  /** The stored object of image `n` of an item: {key} or {status} (not stored). */
  storedObject(id, index, n) {
    const item = fromRow(this.one('SELECT * FROM items WHERE batch = ? AND idx = ?', id, index));
    if (!item) return { status: null };
    const o = item.store === D.STORE.STORED ? item.storeInfo.objects[n] : null;
    return o ? { key: o.key } : { status: item.store ?? item.status };
  }

  // ---- the alarm (housekeeping.mjs) ----

  async alarm() { await this.house.run(); }

  /** For tests and operators: capacity, learned job time, counts. */
  stats() {
    const now = Date.now();
    const counts = byCount(this.sql.exec('SELECT status, COUNT(*) AS n FROM items GROUP BY status').toArray(), 'status');
    const version = Number(this.one('SELECT v FROM meta WHERE k = ?', 'schema_version').v);
    return {
      running: this.running(now), limit: this.limit(now), maxJobs: this.cfg.maxJobs, jobMs: this.jobMs, counts, version,
      resent: this.house.resent, purges: this.one('SELECT COUNT(*) AS n FROM purges').n,
    };
  }
}
