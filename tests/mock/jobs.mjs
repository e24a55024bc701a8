// The job routes: POST /images/upscale, POST /images, GET /images/{jobid}, DELETE /scheduler/{jobid}.
// Each takes the store and returns a reply object.

import {
  RESOLUTIONS, given, validateUpscale, validateGenerate, promptMarkers, scaleToLongSide, generationSize,
} from './rules.mjs';
import { DEFAULT_ACCOUNT, jobId, hash, imageSpec, generationImages, statusOf, renderJob } from './job.mjs';
import { json, error } from './reply.mjs';

/** Create an upscale job (after auth + validation). */
export function createUpscale(store, body, req, base) {
  const message = validateUpscale(body);
  if (message) return error(400, message);
  const source = store.state.jobs.get(body.jobid);
  if (!source) return error(404, 'Source image job not found');
  if (source.expired) return error(410, 'Job expired');
  if (source.type !== 'image') return error(400, 'Parameter jobid must be an image generation job');
  const sourceStatus = statusOf(source, Date.now());
  if (sourceStatus !== 'completed') return error(400, `Source image job is ${sourceStatus}, must be completed`);

  const imageIndex = body.imageIndex ?? 0;
  const resolution = body.upscaleResolution ?? '4k';
  const src = source.images[imageIndex];
  if (!src) return error(400, 'Parameter imageIndex must be an integer 0-3');

  const account = source.account ?? DEFAULT_ACCOUNT;
  const now = new Date();
  const full = store.atCapacity(body, account, now.getTime());
  if (full) return full;
  const counter = store.nextCounter();
  const jobid = jobId(now, counter, 'I', account);
  const delay = store.delayFor(req, counter);
  const size = scaleToLongSide(src.width, src.height, RESOLUTIONS[resolution]);
  const request = {
    jobid: body.jobid,
    imageIndex,
    resolution,
    originalImageStrength: body.originalImageStrength ?? 0.65,
    detailStrength: body.detailStrength ?? 0.5,
  };
  if (given(body.replyUrl)) request.replyUrl = body.replyUrl;
  if (given(body.replyRef)) request.replyRef = body.replyRef;
  const job = {
    jobid, type: 'upscale', model: source.model, request, account,
    createdAt: now.getTime(), completeAt: now.getTime() + delay,
    fails: !!source.failUpscales || !!source.failUpscale?.has(imageIndex),
    // The same picture as the source image (its scene), drawn at the upscaled size.
    images: [imageSpec(`upscale-${counter}-${hash(jobid).toString(16)}`, size.width, size.height, { scene: src.scene, theme: src.theme })],
  };
  store.admit(job);
  return json(200, renderJob(job, base, now.getTime(), false));
}

/** Create a generation job (after auth + validation): up to 4 pictures drawn from the prompt. */
export function createGenerate(store, body, req, base) {
  const message = validateGenerate(body);
  if (message) return error(400, message);
  const account = body.account ?? DEFAULT_ACCOUNT;
  const now = new Date();
  const full = store.atCapacity(body, account, now.getTime());
  if (full) return full;
  const counter = store.nextCounter();
  const jobid = jobId(now, counter, 'i', account);
  const delay = store.delayFor(req, counter);
  const request = { model: body.model ?? 'seedream-4.0', ratio: body.ratio ?? 'auto', resolution: body.resolution ?? '1k' };
  if (given(body.prompt)) request.prompt = body.prompt;
  const refs = [];
  for (let n = 1; n <= 6 && given(body[`imageRef_${n}`]); n++) refs.push((request[`imageRef_${n}`] = body[`imageRef_${n}`]));
  for (const f of ['account', 'replyUrl', 'replyRef']) if (given(body[f])) request[f] = body[f];
  const markers = promptMarkers(body.prompt ?? '');
  const { width, height } = generationSize(request.ratio, request.resolution);
  const drawnFrom = markers.clean || refs.join('|');
  const job = {
    jobid, type: 'image', model: request.model, request, account,
    createdAt: now.getTime(), completeAt: now.getTime() + delay,
    fails: markers.fail, failUpscale: markers.failUpscale,
    images: generationImages(`gen-${counter}-${hash(jobid).toString(16)}`, drawnFrom, store.state.config.seed, width, height, markers.images),
  };
  store.admit(job);
  return json(200, renderJob(job, base, now.getTime(), false));
}

export function getJob(store, jobid, base) {
  const job = store.state.jobs.get(jobid);
  if (!job) return error(404, 'Job not found');
  if (job.expired) return error(410, 'Job expired');
  return json(200, renderJob(job, base));
}

export function deleteJob(store, jobid) {
  const job = store.state.jobs.get(jobid);
  if (!job) return error(404, 'Job not found');
  if (job.webhookTimer) store.forget(job.webhookTimer);
  store.state.jobs.delete(jobid);
  return json(200, { jobid, status: 'deleted' });
}
