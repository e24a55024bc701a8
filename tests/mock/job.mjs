// A job as the API shows it: its id, its status on the clock, its pictures and the JSON
// object GET /images/{jobid} answers. Plain functions of a job record, no server state.

import { promptMarkers } from './rules.mjs';
import { themeFor } from './picture.mjs';

/** The account that runs jobs whose request names none (it is in every job id's user part). */
export const DEFAULT_ACCOUNT = 'user@example.com';

const FAIL_ERROR = 'fail_code: 2043';
const FAIL_DETAILS = 'Upscale failed: the image could not be processed (mock failing source)';
const GEN_FAIL_DETAILS = 'Generation failed: the prompt could not be processed (mock [mock:fail] marker)';

const pad = (n, len) => String(n).padStart(len, '0');

export const userSuffix = (account) => `-u12345-US:${account}:dreamina`;

/** Job id `j` + MMDDHHmmss + ms + 6-digit counter + I (upscale) or i (generation) + user part (UTC clock). */
export function jobId(date, counter, kind = 'I', account = DEFAULT_ACCOUNT) {
  const stamp = pad(date.getUTCMonth() + 1, 2) + pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2) + pad(date.getUTCMilliseconds(), 3);
  return `j${stamp}${pad(counter % 1e6, 6)}${kind}${userSuffix(account)}`;
}

/** Small stable number from a string (FNV-1a), used as picture seed / fake ids. */
export function hash(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Plain image descriptor; its URLs are rendered per request (see renderImage). `picture`:
 * `{scene, theme}` of the landscape it shows (an upscale keeps its source image's). */
export function imageSpec(name, width, height, picture) {
  const seed = hash(name) % 100000;
  return { name, width, height, seed, ...picture, assetId: String(7e15 + hash(name + 'a')), itemId: String(7e15 + hash(name + 'i')) };
}

/** The pictures of a generation: `count` scenes drawn from the prompt (markers removed) and the seed. */
export function generationImages(prefix, prompt, seed, width, height, count) {
  const clean = promptMarkers(prompt).clean;
  return Array.from({ length: count }, (_, i) => {
    const scene = hash(`${clean}|${i}|${seed}`);
    return imageSpec(`${prefix}-${i}`, width, height, { scene, theme: themeFor(clean, scene) });
  });
}

/** Status of a job at time `now` (created jobs run on the clock, no timers; seeded ones are fixed). */
export function statusOf(job, now) {
  if (job.seeded) return job.status;
  if (now < job.completeAt) return 'created';
  return job.fails ? 'failed' : 'completed';
}

/** The documented image object, with an absolute imageUrl on this mock (like a signed CDN URL). */
function renderImage(img, base) {
  return {
    imageUrl: `${base}/files/${img.name}.png?w=${img.width}&h=${img.height}&seed=${img.seed}` +
      (img.scene === undefined ? '' : `&scene=${img.scene}&theme=${img.theme}`),
    imageUri: `tos-mock-i-dreamina/${img.name}`,
    width: img.width,
    height: img.height,
    format: 'png',
    assetId: img.assetId,
    assetRef: `asset-${img.assetId}`,
    itemId: img.itemId,
  };
}

/** The job object as the API returns it. `withUpdated: false` for the POST reply. */
export function renderJob(job, base, now = Date.now(), withUpdated = true) {
  const status = statusOf(job, now);
  const done = status === 'completed' || status === 'failed';
  const out = { jobid: job.jobid, type: job.type, status, model: job.model, created: new Date(job.createdAt).toISOString() };
  if (withUpdated) {
    const updated = !job.seeded ? (done ? job.completeAt : job.createdAt) : (job.updatedAt ?? job.createdAt);
    out.updated = new Date(updated).toISOString();
  }
  out.request = { ...job.request };
  out.response = { forecastCost: 0 };
  if (status === 'completed') out.response.images = job.images.map((img) => renderImage(img, base));
  if (status === 'failed') {
    out.error = FAIL_ERROR;
    out.errorDetails = job.type === 'image' ? GEN_FAIL_DETAILS : FAIL_DETAILS;
  }
  out.code = 200;
  return out;
}
