// The pictures a job's imageUrl points to (/files/NAME.png?w=&h=&seed=[&scene=&theme=][&photo=&strength=]),
// served without auth, like the provider's signed CDN links.

import { encodePng, MAX_SIDE } from './png.mjs';
import { encodePicture, THEMES, PICTURE_MAX_SIDE } from './picture.mjs';
import { encodePhotoPicture } from './photo.mjs';
import { uploadPixels } from './assets.mjs';
import { error } from './reply.mjs';

/** What the job objects say (`format`) and the file extension the URLs use. The provider's
 * pictures are JPEG; the mock's bytes are PNG, served with their true Content-Type. */
export const pictureFormat = Object.freeze({ format: 'jpeg', ext: 'png' });

/** Is this a picture route? */
export const isPictureRoute = (method, rawPath) =>
  rawPath.startsWith('/files/') && rawPath.endsWith(`.${pictureFormat.ext}`) && (method === 'GET' || method === 'HEAD');

export function servePicture(store, method, query) {
  const q = new URLSearchParams(query);
  const w = Number(q.get('w'));
  const h = Number(q.get('h'));
  const seed = Number(q.get('seed') ?? 0);
  const scene = q.get('scene');
  const max = scene === null ? MAX_SIDE : PICTURE_MAX_SIDE;
  const okSide = (v) => Number.isInteger(v) && v >= 1 && v <= max;
  if (!okSide(w) || !okSide(h)) return error(400, `Query w and h must be integers 1-${max}`);
  const theme = THEMES.includes(q.get('theme')) ? q.get('theme') : 'day';
  const photo = q.has('photo') ? uploadPixels(store, q.get('photo')) : null;
  let png;
  if (scene === null) png = encodePng(w, h, Number.isFinite(seed) ? seed : 0);
  else if (photo) png = encodePhotoPicture(w, h, photo, Number(scene) >>> 0, Number(q.get('strength') ?? 0.5));
  else png = encodePicture(w, h, Number(scene) >>> 0, theme);
  return { status: 200, body: method === 'HEAD' ? Buffer.alloc(0) : png, length: png.length, headers: { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' } };
}
