// The example Worker as the tests run it: the same code, plus crash points in the consumer
// (CRASH_AFTER_POST / CRASH_AFTER_RECORD: item indices, first delivery only) and a stats route.
import { makeWorker } from '../src/worker.mjs';

export { Ledger } from '../src/worker.mjs';

const crashed = new Set();
/** Throws (once per item) when the message's item index is listed in env[name]. */
function crashIf(name) {
  return (msg, job, env) => {
    const index = msg.body.k.split('/')[1];
    if (!String(env[name] ?? '').split(',').includes(index) || crashed.has(`${name} ${msg.body.k}`)) return;
    crashed.add(`${name} ${msg.body.k}`);
    throw new Error(`test crash ${name} for ${msg.body.k} (job ${job.jobid} exists)`);
  };
}

const worker = makeWorker({ afterPost: crashIf('CRASH_AFTER_POST'), afterRecord: crashIf('CRASH_AFTER_RECORD') });

export default {
  ...worker,
  async fetch(request, env) {
    if (new URL(request.url).pathname === '/__test/stats') {
      return Response.json(await env.LEDGER.get(env.LEDGER.idFromName(env.ACCOUNT || 'default')).stats());
    }
    return worker.fetch(request, env);
  },
};
