// The example Worker as the tests run it: the same code, plus crash points in the consumer
// (CRASH_AFTER_POST / CRASH_AFTER_RECORD: item indices, first delivery only), one in
// POST /batches (CRASH_AFTER_STORE), a Queue whose sendBatch can be made to throw
// (POST /__test/fault {sendBatch: n}: the next n calls, -1 = until cleared), and routes for stats,
// stale leases and aged batches.
import { makeWorker, Ledger as RealLedger } from '../src/worker.mjs';
import { parseKey, itemKey, STATUS } from '../src/decide.mjs';

const crashed = new Set();
const crashes = [];
const deliveries = {}; // item key → deliveries seen by the consumer
const faults = { sendBatch: 0, thrown: 0 };

/** Throws (once per item) when the message's item index is listed in env[name]. */
function crashIf(name) {
  return (msg, job, env) => {
    const { index } = parseKey(msg.body.k);
    if (!String(env[name] ?? '').split(',').includes(String(index)) || crashed.has(`${name} ${msg.body.k}`)) return;
    crashed.add(`${name} ${msg.body.k}`);
    crashes.push({ point: name, key: msg.body.k, jobid: job.jobid });
    throw new Error(`test crash ${name} for ${msg.body.k} (job ${job.jobid} exists)`);
  };
}

/** CRASH_AFTER_STORE=1: the first POST /batches dies after storing the batch, before enqueueing it. */
function crashAfterStore(id, env) {
  if (env.CRASH_AFTER_STORE !== '1' || crashed.has('store')) return;
  crashed.add('store');
  crashes.push({ point: 'CRASH_AFTER_STORE', batch: id });
  throw new Error(`test crash after storing batch ${id}`);
}

/** The env with a Queue whose sendBatch fails while `faults.sendBatch` says so (one wrapper per env). */
const wrapped = new WeakMap();
function withFaults(env) {
  if (!wrapped.has(env)) {
    const queue = env.QUEUE;
    const QUEUE = {
      send: (body, opts) => queue.send(body, opts),
      async sendBatch(messages, opts) {
        if (faults.sendBatch !== 0) {
          if (faults.sendBatch > 0) faults.sendBatch -= 1;
          faults.thrown += 1;
          throw new Error('test fault: Queue.sendBatch failed');
        }
        return queue.sendBatch(messages, opts);
      },
    };
    wrapped.set(env, { ...env, QUEUE });
  }
  return wrapped.get(env);
}

export class Ledger extends RealLedger {
  constructor(ctx, env) { super(ctx, withFaults(env)); }

  /** Makes an item look like one whose consumer died mid-POST `agoMs` ago (its message gone too). */
  makeStale(key, agoMs) {
    const item = this.load(key);
    this.save({ ...item, status: STATUS.SUBMITTING, grantedAt: Date.now() - agoMs, dispatchedAt: null, dueAt: null });
    this.house.schedule(true);
  }

  /** Makes a batch look `days` older (created and finished), then runs the alarm now. */
  age(batch, days) {
    const ms = days * 86_400_000;
    this.sql.exec('UPDATE batches SET created_at = created_at - ? WHERE id = ?', ms, batch);
    this.sql.exec('UPDATE items SET done_at = done_at - ? WHERE batch = ?', ms, batch);
    return this.ctx.storage.setAlarm(Date.now());
  }

  async testStats() {
    return { ...this.stats(), alarm: await this.ctx.storage.getAlarm() };
  }
}

const worker = makeWorker({ afterStore: crashAfterStore, afterPost: crashIf('CRASH_AFTER_POST'), afterRecord: crashIf('CRASH_AFTER_RECORD') });

export default {
  queue(batch, env) {
    for (const m of batch.messages) if (!m.body.op) deliveries[m.body.k] = (deliveries[m.body.k] ?? 0) + 1;
    return worker.queue(batch, withFaults(env));
  },
  async fetch(request, env) {
    const url = new URL(request.url);
    const stub = () => env.LEDGER.get(env.LEDGER.idFromName(env.ACCOUNT || 'default'));
    if (url.pathname === '/__test/stats') return Response.json({ ...(await stub().testStats()), crashes, deliveries, faults });
    if (url.pathname === '/__test/fault') {
      Object.assign(faults, await request.json());
      return Response.json(faults);
    }
    if (url.pathname === '/__test/age') {
      const { batch, days } = await request.json();
      await stub().age(batch, days);
      return Response.json({ ok: true });
    }
    if (url.pathname === '/__test/stale') {
      const { batch, index, agoMs } = await request.json();
      await stub().makeStale(itemKey(batch, index), agoMs);
      return Response.json({ ok: true });
    }
    return worker.fetch(request, withFaults(env));
  },
};
