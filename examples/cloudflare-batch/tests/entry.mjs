// The example Worker as the tests run it: the same code, plus crash points in the consumer
// (CRASH_AFTER_POST / CRASH_AFTER_RECORD: item indices, first delivery only), one in
// POST /batches (CRASH_AFTER_STORE) and a stats route.
import { makeWorker } from '../src/worker.mjs';

export { Ledger } from '../src/worker.mjs';

const crashed = new Set();
const crashes = [];
const deliveries = {}; // item key → deliveries seen by the consumer
/** Throws (once per item) when the message's item index is listed in env[name]. */
function crashIf(name) {
  return (msg, job, env) => {
    const index = msg.body.k.split('/')[1];
    if (!String(env[name] ?? '').split(',').includes(index) || crashed.has(`${name} ${msg.body.k}`)) return;
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

const worker = makeWorker({ afterStore: crashAfterStore, afterPost: crashIf('CRASH_AFTER_POST'), afterRecord: crashIf('CRASH_AFTER_RECORD') });

export default {
  ...worker,
  queue(batch, env) {
    for (const m of batch.messages) deliveries[m.body.k] = (deliveries[m.body.k] ?? 0) + 1;
    return worker.queue(batch, env);
  },
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/__test/stats') {
      const stats = await env.LEDGER.get(env.LEDGER.idFromName(env.ACCOUNT || 'default')).stats();
      return Response.json({ ...stats, crashes, deliveries });
    }
    return worker.fetch(request, env);
  },
};
