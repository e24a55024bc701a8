// Demo page of dreamina-upscale. It uses the built package exactly as any web app would: the
// public browser entry, the public DreaminaClient methods and DreaminaError; nothing private.
import { DreaminaClient, DreaminaError } from '/pkg/browser.mjs';

const SANDBOX_TOKEN = 'user:12345-sandbox';
const LIVE_BASE_URL = 'https://api.useapi.net/v1/dreamina';
const TOKEN_KEY = 'dreamina-demo-token';
const SANDBOX_POLL_MS = 500; // the mock finishes in ~1.5 s; the real API uses the default schedule

// The mock's seeded, completed generation jobs (SEEDED in tests/mock/server.mjs; the e2e test
// checks these ids still match it).
const MOCK_USER = '-u12345-US:user@example.com:dreamina';
const SANDBOX_SOURCES = {
  square: `j1125000000000000001i${MOCK_USER}`,
  wide: `j1125000000000000002i${MOCK_USER}`,
  failing: `j1125000000000000005i${MOCK_USER}`,
};

const FIELDS = ['jobid', 'imageIndex', 'upscaleResolution', 'originalImageStrength',
  'detailStrength', 'maxJobs', 'replyRef', 'replyUrl'];
const NUMERIC = new Set(['imageIndex', 'originalImageStrength', 'detailStrength', 'maxJobs']);

const KIND_TITLES = {
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
  job_failed: 'The upscale job failed',
  invalid_response: 'The API sent something unexpected',
};

const $ = (id) => document.getElementById(id);
const form = $('upscale-form');

/** The token lives in this variable only (plus sessionStorage if the user asks). */
let token = '';
/** AbortController of the job in flight, or null. */
let running = null;

// ---------------------------------------------------------------------------------------
// Validation through the package itself

// Any client will do for checking: requests are validated before anything else, and with an
// already-aborted signal a valid request rejects "aborted" before a single byte is sent.
const checker = new DreaminaClient({ baseUrl: '/v1/dreamina' });
const ALREADY_ABORTED = AbortSignal.abort();

/** Resolves to the package's validation error for `request`, or null when it is valid. */
async function validationError(request) {
  try {
    await checker.upscale(request, { signal: ALREADY_ABORTED });
    return null; // unreachable in practice: the signal is aborted
  } catch (e) {
    if (e instanceof DreaminaError && e.kind === 'validation') return e;
    return null;
  }
}

/** A form value as the package should see it; empty optional fields are left out. */
function readField(name) {
  const el = $(name);
  if (NUMERIC.has(name)) {
    // "1e" or "--" in a number box reads as "", yet the user typed something: let the package say so.
    if (el.validity.badInput) return NaN;
    return el.value.trim() === '' ? undefined : Number(el.value);
  }
  if (name === 'jobid') return el.value;
  return el.value === '' ? undefined : el.value;
}

function buildRequest() {
  const request = {};
  for (const name of FIELDS) {
    const v = readField(name);
    if (v !== undefined) request[name] = v;
  }
  return request;
}

const checkSeq = {}; // latest check per field, so a slow stale answer never wins

/** Checks one field alone (with a stand-in jobid) and shows the package's message next to it. */
async function checkField(name) {
  const seq = (checkSeq[name] = (checkSeq[name] ?? 0) + 1);
  const value = readField(name);
  const request = name === 'jobid' ? { jobid: value } : { jobid: 'j-check', [name]: value };
  const err = await validationError(request);
  if (seq === checkSeq[name]) showFieldError(name, err?.message ?? '');
}

function showFieldError(name, message) {
  const field = document.querySelector(`[data-field="${name}"]`);
  if (!field) return;
  field.querySelector('.error').textContent = message;
  field.classList.toggle('invalid', !!message);
  $(name).setAttribute('aria-invalid', message ? 'true' : 'false');
}

// ---------------------------------------------------------------------------------------
// Mode and token

const mode = () => document.querySelector('input[name="mode"]:checked').value;

function makeClient() {
  if (mode() === 'sandbox') {
    return new DreaminaClient({ baseUrl: `${location.origin}/v1/dreamina`, token: SANDBOX_TOKEN });
  }
  return new DreaminaClient({ baseUrl: LIVE_BASE_URL, token });
}

function applyMode() {
  const live = mode() === 'live';
  $('sandbox-panel').hidden = live;
  $('live-panel').hidden = !live;
  const jobid = $('jobid');
  const isSeed = Object.values(SANDBOX_SOURCES).includes(jobid.value);
  if (!live) jobid.value = SANDBOX_SOURCES[$('source').value];
  else if (isSeed) jobid.value = '';
  showFieldError('jobid', '');
  showFieldError('token', '');
}

/** sessionStorage may be unavailable (privacy settings): the token then stays in memory only. */
function session(action, value) {
  try {
    if (action === 'get') return sessionStorage.getItem(TOKEN_KEY);
    if (action === 'set') sessionStorage.setItem(TOKEN_KEY, value);
    if (action === 'remove') sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    return null;
  }
  return null;
}

function rememberToken() {
  if ($('remember').checked && token) session('set', token);
  else session('remove');
}

function restoreToken() {
  const saved = session('get');
  if (!saved) return;
  token = saved;
  $('token').value = saved;
  $('remember').checked = true;
  document.querySelector('input[name="mode"][value="live"]').checked = true;
}

// ---------------------------------------------------------------------------------------
// A run: submit, live status, result or error

const run = { started: 0, updates: 0, status: '', jobid: '', timer: 0, stage: 0, seq: 0 };

const STAGE_OF = { submitting: 0, waiting: 1, done: 2 };

/** Marks the stages reached; on error or cancel, the stage it stopped at turns red. */
function setState(state) {
  $('run').dataset.state = state;
  const stopped = !(state in STAGE_OF);
  if (!stopped) run.stage = STAGE_OF[state];
  document.querySelectorAll('.stages li').forEach((li, i) => {
    if (state === 'done' || i < run.stage) li.className = 'done';
    else if (i === run.stage) li.className = stopped ? 'failed' : 'active';
    else li.className = '';
  });
  const progress = $('progress');
  if (state === 'done') progress.value = 1;
  else if (stopped) progress.value = 0;
  else progress.removeAttribute('value'); // indeterminate: the API reports no percentage
}

/** Polls = onUpdate calls minus the first one, which is the POST reply of upscaleAndWait. */
function renderStatus() {
  const secs = ((performance.now() - run.started) / 1000).toFixed(1);
  const polls = Math.max(0, run.updates - 1);
  const parts = [run.status, `${secs} s`, `${polls} poll${polls === 1 ? '' : 's'}`];
  $('status').textContent = parts.join(' · ');
  $('run-jobid').textContent = run.jobid || '—';
}

function startRun() {
  Object.assign(run, { started: performance.now(), updates: 0, status: 'Submitting…', jobid: '', seq: run.seq + 1 });
  $('run').hidden = false;
  $('error').hidden = true;
  $('result').hidden = true;
  setState('submitting');
  renderStatus();
  run.timer = setInterval(renderStatus, 100);
  $('submit').disabled = true;
  $('submit').textContent = 'Upscaling…';
  $('cancel').hidden = false;
  for (const r of document.querySelectorAll('input[name="mode"]')) r.disabled = true;
  $('run').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}

function endRun(status) {
  clearInterval(run.timer);
  run.status = status;
  renderStatus();
  running = null;
  $('submit').disabled = false;
  $('submit').textContent = 'Upscale';
  $('cancel').hidden = true;
  for (const r of document.querySelectorAll('input[name="mode"]')) r.disabled = false;
}

function onUpdate(job) {
  run.updates += 1;
  run.jobid = job.jobid ?? run.jobid;
  run.status = `Upscaling · status “${job.status}”`;
  setState('waiting');
  renderStatus();
}

async function onSubmit(event) {
  event.preventDefault();
  if (running) return;
  const request = buildRequest();
  startRun();
  running = new AbortController();
  try {
    const client = makeClient();
    const waitOptions = { signal: running.signal, onUpdate };
    if (mode() === 'sandbox') waitOptions.pollIntervalMs = SANDBOX_POLL_MS;
    const job = await client.upscaleAndWait(request, waitOptions);
    run.jobid = job.jobid;
    setState('done');
    endRun('Completed');
    await showResult(client, request, job);
  } catch (e) {
    const outcome = { aborted: 'Cancelled', validation: 'Not sent' }[e?.kind] ?? 'Failed';
    setState(e?.kind === 'aborted' ? 'cancelled' : 'error');
    endRun(outcome);
    showError(e);
  }
}

// ---------------------------------------------------------------------------------------
// Errors

function showError(e) {
  const known = e instanceof DreaminaError;
  const kind = known ? e.kind : 'unexpected';
  $('error-kind').textContent = kind;
  $('error-title').textContent = KIND_TITLES[kind] ?? 'Something went wrong';
  $('error-message').textContent = String(e?.message ?? e);
  const meta = $('error-meta');
  meta.replaceChildren();
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
  if (kind === 'aborted' && e?.jobid) add('note', 'The job may still finish on the server; it was only the wait that stopped.');
  $('error').hidden = false;
  if (kind === 'validation' && e.field) {
    const target = e.field === 'token' ? 'token' : FIELDS.includes(e.field) ? e.field : null;
    if (target) showFieldError(target, e.message);
  }
}

// ---------------------------------------------------------------------------------------
// Result

async function showResult(client, request, job) {
  const upscaled = job.response?.images?.[0];
  const index = request.imageIndex ?? 0;
  const seq = run.seq;
  $('result').hidden = false;
  if (!upscaled) showMissing('upscaled', 'The completed job has no image.');
  let source = null;
  try {
    const sourceJob = await client.getJob(request.jobid);
    source = sourceJob.response?.images?.[index];
    if (source) showImage('source', source, 'source.png');
    else showMissing('source', `The source job has no image #${index}.`);
  } catch (e) {
    showMissing('source', `Could not load the source job (${e.kind ?? 'error'}): ${e.message}`);
  }
  if (seq !== run.seq) return; // a newer run started while the source job loaded
  if (upscaled) {
    const factor = source?.width ? upscaled.width / source.width : 0;
    const scale = factor ? `${Number(factor.toFixed(1))}× larger` : '';
    showImage('upscaled', upscaled, `upscaled-${request.upscaleResolution ?? '4k'}.png`, scale);
  }
}

function showImage(which, image, filename, scale = '') {
  const img = $(`img-${which}`);
  const frame = img.parentElement;
  frame.classList.add('loading');
  frame.classList.remove('broken');
  img.onload = () => frame.classList.remove('loading');
  img.onerror = () => {
    frame.classList.remove('loading');
    frame.classList.add('broken');
    $(`dims-${which}`).textContent = 'image failed to load';
  };
  img.dataset.width = image.width;
  img.dataset.height = image.height;
  img.src = image.imageUrl;
  $(`dims-${which}`).textContent = `${image.width} × ${image.height}`;
  if (scale) $(`dims-${which}`).textContent += ` · ${scale}`;
  const link = $(`dl-${which}`);
  link.href = image.imageUrl;
  link.download = filename;
  link.hidden = false;
}

function showMissing(which, message) {
  const img = $(`img-${which}`);
  img.removeAttribute('src');
  img.parentElement.classList.add('broken');
  $(`dims-${which}`).textContent = message;
  $(`dl-${which}`).hidden = true;
}

// ---------------------------------------------------------------------------------------
// Wiring

function onFieldInput(event) {
  const el = event.target;
  if (el.dataset.mirror) {
    // A slider moves its number box, which is the field the package checks.
    $(el.dataset.mirror).value = el.value;
    checkField(el.dataset.mirror);
    return;
  }
  if (!FIELDS.includes(el.id)) return;
  const slider = form.querySelector(`input[data-mirror="${el.id}"]`);
  if (slider && el.value !== '' && Number.isFinite(Number(el.value))) slider.value = el.value;
  checkField(el.id);
}

function wire() {
  form.addEventListener('input', onFieldInput);
  form.addEventListener('change', onFieldInput);
  form.addEventListener('submit', onSubmit);
  $('cancel').addEventListener('click', () => running?.abort());
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', applyMode);
  $('source').addEventListener('change', () => {
    $('jobid').value = SANDBOX_SOURCES[$('source').value];
    checkField('jobid');
  });
  $('token').addEventListener('input', () => {
    token = $('token').value.trim();
    showFieldError('token', '');
    rememberToken();
  });
  $('remember').addEventListener('change', rememberToken);
}

$('sandbox-url').textContent = `${location.origin}/v1/dreamina`;
restoreToken();
wire();
applyMode();
document.documentElement.dataset.ready = '1';
