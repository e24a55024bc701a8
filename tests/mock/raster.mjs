// A raster: a picture of width x height held as a grid of cols x rows RGB samples, each filling a
// k x k block of pixels (k = 1 up to DETAIL_CAP samples on the long side). Pixel (x, y) is the
// sample (floor(x / k), floor(y / k)). The mock's pictures are drawn as rasters and encoded as
// PNG here or as JPEG (jpeg.mjs), so a huge picture never needs a full-size pixel buffer.

import { deflateSync } from 'node:zlib';
import { encodeRaw } from './png.mjs';

/** A raster of a full-size RGB picture (k = 1). */
export const rasterOf = ({ width, height, rgb }) => ({ width, height, k: 1, cols: width, rows: height, rgb });

/** A PNG (RGB, 8 bit) of a raster: rows filtered Sub, a repeated row Up (all zero), so the
 * blocks of a big picture cost little. */
export function encodeRasterPng({ width, height, k, cols, rgb }) {
  const stride = 1 + width * 3;
  const raw = Buffer.alloc(stride * height); // repeated rows stay all zero under filter Up
  for (let y = 0; y < height; y++) {
    const o = y * stride;
    if (y % k !== 0) {
      raw[o] = 2; // Up: the same row again
      continue;
    }
    raw[o] = 1; // Sub
    const src = (y / k) * cols * 3;
    let p0 = 0, p1 = 0, p2 = 0;
    for (let c = 0; c < cols; c++) {
      const s = src + c * 3;
      const p = o + 1 + c * k * 3; // the rest of the k-wide block repeats the pixel: Sub residual 0
      raw[p] = (rgb[s] - p0) & 255;
      raw[p + 1] = (rgb[s + 1] - p1) & 255;
      raw[p + 2] = (rgb[s + 2] - p2) & 255;
      p0 = rgb[s]; p1 = rgb[s + 1]; p2 = rgb[s + 2];
    }
  }
  return encodeRaw(width, height, 2, deflateSync(raw, { level: 6, memLevel: 9 }));
}
