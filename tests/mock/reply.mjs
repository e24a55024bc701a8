// HTTP plumbing shared by every route: reply objects, reading a body, writing a reply.
// A handler returns a reply `{status, json | body, headers, length?}` and never touches `res`.

/** Largest JSON body the API routes read (uploads have their own limit, see assets.mjs). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A JSON reply. */
export const json = (status, obj, headers = {}) => ({ status, json: obj, headers });
/** The provider's error body: `{"error": message, "code": status}`. */
export const error = (status, message, headers = {}) => json(status, { error: message, code: status }, headers);

/** Read the request body as a Buffer, up to `limit` bytes (then `tooLarge`, and the rest is dropped). */
export function readBody(req, limit = MAX_BODY_BYTES) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (tooLarge) => {
      if (done) return;
      done = true;
      resolve({ bytes: Buffer.concat(chunks), tooLarge });
    };
    req.on('data', (c) => {
      if (done) return;
      size += c.length;
      if (size > limit) return finish(true);
      chunks.push(c);
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(false));
    req.on('close', () => finish(false));
  });
}

/** Serialise a reply into { status, headers, body Buffer, length }. */
export function materialise(reply) {
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
export function send(res, reply) {
  if (res.destroyed || res.writableEnded) return;
  const m = materialise(reply);
  res.writeHead(m.status, { ...m.headers, 'Content-Length': m.length });
  res.end(m.body);
}

/** Pad a reply's body with spaces up to `size` bytes (JSON stays valid). */
export function padReply(reply, size) {
  if (!Number.isInteger(size)) return reply;
  const m = materialise(reply);
  const body = m.body.length >= size ? m.body : Buffer.concat([m.body, Buffer.alloc(size - m.body.length, 0x20)]);
  return { status: m.status, headers: m.headers, body };
}
