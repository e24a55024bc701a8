// The API under /v1/dreamina: authorisation, then one route per method and path.

import { createUpscale, createGenerate, getJob, deleteJob } from './jobs.mjs';
import { error } from './reply.mjs';

export const API_PREFIX = '/v1/dreamina';

/** Decode the jobid segment of a job route: string, null (bad encoding), or undefined (no job route). */
export function jobidOf(rawPath) {
  const m = /^\/v1\/dreamina\/(?:images|scheduler)\/([^/]+)$/.exec(rawPath);
  if (!m || (rawPath.startsWith(`${API_PREFIX}/images/`) && m[1] === 'upscale')) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/** Route an API request. `ctx`: {req, method, rawPath, base, bytes, jobid}. */
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
  if (ctx.jobid === undefined) return error(404, 'Not found');
  if (ctx.jobid === null) return error(400, 'Malformed jobid in path');
  if (rest.startsWith('/images/') && method === 'GET') return getJob(store, ctx.jobid, base);
  if (rest.startsWith('/scheduler/') && method === 'DELETE') return deleteJob(store, ctx.jobid);
  return error(405, 'Method not allowed');
}
