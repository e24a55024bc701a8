// Your own pictures: POST /assets/{account} (an upload, raw bytes), GET /assets/{account} (the
// account's generation history), and what an `imageRef_N` assetRef points to.

import { json, error } from './reply.mjs';
import { unknownAccount } from './accounts.mjs';
import { assetRef, imageUri, renderImage, statusOf, hash } from './job.mjs';
import { sniffType, pictureDims } from './sniff.mjs';
import { decodePng } from './png-decode.mjs';
import { decodeJpeg } from './jpeg-decode.mjs';

/** Largest upload (10 MB, as the provider). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Is this request an upload (whose body may be up to MAX_UPLOAD_BYTES)? */
export const isUpload = (method, rest) => method === 'POST' && rest.startsWith('/assets/');

/** POST /assets/{account}: the checks in the provider's order, then the asset. */
export function uploadAsset(store, account, contentType, bytes, tooLarge) {
  const acct = store.state.accounts.get(account);
  if (!acct) return unknownAccount(account);
  const type = String(contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!TYPES.includes(type)) return error(400, `Content-Type (${type || 'none'}) not supported. Valid values: ${TYPES.join(', ')}`);
  if (tooLarge) return error(400, `Image is too large: at most ${MAX_UPLOAD_BYTES} bytes (10 MB)`);
  if (bytes.length === 0) return error(400, 'Image is empty');
  const dims = sniffType(bytes) === type ? pictureDims(bytes, type) : null;
  if (!dims || !dims.width || !dims.height) return error(400, `Image is not a valid ${type} picture`);
  const id = `up${store.nextCounter()}`;
  const uri = `tos-mock-i-upload/${id}-${hash(bytes.toString('latin1', 0, 4096)).toString(16)}`;
  const upload = { id, account, type, bytes, ...dims, size: bytes.length, uri, assetRef: assetRef(account, dims.width, dims.height, bytes.length, uri), createdAt: Date.now() };
  store.state.uploads.set(id, upload);
  return json(200, { assetRef: upload.assetRef, account, width: dims.width, height: dims.height, size: bytes.length });
}

/** The decoded pixels of an upload ({width, height, rgb}), or null when the mock cannot decode
 * it (WebP; PNGs other than 8-bit non-interlaced; JPEGs other than baseline). Cached on the upload. */
export function uploadPixels(store, id) {
  const up = store.state.uploads.get(id);
  if (!up) return null;
  if (up.pixels === undefined) {
    try {
      up.pixels = up.type === 'image/png' ? decodePng(up.bytes) : up.type === 'image/jpeg' ? decodeJpeg(up.bytes) : null;
    } catch {
      up.pixels = null;
    }
  }
  return up.pixels;
}

const REF = /^((?:US|CA):.+?)-image:w(\d+):h(\d+):s(\d+)-uri:(.+)$/;

/** What an imageRef names: `{account, width, height, photo?}` of an upload or of a generated
 * picture (which passes on the photo it was made from), or null for a string of another shape. */
export function findPicture(store, ref) {
  const m = REF.exec(String(ref));
  if (!m) return null;
  const [, account, w, h, , uri] = m;
  for (const up of store.state.uploads.values()) {
    if (up.uri === uri) return { account, width: up.width, height: up.height, photo: uploadPixels(store, up.id) ? up.id : undefined };
  }
  for (const job of store.state.jobs.values()) {
    const img = job.images?.find((i) => imageUri(i) === uri);
    if (img) return { account, width: img.width, height: img.height, photo: img.photo };
  }
  return { account, width: Number(w), height: Number(h) };
}

/** GET /assets/{account}?count=1-100&offset=: the account's pictures, newest first. */
export function listAssets(store, account, query, base) {
  if (!store.state.accounts.has(account)) return unknownAccount(account);
  const q = new URLSearchParams(query);
  const count = q.has('count') ? Number(q.get('count')) : 20;
  const offset = q.has('offset') ? Number(q.get('offset')) : 0;
  if (!Number.isInteger(count) || count < 1 || count > 100) return error(400, 'Parameter count must be an integer 1-100');
  if (!Number.isInteger(offset) || offset < 0) return error(400, 'Parameter offset must be an integer >= 0');
  const now = Date.now();
  const all = [];
  for (const job of store.state.jobs.values()) {
    if (job.account !== account || job.expired || statusOf(job, now) !== 'completed') continue;
    const at = job.seeded ? job.updatedAt : job.completeAt;
    for (const img of job.images) {
      const shown = renderImage(img, base);
      all.push({
        assetId: shown.assetId, historyRecordId: String(hash(job.jobid)), itemId: shown.itemId, type: 'image',
        coverUrl: shown.imageUrl, description: job.request.prompt ?? '', assetRef: shown.assetRef, imageUrl: shown.imageUrl,
        width: shown.width, height: shown.height, format: shown.format, createdAt: new Date(at).toISOString(),
      });
    }
  }
  all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const page = all.slice(offset, offset + count);
  return json(200, { assets: page, hasMore: offset + count < all.length, nextOffset: offset + page.length, account });
}
