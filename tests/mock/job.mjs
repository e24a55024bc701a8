// A job as the API shows it: its id, its status on the clock, its pictures and the JSON
// object GET /images/{jobid} answers. Plain functions of a job record, no server state.

import { promptMarkers } from './rules.mjs';
import { themeFor } from './picture.mjs';
import { pictureFormat } from './files.mjs';

/** What a job cancelled by DELETE /scheduler/{jobid} shows as its error. */
export const CANCELLED = 'Cancelled by user';

const FAIL_ERROR = 'fail_code: 2043';
const FAIL_DETAILS = 'Upscale failed: the image could not be processed (mock failing source)';
const GEN_FAIL_DETAILS = 'Generation failed: the prompt could not be processed (mock [mock:fail] marker)';

const pad = (n, len) => String(n).padStart(len, '0');

/** The user part of a job id: the useapi user, the account (`REGION:email`), the service. */
export const userSuffix = (account) => `-u12345-${account}:dreamina`;

/** Job id `j` + MMDDHHmmss + ms + 6-digit counter + I (upscale) or i (generation) + user part (UTC clock). */
export function jobId(date, counter, kind, account) {
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
 * `{scene, theme, photo?, strength?}` of what it shows (an upscale keeps its source image's):
 * a landscape, or an uploaded photo (`photo`: its upload id) graded by the scene. */
export function imageSpec(name, width, height, picture, account) {
  const seed = hash(name) % 100000;
  const itemId = `76${String(hash(name + 'i')).padStart(10, '0')}${String(hash(name) % 1e7).padStart(7, '0')}`; // 19 digits, like the provider's
  return { name, width, height, seed, ...picture, account, itemId };
}

/** The pictures of a generation: `count` scenes drawn from the prompt (markers removed) and the
 * seed; `base` (from a reference picture) puts its photo and strength into each. */
export function generationImages(prefix, prompt, seed, width, height, count, account, base = {}) {
  const clean = promptMarkers(prompt).clean;
  return Array.from({ length: count }, (_, i) => {
    const scene = hash(`${clean}|${i}|${seed}`);
    return imageSpec(`${prefix}-${i}`, width, height, { scene, theme: themeFor(clean, scene), ...base }, account);
  });
}

/** The native URI of a generated picture (in its assetRef and imageUri). */
export const imageUri = (img) => `tos-mock-i-dreamina/${img.name}`;

/** The provider's assetRef shape: `REGION:email-image:w<W>:h<H>:s<size>-uri:<native uri>`
 * (`size` of a generated picture is an estimate: the mock encodes it only when fetched). */
export const assetRef = (account, width, height, size, uri) => `${account}-image:w${width}:h${height}:s${size}-uri:${uri}`;
const estimatedSize = (img) => Math.round(img.width * img.height * 0.15);

/** Status of a job at time `now` (created jobs run on the clock, no timers; seeded ones are fixed). */
export function statusOf(job, now) {
  if (job.cancelledAt !== undefined) return 'failed';
  if (job.seeded) return job.status;
  if (now < job.completeAt) return 'created';
  return job.fails ? 'failed' : 'completed';
}

/** The documented image object, with an absolute imageUrl on this mock (like a signed CDN URL). */
export function renderImage(img, base) {
  const { ext, format } = pictureFormat;
  const photo = img.photo === undefined ? '' : `&photo=${img.photo}&strength=${img.strength}`;
  return {
    imageUrl: `${base}/files/${img.name}.${ext}?w=${img.width}&h=${img.height}&seed=${img.seed}` +
      (img.scene === undefined ? '' : `&scene=${img.scene}&theme=${img.theme}`) + photo,
    imageUri: imageUri(img),
    width: img.width,
    height: img.height,
    format,
    assetId: `${img.account}:${img.itemId}`,
    assetRef: assetRef(img.account, img.width, img.height, estimatedSize(img), imageUri(img)),
    itemId: img.itemId,
  };
}

/** The job object as the API returns it. `withUpdated: false` for the POST reply. */
export function renderJob(job, base, now = Date.now(), withUpdated = true) {
  const status = statusOf(job, now);
  const done = status === 'completed' || status === 'failed';
  const out = { jobid: job.jobid, type: job.type, status, model: job.model, created: new Date(job.createdAt).toISOString() };
  if (withUpdated) {
    const updated = job.cancelledAt ?? (!job.seeded ? (done ? job.completeAt : job.createdAt) : (job.updatedAt ?? job.createdAt));
    out.updated = new Date(updated).toISOString();
  }
  out.request = { ...(job.echo ?? job.request) };
  out.response = { forecastCost: job.cost ?? 0 };
  if (status === 'completed') out.response.images = job.images.map((img) => renderImage(img, base));
  if (status === 'failed' && job.cancelledAt !== undefined) {
    out.error = CANCELLED;
  } else if (status === 'failed') {
    out.error = FAIL_ERROR;
    out.errorDetails = job.type === 'image' ? GEN_FAIL_DETAILS : FAIL_DETAILS;
  }
  out.code = 200;
  return out;
}
