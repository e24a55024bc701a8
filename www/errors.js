// How the demo shows a DreaminaError: its kind, a title for people, the message and the facts
// the error carries (status, jobid, field, retry-after, the job's own error).
import { DreaminaError } from 'dreamina-upscale';

export const KIND_TITLES = {
  validation: 'Invalid option: nothing was sent',
  unauthorized: 'The API refused the token',
  payment_required: 'No subscription or credits left',
  not_found: 'Not found',
  gone: 'The job has expired',
  moderated: 'Refused by content moderation',
  rate_limited: 'Rate limited: try again later',
  account_error: 'The linked Dreamina account needs attention',
  server: 'The API had a problem',
  network: 'Could not reach the API',
  timeout: 'Timed out',
  aborted: 'Cancelled: stopped waiting',
  cancelled: 'Cancelled: the job was stopped on the server',
  job_failed: 'The job failed',
  invalid_response: 'The API sent something unexpected',
};

export const kindOf = (e) => (e instanceof DreaminaError ? e.kind : e?.kind ?? 'unexpected');

/** The provider's error of a job cancelled with `client.cancel` (DELETE /scheduler/{jobid}). */
export const CANCELLED_BY_USER = 'Cancelled by user';

/** A wait that ended on a job cancelled on the server (by this page or anyone else). */
export const isCancelled = (e) => kindOf(e) === 'cancelled' || (e?.job?.error ?? e?.jobError) === CANCELLED_BY_USER;

/** A title for people: a validation error the API answered was sent (and refused), not held back. */
function titleOf(e, kind) {
  if (isCancelled(e)) return KIND_TITLES.cancelled;
  if (kind === 'validation' && e?.status) return 'Refused by the API: nothing was created';
  return KIND_TITLES[kind] ?? 'Something went wrong';
}

/** Fills `box` (an .alert) with the error and shows it. */
export function renderError(box, e) {
  const kind = kindOf(e);
  box.replaceChildren();
  const title = document.createElement('p');
  title.className = 'alert-title';
  const badge = document.createElement('span');
  badge.className = 'kind';
  badge.textContent = kind;
  const words = document.createElement('span');
  words.textContent = titleOf(e, kind);
  title.append(badge, ' ', words);
  const message = document.createElement('p');
  message.className = 'error-message';
  message.textContent = String(e?.message ?? e);
  const meta = document.createElement('dl');
  meta.className = 'meta small error-meta';
  const add = (label, value) => {
    if (value === undefined || value === null || value === '') return;
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = label;
    dd.textContent = typeof value === 'string' ? value : JSON.stringify(value);
    meta.append(dt, dd);
  };
  add('kind', kind);
  add('status', e?.status);
  add('jobid', e?.jobid);
  add('field', e?.field);
  add('retry after', e?.retryAfterMs === undefined ? undefined : `${Math.ceil(e.retryAfterMs / 1000)} s`);
  add('job error', e?.job?.error);
  add('details', e?.job?.errorDetails);
  if (kind === 'aborted' && e?.jobid) add('note', 'The job may still finish on the server; only the wait stopped.');
  box.append(title, message, meta);
  box.hidden = false;
}
