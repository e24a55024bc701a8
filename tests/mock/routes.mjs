// The API under /v1/dreamina: authorisation, then one route per method and path.

import { createUpscale, createGenerate, getJob } from './jobs.mjs';
import { listRunning, cancelJob } from './scheduler.mjs';
import { listAccounts, getAccount } from './accounts.mjs';
import { uploadAsset, listAssets } from './assets.mjs';
import { error } from './reply.mjs';

export const API_PREFIX = '/v1/dreamina';

/** The decoded last segment of `/v1/dreamina/<section>/<segment>`: string, null (bad encoding),
 * or undefined (not such a path). */
function segmentOf(rawPath, sections) {
  const m = new RegExp(`^${API_PREFIX}/(?:${sections})/([^/]+)$`).exec(rawPath);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** Decode the jobid segment of a job route: string, null (bad encoding), or undefined (no job route). */
export function jobidOf(rawPath) {
  if (rawPath === `${API_PREFIX}/images/upscale`) return undefined;
  return segmentOf(rawPath, 'images|scheduler');
}

/** Route an API request. `ctx`: {req, method, rawPath, query, base, bytes, tooLarge, jobid}. */
export function handleApi(store, ctx) {
  const { req, method, rawPath, base } = ctx;
  if (!store.authorised(req.headers.authorization)) return error(401, 'Unauthorized');
  const rest = rawPath.slice(API_PREFIX.length);
  const create = { '/images/upscale': createUpscale, '/images': createGenerate }[rest];
  if (create && method === 'POST') {
    let body;
    try {
      body = JSON.parse(ctx.bytes.toString('utf8'));
    } catch {
      return error(400, 'Invalid JSON body');
    }
    return create(store, body, req, base);
  }
  if (rest === '/scheduler' && method === 'GET') return listRunning(store);
  if (rest === '/accounts' && method === 'GET') return listAccounts(store);
  const named = segmentOf(rawPath, 'accounts|assets');
  if (named === null) return error(400, 'Malformed account in path');
  if (named !== undefined) {
    if (rest.startsWith('/accounts/') && method === 'GET') return getAccount(store, named);
    if (rest.startsWith('/assets/') && method === 'POST') return uploadAsset(store, named, req.headers['content-type'], ctx.bytes, ctx.tooLarge);
    if (rest.startsWith('/assets/') && method === 'GET') return listAssets(store, named, ctx.query, base);
    return error(405, 'Method not allowed');
  }
  if (ctx.jobid === undefined) return error(404, 'Not found');
  if (ctx.jobid === null) return error(400, 'Malformed jobid in path');
  if (rest.startsWith('/images/') && method === 'GET') return getJob(store, ctx.jobid, base);
  if (rest.startsWith('/scheduler/') && method === 'DELETE') return cancelJob(store, ctx.jobid);
  return error(405, 'Method not allowed');
}
