// Demo page of dreamina-upscale. It uses the built package exactly as any web app would: the
// public browser entry, the public DreaminaClient methods and DreaminaError; nothing private.
// Flow: prompt -> generateAndWait -> thumbnails -> upscaleMany (one) or upscaleAll -> compare.
import { DreaminaClient } from '/pkg/browser.mjs';
import { renderError, kindOf } from './errors.js';
import { renderGallery, renderTile, tick } from './gallery.js';
import { showCompare, hideCompare, wireCompare } from './compare.js';
import { wireChecks, generateRequest, upscaleSettings, showFieldError } from './options.js';
import * as store from './store.js';

const SANDBOX_TOKEN = 'user:12345-sandbox';
const LIVE_BASE_URL = 'https://api.useapi.net/v1/dreamina';
const TOKEN_KEY = 'dreamina-demo-token';
const SANDBOX_POLL_MS = 500; // the mock finishes in ~1.5 s; the real API uses the default schedule

const $ = (id) => document.getElementById(id);

/** The token lives in this variable only (plus sessionStorage if the user asks). */
let token = '';

/** Everything on screen: the source generation, one item per image, the selected one. */
const view = { mode: 'sandbox', source: null, items: [], selected: null, busy: false };
/** AbortController of the generation or batch in flight, or null. */
let running = null;

// ---------------------------------------------------------------------------------------
// Mode and token

const mode = () => document.querySelector('input[name="mode"]:checked').value;

function makeClient() {
  if (mode() === 'sandbox') return new DreaminaClient({ baseUrl: `${location.origin}/v1/dreamina`, token: SANDBOX_TOKEN });
  return new DreaminaClient({ baseUrl: LIVE_BASE_URL, token });
}

/** Wait options for this mode: the sandbox polls fast, the real API gets the package's schedule. */
const pollOptions = () => (mode() === 'sandbox' ? { pollIntervalMs: SANDBOX_POLL_MS } : {});

function applyMode() {
  const live = mode() === 'live';
  $('sandbox-panel').hidden = live;
  $('live-panel').hidden = !live;
  showFieldError('token', '');
}

/** Another API: the jobs on the page belong to the other one, so start over. */
function onModeChange() {
  applyMode();
  if (view.source && view.mode !== mode()) startOver();
  view.mode = mode();
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
// Busy state: one generation or batch at a time

function setBusy(busy, what) {
  view.busy = busy;
  $('generate').disabled = busy;
  $('load').disabled = busy;
  $('upscale-all').disabled = busy;
  $('gen-cancel').hidden = !(busy && what === 'generate');
  $('batch-cancel').hidden = !(busy && what === 'batch');
  for (const r of document.querySelectorAll('input[name="mode"]')) r.disabled = busy;
  view.items.forEach((_, i) => renderTile(view, i));
}

// ---------------------------------------------------------------------------------------
// Generation: prompt -> job -> images

const gen = { started: 0, updates: 0, status: '', timer: 0, notPolls: 1 };

function renderGen() {
  const secs = ((performance.now() - gen.started) / 1000).toFixed(1);
  const polls = Math.max(0, gen.updates - gen.notPolls); // generateAndWait's first update is the POST reply
  $('gen-status').textContent = [gen.status, `${secs} s`, `${polls} poll${polls === 1 ? '' : 's'}`].join(' · ');
}

function startGen(status, jobid = '', notPolls = 1) {
  Object.assign(gen, { started: performance.now(), updates: 0, status, notPolls });
  $('gen-run').hidden = false;
  $('gen-run').dataset.state = 'running';
  $('gen-error').hidden = true;
  $('gen-jobid').textContent = jobid || '—';
  $('gen-progress').removeAttribute('value'); // indeterminate: the API reports no percentage
  clearInterval(gen.timer);
  gen.timer = setInterval(renderGen, 100);
  renderGen();
}

function endGen(state, status) {
  clearInterval(gen.timer);
  gen.status = status;
  $('gen-run').dataset.state = state;
  $('gen-progress').value = state === 'done' ? 1 : 0;
  renderGen();
}

/** A job snapshot of the generation (the created job first, then each poll). */
function onGenUpdate(job) {
  gen.updates += 1;
  gen.status = `Generating · status “${job.status}”`;
  if (job.jobid && !view.source) {
    // Known from the POST reply on: keep it, so a reload can pick the job up again.
    view.source = { jobid: job.jobid, job: null, images: [], prompt: view.prompt };
    view.items = [];
    store.save(view);
  }
  $('gen-jobid').textContent = job.jobid ?? '—';
  renderGen();
}

async function onGenerate(event) {
  event.preventDefault();
  if (view.busy) return;
  startOver();
  startGen('Submitting…');
  const request = generateRequest();
  view.prompt = request.prompt;
  await runGeneration((client, signal) => client.generateAndWait(request, { signal, onUpdate: onGenUpdate, ...pollOptions() }));
}

/** Follows an existing generation job (loaded by id, or saved before a reload). */
async function followSource(jobid, status = 'Loading the job…') {
  startGen(status, jobid, 0);
  view.source = { jobid, job: null, images: [], prompt: view.prompt };
  await runGeneration((client, signal) => client.waitForJob(jobid, { signal, onUpdate: onGenUpdate, ...pollOptions() }));
}

async function runGeneration(start) {
  running = new AbortController();
  setBusy(true, 'generate');
  try {
    const job = await start(makeClient(), running.signal);
    endGen('done', 'Completed');
    showSource(job);
  } catch (e) {
    const aborted = kindOf(e) === 'aborted';
    endGen(aborted ? 'cancelled' : 'error', aborted ? 'Cancelled' : kindOf(e) === 'validation' ? 'Not sent' : 'Failed');
    renderError($('gen-error'), e);
    if (kindOf(e) === 'validation' && e.field) showFieldError(e.field, e.message);
    if (['job_failed', 'not_found', 'gone', 'validation'].includes(kindOf(e))) {
      // Nothing left to resume: a failed, unknown or refused generation is not kept. (After a
      // network error or a cancel the job id stays saved: a reload tries it again.)
      view.source = null;
      store.clear();
    }
  } finally {
    running = null;
    setBusy(false);
  }
}

function showSource(job, saved) {
  const images = job.response?.images ?? [];
  view.source = { jobid: job.jobid, job, images, prompt: view.source?.prompt ?? job.request?.prompt };
  view.items = images.map((_, i) => ({ state: 'idle', polls: 0, ...(saved?.[i] ?? {}) }));
  $('pick').hidden = false;
  renderGallery(view, { onUpscale: (i) => upscale([i]), onSelect: select });
  store.save(view);
}

function startOver() {
  running?.abort();
  view.source = null;
  view.items = [];
  view.selected = null;
  $('pick').hidden = true;
  $('gallery').replaceChildren();
  $('batch-status').textContent = '';
  $('batch-error').hidden = true;
  $('gen-run').hidden = true;
  $('gen-error').hidden = true;
  hideCompare();
  store.clear();
}

// ---------------------------------------------------------------------------------------
// Upscales: one image (upscaleMany of one) or all (upscaleAll), with progress per image

const batch = { started: 0, timer: 0 };

function renderBatch() {
  const count = (s) => view.items.filter((it) => it.state === s).length;
  const parts = [`${count('done')} done`, `${count('running')} running`];
  if (count('queued')) parts.push(`${count('queued')} queued`);
  if (count('failed')) parts.push(`${count('failed')} failed`);
  if (count('cancelled')) parts.push(`${count('cancelled')} cancelled`);
  if (batch.started) parts.push(`${((performance.now() - batch.started) / 1000).toFixed(1)} s`);
  $('batch-status').textContent = parts.join(' · ');
  tick(view);
}

/** A job snapshot of item `index` (its created job first, then each poll). */
function onItemUpdate(index, job) {
  const it = view.items[index];
  const first = !it.jobid || it.jobid !== job.jobid;
  it.jobid = job.jobid ?? it.jobid;
  it.status = job.status;
  if (first) it.polls = 0;
  else it.polls += 1;
  it.state = 'running';
  if (first) store.save(view); // the job id, as soon as it is known
  renderTile(view, index);
}

/** Item `index` settled: `{status: 'fulfilled', value: job} | {status: 'rejected', reason}`. */
function onItemResult(index, result) {
  const it = view.items[index];
  if (result.status === 'fulfilled') {
    const image = result.value.response?.images?.[0];
    Object.assign(it, { state: 'done', job: result.value, jobid: result.value.jobid, error: null, size: image ? `${image.width} × ${image.height}` : '' });
    if (view.selected === null || view.selected === index) select(index);
  } else {
    const e = result.reason;
    Object.assign(it, { state: kindOf(e) === 'aborted' ? 'cancelled' : 'failed', error: e, jobid: e?.jobid ?? it.jobid });
  }
  store.save(view);
  renderTile(view, index);
  renderBatch();
}

/** Upscales the images `indexes` of the source (all of them with upscaleAll). */
async function upscale(indexes, all = false) {
  if (view.busy || !view.source) return;
  $('batch-error').hidden = true;
  let settings;
  try {
    settings = upscaleSettings();
  } catch (e) {
    renderError($('batch-error'), e);
    return;
  }
  for (const i of indexes) Object.assign(view.items[i], { state: 'queued', jobid: null, job: null, error: null, polls: 0, started: performance.now() });
  store.save(view);
  running = new AbortController();
  setBusy(true, 'batch');
  batch.started = performance.now();
  clearInterval(batch.timer);
  batch.timer = setInterval(renderBatch, 200);
  const client = makeClient();
  const { concurrency, ...request } = settings;
  const options = {
    signal: running.signal,
    onUpdate: ({ index, job }) => onItemUpdate(all ? index : indexes[index], job),
    onResult: (index, result) => onItemResult(all ? index : indexes[index], result),
    ...pollOptions(),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
  let refused = false;
  try {
    if (all) await client.upscaleAll(view.source.jobid, { ...request, ...options });
    else await client.upscaleMany(indexes.map((imageIndex) => ({ jobid: view.source.jobid, imageIndex, ...request })), options);
  } catch (e) {
    // upscaleMany settles per item; it rejects only when the batch itself is refused (bad options).
    refused = true;
    for (const i of indexes) if (view.items[i].state === 'queued') view.items[i].state = 'idle';
    renderError($('batch-error'), e);
    if (kindOf(e) === 'validation' && e.field) showFieldError(e.field, e.message);
  } finally {
    clearInterval(batch.timer);
    renderBatch();
    if (refused) $('batch-status').textContent = 'Not sent';
    batch.started = 0;
    running = null;
    setBusy(false);
    store.save(view);
  }
}

/** After a reload: follow every saved upscale job that was running, show the finished ones. */
async function resumeItems(saved) {
  const follow = [];
  saved.forEach((s, i) => {
    const it = view.items[i];
    if (!it) return;
    if (s.jobid && (s.state === 'running' || s.state === 'queued' || s.state === 'done')) follow.push(i);
    else if (s.state === 'queued' || s.state === 'running') it.state = 'interrupted';
    else if (s.state === 'failed' || s.state === 'cancelled') it.state = s.state;
    renderTile(view, i);
  });
  if (!follow.length) return;
  running = new AbortController();
  setBusy(true, 'batch');
  batch.started = performance.now();
  batch.timer = setInterval(renderBatch, 200);
  const client = makeClient();
  const signal = running.signal;
  await Promise.all(follow.map(async (i) => {
    const it = view.items[i];
    Object.assign(it, { state: 'running', polls: 0, started: performance.now() });
    renderTile(view, i);
    try {
      const job = await client.waitForJob(it.jobid, { signal, onUpdate: (job) => onItemUpdate(i, job), ...pollOptions() });
      onItemResult(i, { status: 'fulfilled', value: job });
    } catch (e) {
      onItemResult(i, { status: 'rejected', reason: e });
    }
  }));
  clearInterval(batch.timer);
  batch.started = 0;
  renderBatch();
  running = null;
  setBusy(false);
}

// ---------------------------------------------------------------------------------------
// Compare

function select(index) {
  const it = view.items[index];
  if (it?.state !== 'done') return;
  view.selected = index;
  view.items.forEach((_, i) => renderTile(view, i));
  store.save(view);
  const upscaled = it.job.response?.images?.[0];
  const source = view.source.images[index];
  if (!upscaled || !source) return;
  showCompare({ source, upscaled, label: `image ${index + 1}`, jobid: it.jobid, resolution: it.job.request?.resolution ?? '4k' })
    .catch((e) => renderError($('batch-error'), e));
}

// ---------------------------------------------------------------------------------------
// Boot: wiring, then pick up what a previous page left running

async function resume() {
  const saved = store.load();
  if (!saved?.source?.jobid) return;
  if (saved.mode !== mode()) {
    document.querySelector(`input[name="mode"][value="${saved.mode}"]`).checked = true;
    applyMode();
  }
  view.mode = saved.mode;
  if (typeof saved.source.prompt === 'string') $('prompt').value = saved.source.prompt;
  if (saved.mode === 'live' && !token) {
    renderError($('gen-error'), { kind: 'validation', message: `Enter your token to pick up job ${saved.source.jobid} again (the token is never saved with the jobs).` });
    return;
  }
  view.prompt = saved.source.prompt;
  await followSource(saved.source.jobid, saved.source.done ? 'Loading the job…' : 'Picking up the generation in flight…');
  if (!view.source?.job) return;
  const items = saved.items ?? [];
  view.items.forEach((it, i) => {
    if (items[i]?.jobid) it.jobid = items[i].jobid;
    if (items[i]?.error) it.error = items[i].error;
  });
  view.selected = null;
  await resumeItems(items);
  if (Number.isInteger(saved.selected)) select(saved.selected);
}

function wire() {
  $('gen-form').addEventListener('submit', onGenerate);
  $('upscale-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (view.source) upscale(view.source.images.map((_, i) => i), true);
  });
  $('load').addEventListener('click', () => {
    const jobid = $('jobid').value.trim();
    if (view.busy) return;
    startOver();
    view.prompt = undefined; // the job's own prompt is shown once it is read
    followSource(jobid);
  });
  $('gen-cancel').addEventListener('click', () => running?.abort());
  $('batch-cancel').addEventListener('click', () => running?.abort());
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', onModeChange);
  $('token').addEventListener('input', () => {
    token = $('token').value.trim();
    showFieldError('token', '');
    rememberToken();
  });
  $('remember').addEventListener('change', rememberToken);
  wireChecks();
  wireCompare();
}

$('sandbox-url').textContent = `${location.origin}/v1/dreamina`;
restoreToken();
wire();
applyMode();
view.mode = mode();
document.documentElement.dataset.ready = '1';
resume();
