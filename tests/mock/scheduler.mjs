// The scheduler routes: GET /scheduler (the jobs executing now, grouped by account) and
// DELETE /scheduler/{jobid} (cancel: a job still `created` becomes `failed`, "Cancelled by user").

import { statusOf } from './job.mjs';
import { json, error } from './reply.mjs';
import { sendWebhook } from './webhooks.mjs';

/** GET /scheduler: `{executing: {account: [{jobid, submitId, model, elapsedSeconds, replyUrl?}]}, total}`. */
export function listRunning(store) {
  const now = Date.now();
  const executing = {};
  let total = 0;
  for (const job of store.state.jobs.values()) {
    if (job.expired || statusOf(job, now) !== 'created') continue;
    const entry = { jobid: job.jobid, submitId: job.submitId ?? job.jobid.slice(1, 20), model: job.model, elapsedSeconds: Math.max(0, Math.floor((now - job.createdAt) / 1000)) };
    if (job.request.replyUrl) entry.replyUrl = job.request.replyUrl;
    (executing[job.account] ??= []).push(entry);
    total += 1;
  }
  return json(200, { executing, total });
}

/** DELETE /scheduler/{jobid}: 204 when a running job was cancelled; 404 when none by that id runs. */
export function cancelJob(store, jobid) {
  const job = store.state.jobs.get(jobid);
  const now = Date.now();
  if (!job || job.expired || statusOf(job, now) !== 'created') return error(404, `Unable to locate running jobid ${jobid}`);
  job.cancelledAt = now;
  if (job.webhookTimer) store.forget(job.webhookTimer);
  sendWebhook(store, job); // it failed: the provider reports that like any other end
  return { status: 204, headers: {} };
}
