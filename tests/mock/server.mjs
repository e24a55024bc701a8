// Local mock of the Dreamina image-upscale API of useapi.net (contract: /work/shared/dreamina-api.md).
//
// A real HTTP server on node:http, zero dependencies. Use in-process:
//   const mock = await startMock({ completeAfterMs: 200 }); ...; await mock.close();
// or as a CLI:
//   node tests/mock/server.mjs --port 0 --port-file /tmp/port [--static www:/]
// See README.md next to this file for the options and the control API (/__mock/...).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodePng, prng, MAX_SIDE } from './png.mjs';
import { encodePicture, themeFor, THEMES, PICTURE_MAX_SIDE } from './picture.mjs';
import {
  RESOLUTIONS, isObject, given, validateUpscale, validateGenerate, promptMarkers, scaleToLongSide,
  generationSize, delayRange, checkConfig,
} from './rules.mjs';

export {
  validateUpscale, validateGenerate, promptMarkers, scaleToLongSide, generationSize, delayRange,
  KNOWN_MODELS, RATIOS, GEN_RESOLUTIONS, MAX_PROMPT,
} from './rules.mjs';

export const API_PREFIX = '/v1/dreamina';
export const DEFAULT_TOKENS = ['user:12345-sandbox'];
export const DEFAULT_COMPLETE_AFTER_MS = 1500;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Jobs an account runs at once unless configured (`capacity`) or overridden by a request's maxJobs. */
export const DEFAULT_CAPACITY = 10;
/** The account that runs jobs whose request names none (it is in every job id's user part). */
export const DEFAULT_ACCOUNT = 'user@example.com';
/** Text of the 429 a POST gets when the account runs its maxJobs jobs already. */
export const CAPACITY_ERROR = 'Dreamina: all accounts at capacity (maxJobs jobs running), retry later';

const userSuffix = (account) => `-u12345-US:${account}:dreamina`;
const USER_SUFFIX = userSuffix(DEFAULT_ACCOUNT);
const SEED_CREATED = '2025-11-25T00:00:00.000Z';
const SEED_UPDATED = '2025-11-25T00:00:42.000Z';
const FAIL_ERROR = 'fail_code: 2043';
const FAIL_DETAILS = 'Upscale failed: the image could not be processed (mock failing source)';
const GEN_FAIL_DETAILS = 'Generation failed: the prompt could not be processed (mock [mock:fail] marker)';

/** Named ids of the seeded image-generation jobs. */
export const SEEDED = Object.freeze({
  square: `j1125000000000000001i${USER_SUFFIX}`,
  wide: `j1125000000000000002i${USER_SUFFIX}`,
  weird: 'j1125000000000000003i-u12345-US:we/ird?#%x@example.com:dreamina',
  running: `j1125000000000000004i${USER_SUFFIX}`,
  failing: `j1125000000000000005i${USER_SUFFIX}`,
  expired: `j1125000000000000006i${USER_SUFFIX}`,
  /** Upscales of its image 2 fail (fail_code: 2043); images 0, 1 and 3 upscale normally. */
  partial: `j1125000000000000007i${USER_SUFFIX}`,
  /** A completed generation with only 2 images (a generation makes *up to* 4). */
  pair: `j1125000000000000008i${USER_SUFFIX}`,
});

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Mock-Complete-After-Ms',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Retry-After',
};

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

// ---------------------------------------------------------------------------------------
// Small helpers

/** A reply the router hands to send(): status + JSON (or raw body) + extra headers. */
const json = (status, obj, headers = {}) => ({ status, json: obj, headers });
const error = (status, message, headers = {}) => json(status, { error: message, code: status }, headers);

const pad = (n, len) => String(n).padStart(len, '0');

/** Job id `j` + MMDDHHmmss + ms + 6-digit counter + I (upscale) or i (generation) + user part (UTC clock). */
function jobId(date, counter, kind = 'I', account = DEFAULT_ACCOUNT) {
  const stamp = pad(date.getUTCMonth() + 1, 2) + pad(date.getUTCDate(), 2) + pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2) + pad(date.getUTCMilliseconds(), 3);
  return `j${stamp}${pad(counter % 1e6, 6)}${kind}${userSuffix(account)}`;
}

/** Small stable number from a string (FNV-1a), used as PNG seed / fake ids. */
function hash(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 0x01000193);
  return h >>> 0;
}


/** Plain image descriptor; its URLs are rendered per request (see renderImage). `picture`:
 * `{scene, theme}` of the landscape it shows (an upscale keeps its source image's). */
function imageSpec(name, width, height, picture) {
  const seed = hash(name) % 100000;
  return { name, width, height, seed, ...picture, assetId: String(7e15 + hash(name + 'a')), itemId: String(7e15 + hash(name + 'i')) };
}


/** The pictures of a generation: `count` scenes drawn from the prompt (markers removed) and the seed. */
function generationImages(prefix, prompt, seed, width, height, count) {
  const clean = promptMarkers(prompt).clean;
  return Array.from({ length: count }, (_, i) => {
    const scene = hash(`${clean}|${i}|${seed}`);
    return imageSpec(`${prefix}-${i}`, width, height, { scene, theme: themeFor(clean, scene) });
  });
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

// ---------------------------------------------------------------------------------------
// Jobs

/** The seeded generation jobs (fresh copies, so deleting one and resetting restores it). */
function seedJobs() {
  const gen = (jobid, name, w, h, extra = {}) => ({
    jobid, type: 'image', model: 'seedream-4.0', seeded: true, account: DEFAULT_ACCOUNT,
    status: 'completed', createdAt: Date.parse(SEED_CREATED), updatedAt: Date.parse(SEED_UPDATED),
    request: { prompt: `mock ${name} picture`, model: 'seedream-4.0', ratio: w === h ? '1:1' : '4:3', resolution: '1k' },
    images: generationImages(`gen-${name}`, `mock ${name} picture`, 0, w, h, 4),
    failUpscale: new Set(),
    ...extra,
  });
  const jobs = [
    gen(SEEDED.square, 'square', 1024, 1024),
    gen(SEEDED.wide, 'wide', 1024, 768),
    gen(SEEDED.weird, 'weird', 1024, 1024),
    gen(SEEDED.running, 'running', 1024, 1024, { status: 'created', images: [], updatedAt: null }),
    gen(SEEDED.failing, 'failing', 1024, 1024, { failUpscales: true }),
    gen(SEEDED.expired, 'expired', 1024, 1024, { expired: true }),
    gen(SEEDED.partial, 'partial', 1024, 1024, { failUpscale: new Set([2]) }),
    gen(SEEDED.pair, 'pair', 1024, 768, { images: generationImages('gen-pair', 'mock pair picture', 0, 1024, 768, 2) }),
  ];
  return new Map(jobs.map((j) => [j.jobid, j]));
}

/** Status of a job at time `now` (created jobs run on the clock, no timers; seeded ones are fixed). */
function statusOf(job, now) {
  if (job.seeded) return job.status;
  if (now < job.completeAt) return 'created';
  return job.fails ? 'failed' : 'completed';
}

/** The job object as the API returns it. `withUpdated: false` for the POST reply. */
function renderJob(job, base, now = Date.now(), withUpdated = true) {
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

// ---------------------------------------------------------------------------------------
// Fault rules

/** Does a fault rule match this request? `path`: substring, or RegExp (object or source string). */
function faultMatches(rule, method, rawPath) {
  if (rule.method && String(rule.method).toUpperCase() !== method) return false;
  if (rule.path === undefined || rule.path === null || rule.path === '') return true;
  if (rule.path instanceof RegExp) return rule.path.test(rawPath);
  const p = String(rule.path);
  if (rawPath.includes(p)) return true;
  try {
    return new RegExp(p).test(rawPath);
  } catch {
    return false;
  }
}

/** Normalise a rule as given (JSON or in-process): copy, default times = 1 (-1 = forever). */
function normaliseFault(rule) {
  if (!isObject(rule)) throw new TypeError('a fault rule must be an object');
  const r = { ...rule };
  r.times = r.times === undefined ? 1 : Number(r.times);
  if (!Number.isFinite(r.times) && r.times !== Infinity) r.times = 1;
  return r;
}

/** Take the first matching rule off the queue (decrementing `times`), or null. */
function takeFault(faults, method, rawPath) {
  const i = faults.findIndex((r) => faultMatches(r, method, rawPath));
  if (i < 0) return null;
  const rule = faults[i];
  if (rule.times > 0) rule.times -= 1;
  if (rule.times === 0) faults.splice(i, 1);
  return rule;
}

const DEFAULT_HTML = (status) =>
  `<!DOCTYPE html>\n<html><head><title>${status} Bad Gateway</title></head>` +
  `<body><center><h1>${status} Bad Gateway</h1></center><hr><center>mock-proxy</center></body></html>\n`;

// ---------------------------------------------------------------------------------------
// The server

/**
 * Start the mock. Options:
 *   host ('127.0.0.1'), port (0 = any free port), tokens (accepted bearer tokens),
 *   completeAfterMs (1500), static ([{dir, prefix}]), faults (initial rules), quiet.
 * Returns { url, baseUrl, port, server, state, close(), addFault(), clearFaults(), reset(),
 *           requests(), jobsCreated(), webhooks(), setConfig() }.
 */
export async function startMock(options = {}) {
  const initialConfig = checkConfig({
    completeAfterMs: DEFAULT_COMPLETE_AFTER_MS,
    tokens: [...DEFAULT_TOKENS],
    capacity: DEFAULT_CAPACITY,
    capacityRetryAfterSec: null,
    seed: 0,
  }, {
    completeAfterMs: options.completeAfterMs,
    tokens: options.tokens,
    capacity: options.capacity,
    capacityRetryAfterSec: options.capacityRetryAfterSec,
    seed: options.seed,
  });
  const statics = (options.static ?? []).map(normaliseStatic);
  const state = {
    config: { ...initialConfig },
    jobs: seedJobs(),
    requests: [],
    faults: [],
    webhooks: [],
    jobsCreated: 0,
    counter: 0,
    maxRunning: 0,
    active: new Set(), // created jobs that may still be running (pruned as they finish)
  };
  const timers = new Set(); // webhook + delay timers, cleared on reset/close
  const sockets = new Set();
  let url = ''; // set once listening

  /** setTimeout that is unref'd and tracked. */
  function later(ms, fn) {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, Math.max(0, ms));
    t.unref();
    timers.add(t);
    return t;
  }

  const addFault = (rule) => {
    for (const r of Array.isArray(rule) ? rule : [rule]) state.faults.push(normaliseFault(r));
    return state.faults.length;
  };
  const clearFaults = () => void (state.faults.length = 0);
  /** Change the config (throws a TypeError naming a bad field); returns the new config. */
  const setConfig = (cfg = {}) => {
    state.config = checkConfig(state.config, cfg);
    return { ...state.config };
  };
  function reset() {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    state.config = { ...initialConfig, tokens: [...initialConfig.tokens] };
    state.jobs = seedJobs();
    state.requests.length = 0;
    state.faults.length = 0;
    state.webhooks.length = 0;
    state.jobsCreated = 0;
    state.counter = 0;
    state.maxRunning = 0;
    state.active.clear();
  }

  /** Jobs running now (status "created"), of one account or of all. */
  function running(account, now = Date.now()) {
    let n = 0;
    for (const job of state.active) {
      if (state.jobs.get(job.jobid) !== job || statusOf(job, now) !== 'created') {
        state.active.delete(job);
        continue;
      }
      if (account === undefined || job.account === account) n += 1;
    }
    return n;
  }

  /** The 429 for a POST when the account already runs its limit of jobs (request maxJobs first), or null. */
  function atCapacity(body, account, now) {
    const limit = given(body.maxJobs) ? body.maxJobs : state.config.capacity;
    if (limit === null || running(account, now) < limit) return null;
    const after = state.config.capacityRetryAfterSec;
    return error(429, CAPACITY_ERROR, after === null ? {} : { 'Retry-After': String(after) });
  }

  /** This job's completion delay: the request header, else the config (a range is drawn per job). */
  function delayFor(req, counter) {
    const header = Number.parseInt(req.headers['x-mock-complete-after-ms'] ?? '', 10);
    if (Number.isFinite(header) && header >= 0) return header;
    const { min, max } = delayRange(state.config.completeAfterMs);
    if (min === max) return min;
    return min + Math.floor(prng(hash(`${state.config.seed}|${counter}`))() * (max - min + 1));
  }

  /** Register a created job: count it, track it as running, record the most ever running. */
  function admit(job) {
    state.jobs.set(job.jobid, job);
    state.jobsCreated += 1;
    state.active.add(job);
    state.maxRunning = Math.max(state.maxRunning, running(undefined, job.createdAt));
    if (job.request.replyUrl) scheduleWebhook(job);
  }
  for (const r of options.faults ?? []) addFault(r);

  // ---- API handlers (each returns a reply object; they never write to `res`) ----

  /** Create an upscale job (after auth + validation). */
  function createUpscale(body, req, base) {
    const message = validateUpscale(body);
    if (message) return error(400, message);
    const source = state.jobs.get(body.jobid);
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
    const full = atCapacity(body, account, now.getTime());
    if (full) return full;
    state.counter += 1;
    const jobid = jobId(now, state.counter, 'I', account);
    const delay = delayFor(req, state.counter);
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
      images: [imageSpec(`upscale-${state.counter}-${hash(jobid).toString(16)}`, size.width, size.height, { scene: src.scene, theme: src.theme })],
    };
    admit(job);
    return json(200, renderJob(job, base, now.getTime(), false));
  }

  /** Create a generation job (after auth + validation): up to 4 pictures drawn from the prompt. */
  function createGenerate(body, req, base) {
    const message = validateGenerate(body);
    if (message) return error(400, message);
    const account = body.account ?? DEFAULT_ACCOUNT;
    const now = new Date();
    const full = atCapacity(body, account, now.getTime());
    if (full) return full;
    state.counter += 1;
    const jobid = jobId(now, state.counter, 'i', account);
    const delay = delayFor(req, state.counter);
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
      images: generationImages(`gen-${state.counter}-${hash(jobid).toString(16)}`, drawnFrom, state.config.seed, width, height, markers.images),
    };
    admit(job);
    return json(200, renderJob(job, base, now.getTime(), false));
  }

  /** POST the finished job to its replyUrl once; record the attempt in state.webhooks. */
  function scheduleWebhook(job) {
    job.webhookTimer = later(job.completeAt - Date.now(), async () => {
      if (state.jobs.get(job.jobid) !== job) return; // deleted or reset meanwhile
      const payload = { ...renderJob(job, url), replyRef: job.request.replyRef };
      const record = { jobid: job.jobid, url: job.request.replyUrl, time: Date.now(), body: payload, status: null, error: null };
      state.webhooks.push(record);
      try {
        const r = await fetch(job.request.replyUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(5000),
        });
        record.status = r.status;
        await r.arrayBuffer().catch(() => {});
      } catch (e) {
        record.error = String(e?.message ?? e);
      }
    });
  }

  function getJob(jobid, base) {
    const job = state.jobs.get(jobid);
    if (!job) return error(404, 'Job not found');
    if (job.expired) return error(410, 'Job expired');
    return json(200, renderJob(job, base));
  }

  function deleteJob(jobid) {
    const job = state.jobs.get(jobid);
    if (!job) return error(404, 'Job not found');
    if (job.webhookTimer) {
      clearTimeout(job.webhookTimer);
      timers.delete(job.webhookTimer);
    }
    state.jobs.delete(jobid);
    return json(200, { jobid, status: 'deleted' });
  }

  /** Route an API request (raw path under /v1/dreamina). `ctx.jobid` is set for job routes. */
  function handleApi(ctx) {
    const { req, method, rawPath, base } = ctx;
    if (!authorised(req.headers.authorization)) return error(401, 'Unauthorized');
    const rest = rawPath.slice(API_PREFIX.length);
    const create = { '/images/upscale': createUpscale, '/images': createGenerate }[rest];
    if (create && method === 'POST') {
      let body;
      try {
        body = JSON.parse(ctx.body);
      } catch {
        return error(400, 'Invalid JSON body');
      }
      return create(body, req, base);
    }
    if (ctx.jobid === undefined) return error(404, 'Not found');
    if (ctx.jobid === null) return error(400, 'Malformed jobid in path');
    if (rest.startsWith('/images/') && method === 'GET') return getJob(ctx.jobid, base);
    if (rest.startsWith('/scheduler/') && method === 'DELETE') return deleteJob(ctx.jobid);
    return error(405, 'Method not allowed');
  }

  function authorised(header) {
    const m = /^Bearer (.+)$/i.exec(header ?? '');
    return !!m && state.config.tokens.includes(m[1]);
  }

  // ---- control API (/__mock/...) ----

  function handleControl(method, rawPath, bodyText) {
    const route = `${method} ${rawPath.replace(/\/+$/, '')}`;
    const parse = () => {
      try {
        return { ok: true, value: bodyText.trim() === '' ? {} : JSON.parse(bodyText) };
      } catch {
        return { ok: false };
      }
    };
    switch (route) {
      case 'POST /__mock/faults': {
        const b = parse();
        if (!b.ok) return error(400, 'Invalid JSON body');
        try {
          return json(200, { faults: addFault(b.value) });
        } catch (e) {
          return error(400, e.message);
        }
      }
      case 'DELETE /__mock/faults':
        clearFaults();
        return json(200, { faults: 0 });
      case 'GET /__mock/faults':
        return json(200, state.faults);
      case 'GET /__mock/requests':
        return json(200, state.requests);
      case 'GET /__mock/state':
        return json(200, {
          jobsCreated: state.jobsCreated, maxRunning: state.maxRunning, running: running(),
          requests: state.requests.length, faults: state.faults.length, webhooks: state.webhooks, config: state.config,
        });
      case 'POST /__mock/reset':
        reset();
        return json(200, { ok: true });
      case 'POST /__mock/config': {
        const b = parse();
        if (!b.ok || !isObject(b.value)) return error(400, 'Invalid JSON body');
        try {
          return json(200, setConfig(b.value));
        } catch (e) {
          return error(400, e.message);
        }
      }
      default:
        return error(404, 'Unknown control route');
    }
  }

  // ---- files: generated PNGs (no auth) and static directories ----

  function handlePng(method, query) {
    const q = new URLSearchParams(query);
    const w = Number(q.get('w'));
    const h = Number(q.get('h'));
    const seed = Number(q.get('seed') ?? 0);
    const scene = q.get('scene');
    const max = scene === null ? MAX_SIDE : PICTURE_MAX_SIDE;
    const okSide = (v) => Number.isInteger(v) && v >= 1 && v <= max;
    if (!okSide(w) || !okSide(h)) return error(400, `Query w and h must be integers 1-${max}`);
    const theme = THEMES.includes(q.get('theme')) ? q.get('theme') : 'day';
    const png = scene === null ? encodePng(w, h, Number.isFinite(seed) ? seed : 0) : encodePicture(w, h, Number(scene) >>> 0, theme);
    return { status: 200, body: method === 'HEAD' ? Buffer.alloc(0) : png, length: png.length, headers: { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' } };
  }

  function handleStatic(method, rawPath) {
    for (const { dir, prefix } of statics) {
      const bare = prefix.slice(0, -1); // prefix without its trailing '/'
      if (rawPath === bare && bare !== '') return { status: 301, headers: { Location: prefix }, body: Buffer.alloc(0) };
      if (!rawPath.startsWith(prefix)) continue;
      if (method !== 'GET' && method !== 'HEAD') return error(405, 'Method not allowed');
      let rel;
      try {
        rel = decodeURIComponent(rawPath.slice(prefix.length));
      } catch {
        return error(400, 'Bad path');
      }
      if (rel.includes('\0')) return error(400, 'Bad path');
      let file = path.resolve(dir, '.' + path.posix.sep + rel);
      const inside = path.relative(dir, file);
      if (inside.startsWith('..') || path.isAbsolute(inside)) return error(403, 'Forbidden');
      try {
        if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
        const body = fs.readFileSync(file);
        const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
        return { status: 200, body: method === 'HEAD' ? Buffer.alloc(0) : body, length: body.length, headers: { 'Content-Type': type, 'Cache-Control': 'no-store' } };
      } catch {
        continue; // not in this directory: try the next one
      }
    }
    return null;
  }

  // ---- request plumbing ----

  /** Read the request body as text, up to MAX_BODY_BYTES (then `tooLarge`). */
  function readBody(req) {
    return new Promise((resolve) => {
      const chunks = [];
      let size = 0;
      let done = false;
      const finish = (tooLarge) => {
        if (done) return;
        done = true;
        resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge });
      };
      req.on('data', (c) => {
        if (done) return;
        size += c.length;
        if (size > MAX_BODY_BYTES) return finish(true);
        chunks.push(c);
      });
      req.on('end', () => finish(false));
      req.on('error', () => finish(false));
      req.on('close', () => finish(false));
    });
  }

  /** Serialise a reply into { status, headers, body Buffer }. */
  function materialise(reply) {
    const headers = { ...reply.headers };
    let body = reply.body ?? Buffer.alloc(0);
    if (reply.json !== undefined) {
      body = Buffer.from(JSON.stringify(reply.json));
      headers['Content-Type'] ??= 'application/json; charset=utf-8';
    } else if (typeof body === 'string') {
      body = Buffer.from(body);
    }
    return { status: reply.status, headers, body, length: reply.length ?? body.length };
  }

  /** Write a reply (no-op if the client already went away). */
  function send(res, reply) {
    if (res.destroyed || res.writableEnded) return;
    const m = materialise(reply);
    res.writeHead(m.status, { ...m.headers, 'Content-Length': m.length });
    res.end(m.body);
  }

  /** Answer from a fault rule that replaces the real handler. */
  function faultReply(rule) {
    const headers = { ...(rule.headers ?? {}) };
    let reply;
    if (rule.action === 'html') {
      const status = rule.status ?? 502;
      reply = { status, body: rule.body ?? DEFAULT_HTML(status), headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers } };
    } else if (rule.json !== undefined) {
      reply = json(rule.status ?? 200, rule.json, headers);
    } else if (rule.body !== undefined) {
      reply = { status: rule.status ?? 500, body: String(rule.body), headers };
    } else {
      reply = error(rule.status ?? 500, `Injected ${rule.status ?? 500}`, headers);
    }
    return padReply(reply, rule.bodySize);
  }

  /** Pad a reply's body with spaces up to `size` bytes (JSON stays valid). */
  function padReply(reply, size) {
    if (!Number.isInteger(size)) return reply;
    const m = materialise(reply);
    const body = m.body.length >= size ? m.body : Buffer.concat([m.body, Buffer.alloc(size - m.body.length, 0x20)]);
    return { status: m.status, headers: m.headers, body };
  }

  /** Kill the connection (RST when possible). */
  function kill(socket) {
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  /** Apply one fault rule; `real()` runs the normal handler and returns its reply. */
  async function applyFault(rule, req, res, real) {
    const headers = rule.headers ?? {};
    switch (rule.action) {
      case 'reset-before':
        return kill(req.socket);
      case 'hang':
        return; // never answer; the socket is destroyed when the client gives up or on close()
      case 'reset-after':
        await real();
        return kill(req.socket);
      case 'truncate': {
        const reply = rule.json !== undefined || rule.body !== undefined ? faultReply(rule) : await real();
        const m = materialise(reply);
        if (res.destroyed) return;
        res.writeHead(rule.status ?? m.status, { ...m.headers, ...headers, 'Content-Length': m.body.length + 64 });
        res.write(m.body.subarray(0, Math.max(1, Math.floor(m.body.length / 2))));
        return setImmediate(() => req.socket.destroy());
      }
      case 'html':
        return send(res, faultReply(rule));
      default:
        break;
    }
    if (rule.passThrough || (rule.status === undefined && rule.json === undefined && rule.body === undefined)) {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      const reply = await real();
      return send(res, padReply(reply, rule.bodySize));
    }
    return send(res, faultReply(rule));
  }

  /** Decode the jobid segment of a job route: string, null (bad encoding), or undefined (no job route). */
  function jobidOf(rawPath) {
    const m = /^\/v1\/dreamina\/(?:images|scheduler)\/([^/]+)$/.exec(rawPath);
    if (!m || (rawPath.startsWith(`${API_PREFIX}/images/`) && m[1] === 'upscale')) return undefined;
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }

  async function onRequest(req, res) {
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    const method = (req.method ?? 'GET').toUpperCase();
    // Raw path: split at the first literal '?' only; an encoded %3F stays inside the segment.
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const base = req.headers.host ? `http://${req.headers.host}` : url;

    if (method === 'OPTIONS') return send(res, { status: 204, headers: { 'Access-Control-Max-Age': '600' } });

    const { text, tooLarge } = await readBody(req);
    if (tooLarge) res.setHeader('Connection', 'close');

    if (rawPath === '/__mock' || rawPath.startsWith('/__mock/')) {
      return send(res, tooLarge ? error(413, 'Request body too large') : handleControl(method, rawPath, text));
    }

    const isApi = rawPath === API_PREFIX || rawPath.startsWith(`${API_PREFIX}/`);
    const ctx = { req, method, rawPath, base, body: text, jobid: isApi ? jobidOf(rawPath) : undefined };
    if (isApi) {
      const entry = { method, path: rawPath, headers: { ...req.headers }, body: text, time: Date.now() };
      if (typeof ctx.jobid === 'string') entry.jobid = ctx.jobid;
      state.requests.push(entry);
    }
    if (tooLarge) return send(res, error(413, 'Request body too large'));

    const real = async () => {
      if (isApi) return handleApi(ctx);
      if (rawPath.startsWith('/files/') && rawPath.endsWith('.png') && (method === 'GET' || method === 'HEAD')) return handlePng(method, query);
      return handleStatic(method, rawPath) ?? error(404, 'Not found');
    };

    const rule = takeFault(state.faults, method, rawPath);
    if (!rule) return send(res, await real());
    if (isApi) state.requests.at(-1).fault = rule.action ?? (rule.passThrough ? 'passThrough' : rule.status ?? 'delay');
    if (rule.delayMs > 0) await new Promise((r) => later(rule.delayMs, r));
    if (closing) return;
    return applyFault(rule, req, res, real);
  }

  // ---- start listening ----

  let closing = false;
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    onRequest(req, res).catch((e) => {
      // Never crash: report a 500 if we still can.
      try {
        send(res, error(500, `Mock error: ${e?.message ?? e}`));
      } catch {
        req.socket.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = server.address().port;
  const host = options.host ?? '127.0.0.1';
  const urlHost = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  url = `http://${urlHost}:${port}`;

  /** Stop: clear timers, stop listening, destroy open sockets. */
  function close() {
    closing = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
    });
  }

  return {
    url,
    baseUrl: url + API_PREFIX,
    port,
    server,
    state,
    close,
    addFault,
    clearFaults,
    reset,
    setConfig,
    requests: () => [...state.requests],
    jobsCreated: () => state.jobsCreated,
    maxRunning: () => state.maxRunning,
    running: (account) => running(account),
    webhooks: () => [...state.webhooks],
  };
}

/** `{dir, prefix}` -> absolute dir, prefix starting and ending with '/'. */
function normaliseStatic(s) {
  const dir = path.resolve(typeof s === 'string' ? s : s.dir);
  let prefix = (typeof s === 'string' ? '/' : s.prefix) || '/';
  if (!prefix.startsWith('/')) prefix = '/' + prefix;
  if (!prefix.endsWith('/')) prefix += '/';
  return { dir, prefix };
}

// ---------------------------------------------------------------------------------------
// CLI

/** Parse CLI arguments into startMock options (+ portFile / pidFile). */
export function parseArgs(argv) {
  const opts = { port: 0, host: '127.0.0.1', static: [], tokens: [...DEFAULT_TOKENS] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port': opts.port = Number(value()); break;
      case '--host': opts.host = value(); break;
      case '--port-file': opts.portFile = value(); break;
      case '--pid-file': opts.pidFile = value(); break;
      case '--complete-after-ms': {
        const v = value();
        if (!delayRange(v)) throw new Error(`--complete-after-ms must be N or MIN-MAX, got ${v}`);
        opts.completeAfterMs = /^\d+$/.test(v) ? Number(v) : v;
        break;
      }
      case '--capacity': {
        const v = value();
        opts.capacity = v === 'none' ? null : Number(v);
        break;
      }
      case '--capacity-retry-after': opts.capacityRetryAfterSec = Number(value()); break;
      case '--seed': opts.seed = Number(value()); break;
      case '--token': opts.tokens.push(value()); break;
      case '--quiet': opts.quiet = true; break;
      case '--static': {
        // DIR[:PREFIX] — the prefix starts with '/', so a Windows "C:\dir" is not split.
        const v = value();
        const m = /^(.*?):(\/.*)$/.exec(v);
        opts.static.push(m && m[1] !== '' ? { dir: m[1], prefix: m[2] } : { dir: v, prefix: '/' });
        break;
      }
      default:
        throw new Error(`unknown argument: ${a}`);
    }
  }
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const mock = await startMock(opts);
  if (opts.portFile) fs.writeFileSync(opts.portFile, String(mock.port));
  if (opts.pidFile) fs.writeFileSync(opts.pidFile, String(process.pid));
  console.log(`mock Dreamina API listening on ${mock.baseUrl}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
