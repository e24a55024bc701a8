// What the mock accepts: the structural checks of both POST bodies (order and messages), the
// prompt markers, and the values of its own config. Plain functions, no server state.

export const RATIOS = Object.freeze(['auto', '1:1', '3:4', '16:9', '4:3', '9:16', '2:3', '3:2', '21:9']);
/** The `resolution` values POST /images takes (which of them a model allows: models.mjs). */
export const GEN_RESOLUTIONS = Object.freeze(['1k', '2k', '4k']);
export const MAX_PROMPT = 1600;

/** The `upscaleResolution` values POST /images/upscale takes. */
export const RESOLUTIONS = Object.freeze(['2k', '4k', '8k']);

/** Prompt markers that steer the mock (documented in README.md); stripped before drawing. */
const MARKER = /\[mock:([a-z-]+)(?:=([^\]]*))?\]/gi;

/** The markers of a prompt: `{fail, images, failUpscale: Set of imageIndex}`, plus the prompt without them. */
export function promptMarkers(prompt = '') {
  const out = { fail: false, images: 4, failUpscale: new Set(), clean: String(prompt).replace(MARKER, '').replace(/\s+/g, ' ').trim() };
  for (const [, name, value = ''] of String(prompt).matchAll(MARKER)) {
    const key = name.toLowerCase();
    if (key === 'fail') out.fail = true;
    if (key === 'images' && /^[1-4]$/.test(value.trim())) out.images = Number(value);
    if (key === 'fail-upscale') for (const v of value.split(',')) if (/^[0-3]$/.test(v.trim())) out.failUpscale.add(Number(v));
  }
  return out;
}


// ---------------------------------------------------------------------------------------
// Validation of POST /images/upscale (order and messages per the brief)

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
export const given = (v) => v !== undefined && v !== null; // null counts as "not given" for optional fields
const inRange = (v, lo, hi) => typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;

function isHttpUrl(v) {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.host;
  } catch {
    return false;
  }
}

/** Returns an error message, or null when the body is valid. */
export function validateUpscale(body) {
  if (!isObject(body)) return 'Invalid JSON body';
  if (typeof body.jobid !== 'string' || body.jobid.trim() === '') return 'Parameter jobid is required';
  if (given(body.imageIndex) && !(Number.isInteger(body.imageIndex) && inRange(body.imageIndex, 0, 3))) {
    return 'Parameter imageIndex must be an integer 0-3';
  }
  if (given(body.upscaleResolution) && !RESOLUTIONS.includes(body.upscaleResolution)) {
    return 'Parameter upscaleResolution must be one of 2k, 4k, 8k';
  }
  for (const f of ['originalImageStrength', 'detailStrength']) {
    if (given(body[f]) && !inRange(body[f], 0, 1)) return `Parameter ${f} must be a number 0-1`;
  }
  return validateCommon(body);
}

/** Checks shared by both POSTs: maxJobs, replyUrl, replyRef (in that order). */
function validateCommon(body) {
  if (given(body.maxJobs) && !(Number.isInteger(body.maxJobs) && inRange(body.maxJobs, 1, 50))) {
    return 'Parameter maxJobs must be an integer 1-50';
  }
  if (given(body.replyUrl) && !isHttpUrl(body.replyUrl)) return 'Parameter replyUrl must be a valid URL';
  if (given(body.replyRef) && typeof body.replyRef !== 'string') return 'Parameter replyRef must be a string';
  return null;
}

/** POST /images: the structural checks (types, ranges, enums); returns an error message, or
 * null. What each model allows is checked next, by models.mjs. */
export function validateGenerate(body) {
  if (!isObject(body)) return 'Invalid JSON body';
  for (let n = 1; n <= 6; n++) {
    const ref = body[`imageRef_${n}`];
    if (!given(ref)) continue;
    if (typeof ref !== 'string' || ref.trim() === '') return `Parameter imageRef_${n} must be a non-empty string`;
    if (n > 1 && !given(body[`imageRef_${n - 1}`])) return `Parameter imageRef_${n - 1} is required when imageRef_${n} is given`;
  }
  if (given(body.prompt) && typeof body.prompt !== 'string') return 'Parameter prompt must be a string';
  if (!given(body.imageRef_1) && (!given(body.prompt) || body.prompt.trim() === '')) return 'Parameter prompt is required';
  // Characters as Unicode code points (as the client counts them), not UTF-16 units.
  if (given(body.prompt) && [...body.prompt].length > MAX_PROMPT) return `Parameter prompt must be at most ${MAX_PROMPT} characters`;
  if (given(body.model) && (typeof body.model !== 'string' || body.model.trim() === '')) return 'Parameter model must be a non-empty string';
  if (given(body.ratio) && !RATIOS.includes(body.ratio)) return `Parameter ratio must be one of ${RATIOS.join(', ')}`;
  if (given(body.resolution) && !GEN_RESOLUTIONS.includes(body.resolution)) return `Parameter resolution must be one of ${GEN_RESOLUTIONS.join(', ')}`;
  if (given(body.imageStrength) && !inRange(body.imageStrength, 0, 1)) return 'Parameter imageStrength must be a number 0-1';
  if (given(body.account) && (typeof body.account !== 'string' || body.account.trim() === '')) return 'Parameter account must be a non-empty string';
  return validateCommon(body);
}


// ---------------------------------------------------------------------------------------
// Config

/** `completeAfterMs` as `{min, max}`: a number, `{min, max}` or a string "N" / "MIN-MAX"; null if bad. */
export function delayRange(v) {
  if (typeof v === 'string') {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(v);
    return m ? delayRange(m[2] === undefined ? Number(m[1]) : { min: Number(m[1]), max: Number(m[2]) }) : null;
  }
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? { min: Math.round(v), max: Math.round(v) } : null;
  if (isObject(v) && typeof v.min === 'number' && typeof v.max === 'number' && Number.isFinite(v.min) && Number.isFinite(v.max) && v.min >= 0 && v.max >= v.min) {
    return { min: Math.round(v.min), max: Math.round(v.max) };
  }
  return null;
}

/** `old` updated with the given (not undefined) fields of `cfg`; throws a TypeError naming a bad one. */
export function checkConfig(old, cfg) {
  const out = { ...old, tokens: [...old.tokens] };
  const bad = (f, what) => {
    throw new TypeError(`config ${f} must be ${what}`);
  };
  if (cfg.completeAfterMs !== undefined) {
    const r = delayRange(cfg.completeAfterMs);
    if (!r) bad('completeAfterMs', 'a number >= 0, {min, max} or "MIN-MAX"');
    out.completeAfterMs = r.min === r.max ? r.min : r;
  }
  if (cfg.tokens !== undefined) {
    if (!Array.isArray(cfg.tokens)) bad('tokens', 'an array of strings');
    out.tokens = cfg.tokens.map(String);
  }
  if (cfg.capacity !== undefined) {
    if (cfg.capacity !== null && !(Number.isInteger(cfg.capacity) && cfg.capacity >= 1)) bad('capacity', 'an integer >= 1 or null (no limit)');
    out.capacity = cfg.capacity;
  }
  if (cfg.capacityRetryAfterSec !== undefined) {
    const v = cfg.capacityRetryAfterSec;
    if (v !== null && !(Number.isInteger(v) && v >= 0)) bad('capacityRetryAfterSec', 'an integer >= 0 or null (no header)');
    out.capacityRetryAfterSec = v;
  }
  if (cfg.replyUrl !== undefined) {
    if (cfg.replyUrl !== null && !(isHttpUrl(cfg.replyUrl) && cfg.replyUrl.length <= 1024)) bad('replyUrl', 'an http(s) URL of at most 1024 characters, or null');
    out.replyUrl = cfg.replyUrl;
  }
  if (cfg.seed !== undefined) {
    if (!Number.isInteger(cfg.seed)) bad('seed', 'an integer');
    out.seed = cfg.seed;
  }
  return out;
}
