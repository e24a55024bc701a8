// Webhook calls to a job's replyUrl when it finishes, recorded in state.webhooks.

import { renderJob } from './job.mjs';

/** POST the finished job to its replyUrl once; record the attempt in state.webhooks. */
export function scheduleWebhook(store, job) {
  const { state } = store;
  job.webhookTimer = store.later(job.completeAt - Date.now(), async () => {
    if (state.jobs.get(job.jobid) !== job) return; // deleted or reset meanwhile
    const payload = { ...renderJob(job, store.url), replyRef: job.request.replyRef };
    const record = { jobid: job.jobid, url: job.request.replyUrl, time: Date.now(), body: payload, status: null, error: null };
    state.webhooks.push(record);
    try {
      const r = await fetch(job.request.replyUrl, {
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
  });
}
