// Pictures derived from an uploaded photo (imageRef_1 = its assetRef): the photo resampled to
// the picture's size, colour-graded by the picture's scene and weighed by imageStrength. An
// upscale keeps photo, scene and strength, so it is the same picture, bigger: recognisably the
// user's photo. Sampling is bounded like picture.mjs (DETAIL_CAP samples on the long side).

import { DETAIL_CAP } from './picture.mjs';

/** How much of the photo a picture keeps at imageStrength `s` (0-1): from 0.35 to 0.95. */
export const photoWeight = (s) => 0.35 + 0.6 * Math.min(1, Math.max(0, s));

/** The grade colour of a scene (a stable tint per picture of a generation). */
function tintOf(scene) {
  return [(scene & 255), (scene >>> 8) & 255, (scene >>> 16) & 255].map((c) => 64 + (c * 0.5) | 0);
}

/** The raster of width x height of `photo` ({width, height, rgb}) graded by `scene`. */
export function photoRaster(width, height, photo, scene, strength) {
  const k = Math.max(1, Math.ceil(Math.max(width, height) / DETAIL_CAP));
  const cols = Math.ceil(width / k);
  const rows = Math.ceil(height / k);
  const keep = photoWeight(strength);
  const tint = tintOf(scene >>> 0);
  const { rgb: src, width: pw, height: ph } = photo;
  const rgb = new Uint8Array(cols * rows * 3);
  for (let r = 0; r < rows; r++) {
    // Bilinear sample of the photo at the centre of this sample row / column.
    const fy = Math.min(ph - 1, Math.max(0, ((r + 0.5) / rows) * ph - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(ph - 1, y0 + 1), ty = fy - y0;
    const shade = 1 - 0.25 * (r / rows); // the grade darkens towards the bottom
    for (let c = 0; c < cols; c++) {
      const fx = Math.min(pw - 1, Math.max(0, ((c + 0.5) / cols) * pw - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(pw - 1, x0 + 1), tx = fx - x0;
      for (let ch = 0; ch < 3; ch++) {
        const a = src[(y0 * pw + x0) * 3 + ch], b = src[(y0 * pw + x1) * 3 + ch];
        const cc = src[(y1 * pw + x0) * 3 + ch], d = src[(y1 * pw + x1) * 3 + ch];
        const v = (a * (1 - tx) + b * tx) * (1 - ty) + (cc * (1 - tx) + d * tx) * ty;
        rgb[(r * cols + c) * 3 + ch] = Math.min(255, Math.round(v * keep + tint[ch] * shade * (1 - keep)));
      }
    }
  }
  return { width, height, k, cols, rows, rgb };
}
