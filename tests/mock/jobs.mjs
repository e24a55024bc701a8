// The job routes: POST /images/upscale, POST /images, GET /images/{jobid}. Each takes the
// store and returns a reply object.

import { given, validateUpscale, validateGenerate, promptMarkers } from './rules.mjs';
import { jobId, hash, imageSpec, generationImages, statusOf, renderJob } from './job.mjs';
import { applyModel, pictureSize, nearestRatio } from './models.mjs';
import { DEFAULT_ACCOUNT, splitAccount, unknownAccount, charge } from './accounts.mjs';
import { findPicture } from './assets.mjs';
import { json, error } from './reply.mjs';

const NOT_ENOUGH_CREDITS = 'Not enough credits';

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

  const account = source.account;
  const now = new Date();
  const full = store.atCapacity(body, account, now.getTime());
  if (full) return full;
  const counter = store.nextCounter();
  const jobid = jobId(now, counter, 'I', account);
  const delay = store.delayFor(req, counter);
  // The size table's picture of the source's ratio at the asked resolution (8k = 4 x 2k).
  const size = pictureSize(nearestRatio(src.width, src.height), resolution);
  const request = {
    jobid: body.jobid,
    imageIndex,
    resolution,
    originalImageStrength: body.originalImageStrength ?? 0.65,
    detailStrength: body.detailStrength ?? 0.5,
  };
  if (given(body.replyUrl)) request.replyUrl = body.replyUrl;
  if (given(body.replyRef)) request.replyRef = body.replyRef;
  const { scene, theme, photo, strength } = src;
  const job = {
    jobid, type: 'upscale', model: source.model, account, cost: 0,
    request, // everything asked (the mock's record); the API echoes only:
    echo: { jobid: body.jobid, imageIndex, resolution },
    createdAt: now.getTime(), completeAt: now.getTime() + delay,
    fails: !!source.failUpscales || !!source.failUpscale?.has(imageIndex),
    // The same picture as the source image, drawn at the upscaled size.
    images: [imageSpec(`upscale-${counter}-${hash(jobid).toString(16)}`, size.width, size.height, { scene, theme, photo, strength }, account)],
  };
  store.admit(job);
  return json(200, renderJob(job, base, now.getTime(), false));
}

/** The account a generation runs on: the request's, its first reference's, or the first linked
 * account of a region the model allows with free capacity (the default account when all are full). */
function pickAccount(store, body, ref, spec, now) {
  if (given(body.account)) return body.account;
  if (ref) return ref.account;
  const accounts = [...store.state.accounts.values()].filter((a) => spec.regions.includes(a.region));
  const free = accounts.find((a) => !store.atCapacity(body, a.account, now));
  return (free ?? accounts[0])?.account ?? DEFAULT_ACCOUNT;
}

/** Create a generation job: up to 4 pictures drawn from the prompt, or from a reference picture. */
export function createGenerate(store, body, req, base) {
  const message = validateGenerate(body);
  if (message) return error(400, message);
  const ref = given(body.imageRef_1) ? findPicture(store, body.imageRef_1) : null;
  const named = given(body.account) ? body.account : ref?.account;
  if (named !== undefined && !store.state.accounts.has(named)) return unknownAccount(named);
  const verdict = applyModel(body, named === undefined ? undefined : splitAccount(named).region);
  if (verdict.error) return error(400, verdict.error);
  const { model, spec, resolution, ratio } = verdict;

  const now = new Date();
  const account = pickAccount(store, body, ref, spec, now.getTime());
  const full = store.atCapacity(body, account, now.getTime());
  if (full) return full;
  if (!charge(store.state.accounts.get(account), spec.credits)) return error(412, NOT_ENOUGH_CREDITS);
  const counter = store.nextCounter();
  const jobid = jobId(now, counter, 'i', account);
  const delay = store.delayFor(req, counter);

  const echo = {};
  if (given(body.prompt)) echo.prompt = body.prompt;
  Object.assign(echo, { model, ratio, resolution, inputMode: 'generate' });
  const refs = [];
  for (let n = 1; given(body[`imageRef_${n}`]); n++) refs.push((echo[`imageRef_${n}`] = body[`imageRef_${n}`]));
  if (given(body.imageStrength)) echo.imageStrength = body.imageStrength;
  const request = { ...echo };
  for (const f of ['account', 'replyUrl', 'replyRef', 'maxJobs']) if (given(body[f])) request[f] = body[f];

  const markers = promptMarkers(body.prompt ?? '');
  // `auto` follows the reference picture's shape, else it is square.
  const shape = ratio !== 'auto' ? ratio : ref ? nearestRatio(ref.width, ref.height) : '1:1';
  const { width, height } = pictureSize(shape, resolution);
  const strength = body.imageStrength ?? 0.5;
  const derived = ref?.photo !== undefined ? { photo: ref.photo, strength } : {};
  const job = {
    jobid, type: 'image', model, request, echo, account, cost: spec.credits,
    createdAt: now.getTime(), completeAt: now.getTime() + delay,
    fails: markers.fail, failUpscale: markers.failUpscale,
    images: generationImages(`gen-${counter}-${hash(jobid).toString(16)}`, markers.clean || refs.join('|'), store.state.config.seed,
      width, height, markers.images, account, derived),
  };
  store.admit(job);
  return json(200, renderJob(job, base, now.getTime(), false));
}

/** GET /images/{jobid}. */
export function getJob(store, jobid, base) {
  const job = store.state.jobs.get(jobid);
  if (!job) return error(404, 'Job not found');
  if (job.expired) return error(410, 'Job expired');
  return json(200, renderJob(job, base));
}
