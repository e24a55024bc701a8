// The demo's form fields as the package should see them, checked as you type by the package
// itself: a call with an already-aborted signal validates the request and sends nothing.
import { DreaminaClient, DreaminaError } from '/pkg/browser.mjs';

const $ = (id) => document.getElementById(id);

const GENERATE_FIELDS = ['prompt', 'ratio', 'model'];
const UPSCALE_FIELDS = ['upscaleResolution', 'originalImageStrength', 'detailStrength', 'maxJobs', 'replyRef', 'replyUrl'];
const NUMERIC = new Set(['originalImageStrength', 'detailStrength', 'maxJobs', 'concurrency']);

// Any client will do for checking: requests are validated before anything else.
const checker = new DreaminaClient({ baseUrl: '/v1/dreamina' });
const ALREADY_ABORTED = AbortSignal.abort();

/** Resolves to the package's validation error of `call()`, or null when the input is valid. */
async function validationError(call) {
  try {
    await call();
    return null;
  } catch (e) {
    return e instanceof DreaminaError && e.kind === 'validation' ? e : null;
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
  if (name === 'prompt') return el.value;
  return el.value === '' ? undefined : el.value;
}

const pick = (names) => Object.fromEntries(names.map((n) => [n, readField(n)]).filter(([, v]) => v !== undefined));

/** The `POST /images` request of the form. */
export const generateRequest = () => pick(GENERATE_FIELDS);

/** The settings applied to every upscale, plus the batch's `concurrency` (if given). */
export const upscaleSettings = () => pick([...UPSCALE_FIELDS, 'concurrency']);

export function showFieldError(name, message) {
  const field = document.querySelector(`[data-field="${name}"]`);
  if (!field) return;
  field.querySelector('.error').textContent = message;
  field.classList.toggle('invalid', !!message);
  $(name)?.setAttribute('aria-invalid', message ? 'true' : 'false');
}

const checkSeq = {}; // latest check per field, so a slow stale answer never wins

/** Checks one field alone and shows the package's message next to it. */
async function checkField(name) {
  const seq = (checkSeq[name] = (checkSeq[name] ?? 0) + 1);
  const value = readField(name);
  const signal = ALREADY_ABORTED;
  let call;
  if (GENERATE_FIELDS.includes(name)) call = () => checker.generate(name === 'prompt' ? { prompt: value } : { prompt: 'check', [name]: value }, { signal });
  else if (name === 'concurrency') call = () => checker.upscaleMany([{ jobid: 'j-check' }], { concurrency: value, signal });
  else if (name === 'jobid') call = () => checker.getJob(value, { signal });
  else call = () => checker.upscale({ jobid: 'j-check', [name]: value }, { signal });
  const err = await validationError(call);
  if (seq === checkSeq[name]) showFieldError(name, err?.message ?? '');
}

function onFieldInput(event) {
  const el = event.target;
  if (el.dataset.mirror) {
    // A slider moves its number box, which is the field the package checks.
    $(el.dataset.mirror).value = el.value;
    checkField(el.dataset.mirror);
    return;
  }
  const slider = document.querySelector(`input[data-mirror="${el.id}"]`);
  if (slider && el.value !== '' && Number.isFinite(Number(el.value))) slider.value = el.value;
  if ([...GENERATE_FIELDS, ...UPSCALE_FIELDS, 'concurrency', 'jobid'].includes(el.id)) checkField(el.id);
}

export function wireChecks() {
  for (const form of [$('gen-form'), $('upscale-form')]) {
    form.addEventListener('input', onFieldInput);
    form.addEventListener('change', onFieldInput);
  }
}
