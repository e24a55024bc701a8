// The account's Durable Object: the ledger of every item (SQLite) and the capacity of MAX_JOBS
// slots shared by every consumer. It loads rows, asks decide.mjs, stores what it says; its
// alarm polls jobs whose webhook has not come. One instance per account: idFromName(ACCOUNT).
import { DurableObject } from 'cloudflare:workers';
import { DreaminaClient } from 'dreamina-upscale';
import * as D from './decide.mjs';

const S = D.STATUS;
const POLLS_PER_ALARM = 50;
const POLL_CONCURRENCY = 10;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, total INTEGER NOT NULL, created_at INTEGER NOT NULL, digest TEXT);
CREATE TABLE IF NOT EXISTS items (
  batch TEXT NOT NULL, idx INTEGER NOT NULL, request TEXT, status TEXT NOT NULL,
  jobid TEXT, image_url TEXT, width INTEGER, height INTEGER, error TEXT,
  granted_at INTEGER, created_at INTEGER, done_at INTEGER, wait_until INTEGER, waits INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER, polls INTEGER NOT NULL DEFAULT 0, hold_until INTEGER, reconciled INTEGER NOT NULL DEFAULT 0, extra TEXT, due_at INTEGER,
  PRIMARY KEY (batch, idx));
CREATE INDEX IF NOT EXISTS items_status ON items (status, wait_until);
CREATE INDEX IF NOT EXISTS items_due ON items (status, due_at);
CREATE INDEX IF NOT EXISTS items_jobid ON items (jobid);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`;

/** Row ↔ item: the pure code sees camelCase records, SQLite holds columns. */
const fromRow = (r) => r && ({
  batch: r.batch, index: r.idx, status: r.status, request: r.request ? JSON.parse(r.request) : null,
  jobid: r.jobid, imageUrl: r.image_url, width: r.width, height: r.height, error: r.error ? JSON.parse(r.error) : null,
  grantedAt: r.granted_at, createdAt: r.created_at, doneAt: r.done_at, waitUntil: r.wait_until, waits: r.waits,
  nextPollAt: r.next_poll_at, polls: r.polls, holdUntil: r.hold_until, reconciled: !!r.reconciled,
  extraJobids: r.extra ? JSON.parse(r.extra) : [], dueAt: r.due_at,
});
const COLUMNS = ['status', 'jobid', 'image_url', 'width', 'height', 'error', 'granted_at', 'created_at', 'done_at', 'wait_until', 'waits', 'next_poll_at', 'polls', 'hold_until', 'reconciled', 'extra', 'due_at'];
const toColumns = (i) => [i.status, i.jobid ?? null, i.imageUrl ?? null, i.width ?? null, i.height ?? null, i.error ? JSON.stringify(i.error) : null,
  i.grantedAt ?? null, i.createdAt ?? null, i.doneAt ?? null, i.waitUntil ?? null, i.waits ?? 0, i.nextPollAt ?? null, i.polls ?? 0,
  i.holdUntil ?? null, i.reconciled ? 1 : 0, i.extraJobids?.length ? JSON.stringify(i.extraJobids) : null, i.dueAt ?? null];
const UPDATE = `UPDATE items SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE batch = ? AND idx = ?`;

export class Ledger extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.cfg = D.config(env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.slotMs = Number(this.one('SELECT v FROM meta WHERE k = ?', 'slotMs')?.v ?? this.cfg.expectedJobMs);
    this.waiters = []; // deliveries waiting (bounded) for a slot, oldest first
    this.alarmAt = null;
    this.client = new DreaminaClient({ token: this.cfg.token, ...(this.cfg.upstream ? { baseUrl: this.cfg.upstream } : {}) });
  }

  one(q, ...args) { return this.sql.exec(q, ...args).toArray()[0]; }
  load(key) {
    const k = D.parseKey(key);
    return k ? fromRow(this.one('SELECT * FROM items WHERE batch = ? AND idx = ?', k.batch, k.index)) : null;
  }
  save(item) { this.sql.exec(UPDATE, ...toColumns(item), item.batch, item.index); }

  /** Slots taken now, and when the oldest one is expected to free. */
  capacity(now) {
    const r = this.one(`SELECT COUNT(*) AS n, MIN(granted_at) AS oldest FROM items
      WHERE status IN ('submitting', 'created') OR (status = 'unknown' AND hold_until > ?)`, now);
    return { running: r.n, earliestFreeInMs: r.oldest === null ? 0 : r.oldest + this.slotMs - now };
  }

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
    this.scheduleAlarm();
    return { id, total: entries.length };
  }

  /** GET /batches/{id}: counters and one page of items. */
  status(id, { offset = 0, limit = 100, status = null } = {}) {
    const batch = this.one('SELECT id, total FROM batches WHERE id = ?', id);
    if (!batch) return null;
    const counts = Object.fromEntries(this.sql.exec('SELECT status, COUNT(*) AS n FROM items WHERE batch = ? GROUP BY status', id).toArray().map((r) => [r.status, r.n]));
    const rows = status
      ? this.sql.exec('SELECT * FROM items WHERE batch = ? AND status = ? ORDER BY idx LIMIT ? OFFSET ?', id, status, limit + 1, offset).toArray()
      : this.sql.exec('SELECT * FROM items WHERE batch = ? ORDER BY idx LIMIT ? OFFSET ?', id, limit + 1, offset).toArray();
    const items = rows.slice(0, limit).map((r) => D.publicItem(fromRow(r)));
    return { ...D.summarize(batch, counts), offset, limit, ...(rows.length > limit ? { next: offset + limit } : {}), items };
  }

  // ---- RPC: the consumer ----

  /** A delivery of `key`'s message: {action, request?, delaySeconds?, why}. See decide.onDelivery. */
  async deliver(key, attempts) {
    const first = this.decide(key, attempts, true);
    if (first.action !== 'wait') return first;
    // Wait (bounded) for a slot: freed slots go to waiters oldest first, in wake().
    return new Promise((resolve) => {
      const w = { key, attempts, resolve };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        resolve(this.decide(key, attempts, false));
      }, this.cfg.slotWaitMs);
      this.waiters.push(w);
    });
  }

  decide(key, attempts, mayWait) {
    const now = Date.now();
    const item = this.load(key);
    const cap = this.capacity(now);
    const ahead = this.one(`SELECT COUNT(*) AS n FROM items WHERE status = 'queued' AND wait_until > ?`, now).n + this.waiters.length;
    const d = D.onDelivery(item, {
      now, attempts, ...cap, maxJobs: this.cfg.maxJobs, ahead, waiting: this.waiters.length, mayWait,
      slotMs: this.slotMs, slotWaitMs: this.cfg.slotWaitMs, unknownHoldMs: this.cfg.unknownHoldMs,
      submitLeaseMs: this.cfg.submitLeaseMs, orphanMs: this.cfg.orphanMs,
    });
    if (d.item && d.item !== item) this.save(d.item);
    if (d.action === 'submit' || d.item?.status === S.UNKNOWN) this.scheduleAlarm(); // lease and hold ends
    return { action: d.action, why: d.why, ...(d.delaySeconds ? { delaySeconds: d.delaySeconds } : {}), ...(d.action === 'submit' ? { request: item.request } : {}) };
  }

  /** Gives freed slots to waiting deliveries (oldest first). */
  wake() {
    while (this.waiters.length && this.capacity(Date.now()).running < this.cfg.maxJobs) {
      const w = this.waiters.shift();
      clearTimeout(w.timer);
      w.resolve(this.decide(w.key, w.attempts, false));
    }
  }

  /** The POST created `job` for `key`. */
  posted(key, job) {
    const r = D.onPosted(this.load(key), job, Date.now(), this.cfg.pollAfterMs);
    if (r.changed) this.save(r.item);
    this.finished(r.item);
    this.scheduleAlarm();
    this.wake(); // a job that was already done (or a late report) frees its slot at once
    return { status: r.item?.status, ...(r.anomaly ? { anomaly: r.anomaly } : {}) };
  }

  /** The POST failed with `error` (errorInfo): {action: 'ack' | 'retry', delaySeconds?}. */
  postFailed(key, error) {
    const now = Date.now();
    const r = D.onPostFailed(this.load(key), error, { now, slotMs: this.slotMs, unknownHoldMs: this.cfg.unknownHoldMs, orphanMs: this.cfg.orphanMs });
    if (r.changed) this.save(r.item);
    this.scheduleAlarm();
    this.wake();
    return { action: r.action, ...(r.delaySeconds ? { delaySeconds: r.delaySeconds } : {}), status: r.item?.status };
  }

  // ---- RPC: confirmed jobs ----

  /** A job confirmed by GET (from a webhook): updates its item; a duplicate or stranger changes nothing. */
  jobSeen({ job, replyRef, replyRefSource }) {
    const m = D.matchKey({ jobid: job.jobid, replyRef, replyRefSource }, (jobid) => {
      const r = this.one('SELECT batch, idx FROM items WHERE jobid = ?', jobid);
      return r ? D.itemKey(r.batch, r.idx) : null;
    });
    if (!m) return { matched: false };
    const item = this.load(m.key);
    const r = D.onJobSeen(item, job, Date.now(), this.cfg.pollAfterMs);
    if (r.changed) {
      this.save(r.item);
      this.finished(r.item, item);
      this.scheduleAlarm();
      this.wake();
    }
    return { matched: !!item, by: m.by, changed: r.changed, status: r.item?.status };
  }

  /** Learns the slot time from a job that just ended. */
  finished(item, before = null) {
    if (!item || (item.status !== S.COMPLETED && item.status !== S.FAILED) || before?.status === item.status || !item.grantedAt) return;
    this.slotMs = D.updateSlotEstimate(this.slotMs, item.doneAt - item.grantedAt);
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', 'slotMs', String(this.slotMs));
  }

  // ---- the alarm: polls jobs whose webhook is late; frees the slots of expired holds ----

  scheduleAlarm() {
    const now = Date.now();
    const r = this.one(`SELECT MIN(t) AS t FROM (
      SELECT MIN(next_poll_at) AS t FROM items WHERE status = 'created'
      UNION ALL SELECT MIN(hold_until) FROM items WHERE status = 'unknown' AND hold_until > ?
      UNION ALL SELECT MIN(due_at) FROM items WHERE status = 'queued'
      UNION ALL SELECT MIN(granted_at) + ? FROM items WHERE status = 'submitting')`, now, this.cfg.submitLeaseMs);
    if (r.t === null) return;
    const at = Math.max(r.t, now + 50);
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > now) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at);
  }

  async alarm() {
    this.alarmAt = null;
    const now = Date.now();
    const due = this.sql.exec(`SELECT * FROM items WHERE status = 'created' AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?`, now, POLLS_PER_ALARM).toArray().map(fromRow);
    let i = 0;
    const worker = async () => {
      while (i < due.length) await this.poll(due[i++]);
    };
    await Promise.all(Array.from({ length: POLL_CONCURRENCY }, worker));
    await this.resend(now);
    // Submitting items whose consumer never reported back and whose message never came again.
    const stale = this.sql.exec(`SELECT * FROM items WHERE status = 'submitting' AND granted_at <= ?`, now - this.cfg.submitLeaseMs).toArray();
    for (const r of stale) this.save(D.leaseExpired(fromRow(r), this.cfg.unknownHoldMs));
    this.wake(); // holds that expired free their slots too
    this.scheduleAlarm();
  }

  /** Queued items whose message is overdue (lost: a crash while enqueueing, a dropped message)
   * get a new one; a duplicate is harmless (see onDelivery's lease). */
  async resend(now) {
    const lost = this.sql.exec(`SELECT batch, idx FROM items WHERE status = 'queued' AND due_at <= ? LIMIT 100`, now).toArray();
    if (!lost.length) return;
    await this.env.QUEUE.sendBatch(lost.map((r) => ({ body: { k: D.itemKey(r.batch, r.idx) } })));
    for (const r of lost) this.sql.exec('UPDATE items SET due_at = ? WHERE batch = ? AND idx = ?', Date.now() + this.cfg.orphanMs, r.batch, r.idx);
    this.resent = (this.resent ?? 0) + lost.length;
  }

  async poll(item) {
    let next;
    try {
      const job = await this.client.getJob(item.jobid, { maxRetries: 1, timeoutMs: 10_000 });
      const fresh = this.load(D.itemKey(item.batch, item.index)); // a webhook may have come meanwhile
      const r = D.onJobSeen(fresh, job, Date.now(), this.cfg.pollAfterMs);
      next = r.item.status === S.CREATED ? D.afterPoll(r.item, Date.now(), this.cfg.pollEveryMs) : r.item;
      this.save(next);
      this.finished(next, fresh);
    } catch (e) {
      const fresh = this.load(D.itemKey(item.batch, item.index));
      if (fresh.status !== S.CREATED) return;
      next = D.onPollRefused(fresh, e, Date.now()) ?? D.afterPoll(fresh, Date.now(), this.cfg.pollEveryMs);
      this.save(next);
    }
  }

  /** For tests and operators: capacity, waiters and the slot estimate right now. */
  stats() {
    const now = Date.now();
    const counts = Object.fromEntries(this.sql.exec('SELECT status, COUNT(*) AS n FROM items GROUP BY status').toArray().map((r) => [r.status, r.n]));
    return { ...this.capacity(now), maxJobs: this.cfg.maxJobs, waiters: this.waiters.length, slotMs: this.slotMs, resent: this.resent ?? 0, counts };
  }
}
