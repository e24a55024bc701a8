// The dev server part: static directories (`--static DIR[:/PREFIX]`), e.g. the demo page and pkg/.

import fs from 'node:fs';
import path from 'node:path';
import { error } from './reply.mjs';

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

/** `{dir, prefix}` (or a bare dir) -> absolute dir, prefix starting and ending with '/'. */
export function normaliseStatic(s) {
  const dir = path.resolve(typeof s === 'string' ? s : s.dir);
  let prefix = (typeof s === 'string' ? '/' : s.prefix) || '/';
  if (!prefix.startsWith('/')) prefix = '/' + prefix;
  if (!prefix.endsWith('/')) prefix += '/';
  return { dir, prefix };
}

/** The reply for a file under one of `statics`, or null when none holds it. */
export function serveStatic(statics, method, rawPath) {
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
