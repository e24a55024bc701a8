// Webhook calls when a job ends (completes or fails, cancelled included): POST of the job object
// (plus the request's replyRef) to the job's replyUrl, else to the account-wide one (config
// `replyUrl`). Unsigned, once, like the provider's. Each call is recorded in state.webhooks.

import { renderJob } from './job.mjs';

/** Call the job's webhook when it is due to end (a no-op if it has none by then). */
export function scheduleWebhook(store, job) {
  job.webhookTimer = store.later(job.completeAt - Date.now() + 1, () => {
    if (store.state.jobs.get(job.jobid) !== job) return; // reset meanwhile
    sendWebhook(store, job, Math.max(Date.now(), job.completeAt)); // a timer may fire a little early
  });
}

/** POST the job as it is now to its replyUrl (or the account-wide one); record the attempt. */
export async function sendWebhook(store, job, now = Date.now()) {
  const url = job.request.replyUrl ?? store.state.config.replyUrl;
  if (!url) return;
  const payload = { ...renderJob(job, store.url, now), replyRef: job.request.replyRef };
  const record = { jobid: job.jobid, url, time: Date.now(), body: payload, status: null, error: null };
  store.state.webhooks.push(record);
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(5000),
    });
    record.status = r.status;
    await r.arrayBuffer().catch(() => {});
  } catch (e) {
    record.error = String(e?.message ?? e);
  }
}
