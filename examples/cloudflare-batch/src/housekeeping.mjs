// The ledger's alarm. First what cannot fail (plain SQLite): submit leases that ran out, queued
// items whose message never came. Then each step that can (polls of jobs whose webhook is late,
// handing out freed slots, store messages that were lost, retention, R2 purges), each on its
// own: one that throws is logged and the others still run. Whatever happens, it re-arms.
import * as D from './decide.mjs';
import * as log from './log.mjs';
import { fromRow, PARKED } from './schema.mjs';

const S = D.STATUS;
const POLLS_PER_ALARM = 50;
const POLL_CONCURRENCY = 10;
const DAY_MS = 86_400_000;
const err = (e) => String(e?.message ?? e);

export class Housekeeping {
  constructor(ledger) {
    this.l = ledger;
    this.alarmAt = null;
    this.floorMs = 50; // the soonest the next alarm may come; grows while steps keep failing
    this.resent = 0; // queued items taken over after their message was lost
  }

  /** A step failed: back off (1 s doubling to 60 s) before trying again. */
  failed() {
    this.floorMs = Math.min(60_000, Math.max(1_000, this.floorMs * 2));
    this.schedule(true);
  }

  /** Sets the alarm for the earliest thing due (never sooner than the floor). */
  schedule(force = false) {
    const { cfg, busy } = this.l;
    const now = Date.now();
    const first = (q, ...args) => this.l.one(q, ...args).t;
    const times = [
      first('SELECT MIN(next_poll_at) AS t FROM items WHERE status = ?', S.CREATED), // polls of late webhooks
      first('SELECT MIN(slot_until) AS t FROM items WHERE slot_until > ? AND slot_until < ?', now, D.FOREVER), // holds, reservations end
      first('SELECT MIN(due_at) AS t FROM items WHERE status = ?', S.QUEUED), // messages overdue
      first('SELECT MIN(granted_at) + ? AS t FROM items WHERE status = ?', cfg.submitLeaseMs, S.SUBMITTING), // submit leases end
      first('SELECT MIN(store_due_at) AS t FROM items WHERE store = ?', D.STORE.PENDING), // store messages overdue
      first('SELECT MIN(at) + 60000 AS t FROM purges'), // R2 purges to finish
    ];
    if (busy && busy.until > now) times.push(busy.until); // the provider's "at capacity" is over: pump
    // Parked items and a free slot: a pump failed (or has not run yet): try again.
    if (this.l.running(now) < this.l.limit(now) && this.l.one(`SELECT 1 AS t FROM items WHERE ${PARKED} LIMIT 1`, S.QUEUED, now)) times.push(now);
    if (cfg.retainDays) {
      const oldest = this.l.one('SELECT MIN(created_at) AS t FROM batches').t;
      if (oldest !== null) times.push(Math.max(oldest + cfg.retainDays * DAY_MS, now + 3_600_000));
    }
    const due = times.filter((t) => t !== null && t !== undefined);
    if (!due.length) return;
    const at = Math.max(Math.min(...due), now + this.floorMs);
    if (!force && this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > now) return;
    this.alarmAt = at;
    this.l.ctx.storage.setAlarm(at);
  }

  async run() {
    this.alarmAt = null;
    const now = Date.now();
    let ok = true;
    try {
      this.expire(now);
    } catch (e) {
      ok = false;
      log.anomaly('alarm_step_failed', { step: 'expire', error: err(e) });
    }
    const steps = [['poll', () => this.pollDue(now)], ['pump', () => this.l.pump()], ['stores', () => this.resendStores(now)],
      ['retention', () => this.retain(now)], ['purges', () => this.purges()]];
    for (const [step, run] of steps) {
      try {
        if ((await run()) === false) ok = false;
      } catch (e) {
        ok = false;
        log.anomaly('alarm_step_failed', { step, error: err(e) });
      }
    }
    if (ok) this.floorMs = 50;
    else this.floorMs = Math.min(60_000, Math.max(1_000, this.floorMs * 2));
    try {
      this.schedule(true);
    } catch (e) {
      log.anomaly('alarm_step_failed', { step: 'schedule', error: err(e) });
      this.l.ctx.storage.setAlarm(Date.now() + 60_000);
    }
  }

  /** Plain SQLite, before anything that can throw: leases that ran out, lost messages. */
  expire(now) {
    const { cfg } = this.l;
    // Submitting items whose consumer never reported back and whose message never came again.
    for (const r of this.l.sql.exec('SELECT * FROM items WHERE status = ? AND granted_at <= ?', S.SUBMITTING, now - cfg.submitLeaseMs).toArray()) {
      this.l.save(D.leaseExpired(fromRow(r), cfg.unknownHoldMs));
      log.anomaly('lease_expired', { key: D.itemKey(r.batch, r.idx), why: 'its consumer stopped during or after the POST: unknown, not sent again' });
    }
    // Queued items whose message did not come within ORPHAN_MS: parked, sent when a slot frees.
    let lost = 0;
    for (const r of this.l.sql.exec('SELECT * FROM items WHERE status = ? AND due_at <= ? LIMIT 1000', S.QUEUED, now).toArray()) {
      const next = D.onMessageLost(fromRow(r), now);
      if (next) { this.l.save(next); lost += 1; }
    }
    if (lost) log.anomaly('message_lost', { items: lost, why: 'no delivery within ORPHAN_MS: parked, sent when a slot frees' });
    this.resent += lost;
  }

  async pollDue(now) {
    const due = this.l.sql.exec('SELECT * FROM items WHERE status = ? AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?', S.CREATED, now, POLLS_PER_ALARM).toArray().map(fromRow);
    let i = 0;
    const worker = async () => { while (i < due.length) await this.poll(due[i++]); };
    await Promise.all(Array.from({ length: POLL_CONCURRENCY }, worker));
  }

  async poll(item) {
    const { l } = this;
    const key = D.itemKey(item.batch, item.index);
    try {
      const job = await l.client.getJob(item.jobid, { maxRetries: 1, timeoutMs: 10_000 });
      const fresh = l.load(key); // a webhook may have come meanwhile
      if (!fresh) return;
      const r = D.onJobSeen(fresh, job, Date.now());
      const next = r.item.status === S.CREATED ? D.afterPoll(r.item, Date.now(), l.cfg.pollEveryMs) : r.item;
      l.changed(next, fresh);
      if (next.status !== S.CREATED) log.debug('poll', { key, status: next.status, why: 'no webhook came: the poll found the job ended' });
    } catch (e) {
      const fresh = l.load(key);
      if (fresh?.status !== S.CREATED) return;
      const refused = D.onPollRefused(fresh, e, Date.now());
      if (refused) log.anomaly('job_gone', { key, jobid: fresh.jobid, error: D.errorInfo(e) });
      l.save(refused ?? D.afterPoll(fresh, Date.now(), l.cfg.pollEveryMs));
    }
  }

  /** Pending pictures whose store message is overdue (lost) get a new one. */
  async resendStores(now) {
    const due = this.l.sql.exec('SELECT batch, idx FROM items WHERE store = ? AND store_due_at <= ? LIMIT 100', D.STORE.PENDING, now).toArray();
    if (!due.length) return true;
    await this.l.sendStores(due.map((r) => ({ k: D.itemKey(r.batch, r.idx), op: 'store' })));
    for (const r of due) {
      // Re-checked: only an item still waiting for its picture gets a new due time.
      this.l.sql.exec('UPDATE items SET store_due_at = ? WHERE batch = ? AND idx = ? AND store = ?', Date.now() + this.l.cfg.orphanMs, r.batch, r.idx, D.STORE.PENDING);
    }
    log.anomaly('store_message_lost', { items: due.length, why: 'no store report within ORPHAN_MS: sent again' });
    return true;
  }

  /** RETAIN_DAYS: finished batches whose last item ended before the cutoff are removed. */
  async retain(now) {
    const days = this.l.cfg.retainDays;
    if (!days) return true;
    const cutoff = now - days * DAY_MS;
    let ok = true;
    for (const { id } of this.l.sql.exec('SELECT id FROM batches WHERE created_at < ? ORDER BY created_at LIMIT 10', cutoff).toArray()) {
      const last = this.l.one('SELECT MAX(done_at) AS t FROM items WHERE batch = ?', id).t ?? 0;
      if (last >= cutoff || !D.batchFinished(this.l.tally(id, now))) continue;
      log.debug('retention', { batch: id, why: `finished more than RETAIN_DAYS (${days}) ago` });
      this.l.dropRows(id);
      if ((await this.l.purge(id)) === null) ok = false;
    }
    return ok;
  }

  /** Deleted batches whose objects could not all be removed yet. */
  async purges() {
    let ok = true;
    for (const { batch } of this.l.sql.exec('SELECT batch FROM purges ORDER BY at LIMIT 10').toArray()) {
      if ((await this.l.purge(batch)) === null) ok = false;
    }
    return ok;
  }
}
