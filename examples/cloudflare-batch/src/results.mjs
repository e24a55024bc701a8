// Pictures in R2 (binding RESULTS): a completed item's images downloaded from the provider's
// imageUrl (signed links that expire) and kept under `batch/index/n` with their content type;
// served back by the Worker, removed with their batch.
import * as D from './decide.mjs';

const DOWNLOAD_TIMEOUT_MS = 120_000;

/** A failed download try: `permanent` when trying again cannot help (too large, link refused). */
function failure(kind, message, extra = {}) {
  return Object.assign(new Error(message), { kind, ...extra });
}

/** A response body with at most `max` bytes, as R2 wants it (a known length). */
async function cappedBody(res, max) {
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared)) {
    const len = Number(declared);
    if (len > max) throw failure('too_large', `the picture is ${len} bytes, over MAX_IMAGE_BYTES (${max})`, { permanent: true });
    return res.body.pipeThrough(new FixedLengthStream(len));
  }
  // No length given: read it, counting, and stop past the cap.
  const chunks = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw failure('too_large', `the picture is over MAX_IMAGE_BYTES (${max})`, { permanent: true });
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

/** Downloads one image and writes it to the bucket. Returns {key, bytes, contentType}. */
async function storeOne(bucket, { batch, index, jobid }, image, n, maxBytes) {
  let res;
  try {
    res = await fetch(image.imageUrl, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (e) {
    throw failure(e?.name === 'TimeoutError' ? 'timeout' : 'network', `download failed: ${e?.message ?? e}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    // A refused or expired link (4xx) will not come back; 408, 429 and 5xx may.
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw failure('download', `GET imageUrl answered ${res.status}`, { status: res.status, permanent });
  }
  const key = D.objectKey(batch, index, n);
  const contentType = res.headers.get('content-type') || 'application/octet-stream';
  const obj = await bucket.put(key, await cappedBody(res, maxBytes), {
    httpMetadata: { contentType },
    customMetadata: { jobid: jobid ?? '', width: String(image.width ?? ''), height: String(image.height ?? '') },
  });
  return { key, bytes: obj.size, contentType };
}

/** One try at storing every image of a task ({batch, index, jobid, images}); throws a failure. */
export async function storeImages(bucket, task, maxBytes) {
  const objects = [];
  for (const [n, image] of task.images.entries()) objects.push(await storeOne(bucket, task, image, n, maxBytes));
  return objects;
}

/** Serves a stored picture, or null when the bucket has no such object. */
export async function servePicture(bucket, key) {
  const obj = await bucket.get(key);
  if (!obj) return null;
  const headers = new Headers({ 'Cache-Control': 'private, max-age=3600', ETag: obj.httpEtag, 'Content-Length': String(obj.size) });
  obj.writeHttpMetadata(headers);
  return new Response(obj.body, { headers });
}

/** Removes every object of a batch (its prefix), 1,000 at a time. Returns how many. */
export async function purgeBatch(bucket, batch) {
  let removed = 0;
  for (;;) {
    const page = await bucket.list({ prefix: D.batchPrefix(batch), limit: 1000 });
    if (!page.objects.length) return removed;
    await bucket.delete(page.objects.map((o) => o.key));
    removed += page.objects.length;
  }
}
