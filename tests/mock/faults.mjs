// Fault rules (README "Fault rules"): which rule matches a request, and how it is applied
// (an injected answer, a delay, a reset, a hang, a truncated or HTML reply).

import { isObject } from './rules.mjs';
import { json, error, materialise, send, padReply } from './reply.mjs';

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
export function normaliseFault(rule) {
  if (!isObject(rule)) throw new TypeError('a fault rule must be an object');
  const r = { ...rule };
  r.times = r.times === undefined ? 1 : Number(r.times);
  if (!Number.isFinite(r.times) && r.times !== Infinity) r.times = 1;
  return r;
}

/** Take the first matching rule off the queue (decrementing `times`), or null. */
export function takeFault(faults, method, rawPath) {
  const i = faults.findIndex((r) => faultMatches(r, method, rawPath));
  if (i < 0) return null;
  const rule = faults[i];
  if (rule.times > 0) rule.times -= 1;
  if (rule.times === 0) faults.splice(i, 1);
  return rule;
}

/** What the request log notes for a request a rule caught. */
export const faultLabel = (rule) => rule.action ?? (rule.passThrough ? 'passThrough' : rule.status ?? 'delay');

const DEFAULT_HTML = (status) =>
  `<!DOCTYPE html>\n<html><head><title>${status} Bad Gateway</title></head>` +
  `<body><center><h1>${status} Bad Gateway</h1></center><hr><center>mock-proxy</center></body></html>\n`;

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

/** Kill the connection (RST when possible). */
function kill(socket) {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** Apply one fault rule; `real()` runs the normal handler and returns its reply. */
export async function applyFault(rule, req, res, real) {
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
