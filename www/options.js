// The demo's form fields as the package should see them, checked as you type by the package
// itself: a call with an already-aborted signal validates the request and sends nothing.
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';

const GENERATE_FIELDS = ['prompt', 'model', 'ratio', 'resolution'];
const PHOTO_FIELDS = ['imageStrength']; // sent only with a photo (imageRef_1)
const UPSCALE_FIELDS = ['upscaleResolution', 'originalImageStrength', 'detailStrength', 'maxJobs', 'replyRef', 'replyUrl'];
const NUMERIC = new Set(['imageStrength', 'originalImageStrength', 'detailStrength', 'maxJobs', 'concurrency']);
const CHECKED = [...GENERATE_FIELDS, ...PHOTO_FIELDS, ...UPSCALE_FIELDS, 'concurrency', 'jobid'];
const CHECK_REF = 'US:check@example.com-image:w1:h1:s1-uri:check'; // any reference will do for a check

/** Resolves to the package's validation error of `call()`, or null when the input is valid. */
async function validationError(call) {
  try {
    await call();
    return null;
  } catch (e) {
    return e instanceof DreaminaError && e.kind === 'validation' ? e : null;
  }
}

/**
 * The fields inside `root`, found by name: each `[data-field=NAME]` box holds the control
 * named NAME and its `.error` line. `forms` are checked as the user types. `hasPhoto()` tells
 * whether a photo will be sent as imageRef_1 (then the prompt may be empty).
 */
export function createOptions(root, forms, { hasPhoto }) {
  // Any client will do for checking: requests are validated before anything else.
  const checker = new DreaminaClient({ baseUrl: '/v1/dreamina' });
  const ALREADY_ABORTED = AbortSignal.abort();
  const control = (name) => root.querySelector(`[name="${name}"]`);

  /** A form value as the package should see it; empty optional fields are left out. */
  function readField(name) {
    const el = control(name);
    if (NUMERIC.has(name)) {
      // "1e" or "--" in a number box reads as "", yet the user typed something: let the package say so.
      if (el.validity.badInput) return NaN;
      return el.value.trim() === '' ? undefined : Number(el.value);
    }
    // With a photo the prompt may be left out; an empty one is refused, so it is not sent.
    if (name === 'prompt') return hasPhoto() && el.value.trim() === '' ? undefined : el.value;
    return el.value === '' ? undefined : el.value;
  }

  const pick = (names) => Object.fromEntries(names.map((n) => [n, readField(n)]).filter(([, v]) => v !== undefined));

  function showFieldError(name, message) {
    const field = root.querySelector(`[data-field="${name}"]`);
    if (!field) return;
    field.querySelector('.error').textContent = message;
    field.classList.toggle('invalid', !!message);
    control(name)?.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  const checkSeq = {}; // latest check per field, so a slow stale answer never wins

  /** Checks one field alone and shows the package's message next to it. */
  async function checkField(name) {
    const seq = (checkSeq[name] = (checkSeq[name] ?? 0) + 1);
    const value = readField(name);
    const signal = ALREADY_ABORTED;
    let call;
    if (name === 'prompt') call = () => checker.generate(hasPhoto() ? { ...pick(['prompt']), imageRef_1: CHECK_REF } : { prompt: value }, { signal });
    else if (PHOTO_FIELDS.includes(name)) call = () => checker.generate({ imageRef_1: CHECK_REF, [name]: value }, { signal });
    else if (GENERATE_FIELDS.includes(name)) call = () => checker.generate({ prompt: 'check', [name]: value }, { signal });
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
      control(el.dataset.mirror).value = el.value;
      checkField(el.dataset.mirror);
      return;
    }
    const slider = root.querySelector(`input[data-mirror="${el.name}"]`);
    if (slider && el.value !== '' && Number.isFinite(Number(el.value))) slider.value = el.value;
    if (CHECKED.includes(el.name)) checkField(el.name);
  }

  /** The chosen model's note (what it allows), from its <option data-note>. */
  function showModelNote() {
    const select = control('model');
    const hint = root.querySelector('[data-field="model"] .hint');
    if (select && hint) hint.textContent = select.selectedOptions[0]?.dataset.note ?? '';
  }

  for (const form of forms) {
    form.addEventListener('input', onFieldInput);
    form.addEventListener('change', onFieldInput);
  }
  control('model')?.addEventListener('change', showModelNote);
  showModelNote();

  /** Checks a picked or dropped file as `uploadImage` will (type by its first bytes, size);
   * resolves to true when it may be sent. Nothing is sent. */
  async function checkPhoto(file) {
    const err = await validationError(() => checker.uploadImage(file, { account: 'US:check@example.com', signal: ALREADY_ABORTED }));
    showFieldError('data', err ? `${file.name}: ${err.message}` : '');
    return !err;
  }

  return {
    /** The `POST /images` request of the form (without the photo). */
    generateRequest: () => pick(GENERATE_FIELDS),
    /** The settings sent with a photo (imageStrength). */
    photoSettings: () => pick(PHOTO_FIELDS),
    checkField,
    checkPhoto,
    /** The settings applied to every upscale, plus the batch's `concurrency` (if given). */
    upscaleSettings: () => pick([...UPSCALE_FIELDS, 'concurrency']),
    showFieldError,
    /** The prompt box (a reload shows the saved generation's prompt again). */
    showPrompt: (prompt) => { control('prompt').value = prompt; },
  };
}
