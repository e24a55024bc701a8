// Decoding of simple PNGs (8-bit grey, RGB, RGBA, grey+alpha or palette, not interlaced, any
// filter): the mock's own pictures in tests, and uploaded photos a generation is derived from.

import { inflateSync } from 'node:zlib';
import { PNG_SIGNATURE } from './png.mjs';

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decode a PNG into { width, height, rgb: Uint8Array } (alpha dropped); throws if it cannot. */
export function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  let width = 0, height = 0, depth = 0, type = 0, interlace = 0, plte = null;
  const idat = [];
  for (let off = 8; off + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(off);
    const kind = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') [width, height, depth, type, interlace] = [data.readUInt32BE(0), data.readUInt32BE(4), data[8], data[9], data[12]];
    if (kind === 'PLTE') plte = data;
    if (kind === 'IDAT') idat.push(data);
    if (kind === 'IEND') break;
    off += 12 + len;
  }
  const bpp = CHANNELS[type];
  if (depth !== 8 || !bpp || interlace !== 0 || (type === 3 && !plte)) throw new Error(`PNG of bit depth ${depth}, colour type ${type}, interlace ${interlace} is not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  if (raw.length < (stride + 1) * height) throw new Error('PNG data is short');
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[row + i - bpp] : 0;
      const b = y > 0 ? px[row - stride + i] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const c = i >= bpp && y > 0 ? px[row - stride + i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[row + i] = (raw[src + i] + pred) & 255;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, n = width * height; i < n; i++) {
    if (type === 3) plte.copy(rgb, i * 3, px[i] * 3, px[i] * 3 + 3);
    else if (type === 2 || type === 6) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = px[i * bpp + c];
    else rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = px[i * bpp];
  }
  return { width, height, rgb };
}
