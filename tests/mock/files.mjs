// The pictures a job's imageUrl points to, served without auth like the provider's signed CDN
// links: /files/NAME.jpeg?w=&h=&seed=&scene=&theme=[&photo=&strength=] is a baseline JPEG (the
// provider's format), the same URL with .png the same picture as PNG; without `scene` the old
// gradient-checker PNG (png.mjs).

import { encodePng, MAX_SIDE } from './png.mjs';
import { pictureRaster, THEMES, PICTURE_MAX_SIDE } from './picture.mjs';
import { photoRaster } from './photo.mjs';
import { encodeRasterPng } from './raster.mjs';
import { encodeJpeg } from './jpeg.mjs';
import { uploadPixels } from './assets.mjs';
import { error } from './reply.mjs';

/** What the job objects say (`format`) and the file extension their URLs use. */
export const pictureFormat = Object.freeze({ format: 'jpeg', ext: 'jpeg' });

const TYPES = { jpeg: 'image/jpeg', png: 'image/png' };
const ROUTE = /^\/files\/[^/]+\.(jpeg|png)$/;
const CACHE_LIMIT = 12;
const cache = new Map(); // query + type -> encoded file, insertion order = age

/** The file type a picture route asks for ('jpeg' or 'png'), or null when it is no picture route. */
export function pictureRoute(method, rawPath) {
  if (method !== 'GET' && method !== 'HEAD') return null;
  return ROUTE.exec(rawPath)?.[1] ?? null;
}

/** Encode once, keep the last CACHE_LIMIT files (a page shows the same pictures many times). */
function cached(key, make) {
  let hit = cache.get(key);
  if (hit) cache.delete(key); // refresh its age
  else hit = make();
  cache.set(key, hit);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
  return hit;
}

export function servePicture(store, method, query, ext) {
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
  let file;
  let type = TYPES[ext];
  if (scene === null) {
    file = encodePng(w, h, Number.isFinite(seed) ? seed : 0);
    type = TYPES.png;
  } else {
    const draw = () => (photo
      ? photoRaster(w, h, photo, Number(scene) >>> 0, Number(q.get('strength') ?? 0.5))
      : pictureRaster(w, h, Number(scene) >>> 0, theme));
    const key = `${ext}|${w}|${h}|${scene}|${theme}|${photo ? `${q.get('photo')}|${q.get('strength')}` : ''}`;
    file = cached(key, () => (ext === 'png' ? encodeRasterPng(draw()) : encodeJpeg(draw())));
  }
  return { status: 200, body: method === 'HEAD' ? Buffer.alloc(0) : file, length: file.length, headers: { 'Content-Type': type, 'Cache-Control': 'no-store' } };
}
