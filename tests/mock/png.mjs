// Tiny PNG encoder for the mock Dreamina API: makes real, valid PNG files of any size cheaply.
//
// The picture is an 8-bit palette image (colour type 3): a diagonal gradient overlaid with a
// checker board, its colours chosen by `seed`. Every row is copied out of two precomputed
// "base rows", so even 8192x8192 is a handful of memcpy calls per row, and the very regular
// data deflates to a few hundred KiB at most. Results are cached per (width, height, seed).

import { deflateSync } from 'node:zlib';

/** PNG file signature. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Largest side accepted by encodePng (keeps a bad request from eating the machine). */
export const MAX_SIDE = 16384;

const CACHE_LIMIT = 8;
const cache = new Map(); // key "w x h x seed" -> Buffer, insertion order = age

// ---------------------------------------------------------------------------------------
// CRC32 (the PNG / zlib polynomial), table driven.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32 of one or more buffers, as an unsigned 32-bit number. */
export function crc32(...buffers) {
  let c = 0xffffffff;
  for (const buf of buffers) {
    for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC(type + data). */
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const typeAndData = head.subarray(4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData, data), 0);
  return Buffer.concat([head, data, crc]);
}

/** A deterministic 32-bit PRNG (mulberry32), so a seed always gives the same colours (the
 * benchmark's polling simulation uses it too). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 256-entry RGB palette: entries 0..127 a gradient between two seeded colours, entries
 * 128..255 the same gradient darkened (used for the "odd" checker squares).
 */
function palette(seed) {
  const rnd = prng(seed * 2654435761 + 1);
  const from = [0, 0, 0].map(() => 40 + Math.floor(rnd() * 200));
  const to = [0, 0, 0].map(() => 40 + Math.floor(rnd() * 200));
  const plte = Buffer.alloc(256 * 3);
  for (let i = 0; i < 128; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round(from[c] + ((to[c] - from[c]) * i) / 127);
      plte[i * 3 + c] = v;
      plte[(i + 128) * 3 + c] = Math.round(v * 0.6);
    }
  }
  return plte;
}

/** Raw (filtered) image data: every row = filter byte 0 + width palette indexes. */
function pixels(width, height) {
  const span = width + height; // diagonal index x + y runs over 0 .. span-2
  const even = Buffer.alloc(span);
  for (let i = 0; i < span; i++) even[i] = Math.floor((i * 127) / Math.max(1, span - 2));
  const odd = Buffer.alloc(span);
  for (let i = 0; i < span; i++) odd[i] = even[i] + 128;

  const cell = Math.max(8, Math.floor(Math.min(width, height) / 8)); // checker square side
  const stride = width + 1;
  const raw = Buffer.alloc(stride * height); // filter bytes stay 0 (= None)
  for (let y = 0; y < height; y++) {
    const rowStart = y * stride + 1;
    const rowParity = Math.floor(y / cell) & 1;
    for (let x0 = 0; x0 < width; x0 += cell) {
      const x1 = Math.min(width, x0 + cell);
      const base = ((Math.floor(x0 / cell) & 1) ^ rowParity) ? odd : even;
      base.copy(raw, rowStart + x0, y + x0, y + x1); // pixel (x, y) = base[x + y]
    }
  }
  return raw;
}

/** A PNG from already deflated, filtered data (`idat`): colour type 2 = RGB, 3 = palette. */
export function encodeRaw(width, height, colourType, idat, plte) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    ...(plte ? [chunk('PLTE', plte)] : []),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Encode a fresh PNG (no cache). */
function build(width, height, seed) {
  const idat = deflateSync(pixels(width, height), { level: 6, memLevel: 9 });
  return encodeRaw(width, height, 3, idat, palette(seed));
}

/**
 * A valid PNG of exactly width x height (integers 1..MAX_SIDE), its colours chosen by seed.
 * Cached (the last CACHE_LIMIT results); the returned Buffer must not be modified.
 */
export function encodePng(width, height, seed = 0) {
  for (const [name, v] of [['width', width], ['height', height]]) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new RangeError(`png ${name} must be an integer 1-${MAX_SIDE}, got ${v}`);
    }
  }
  const s = Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0;
  const key = `${width}x${height}x${s}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // refresh its age
    cache.set(key, hit);
    return hit;
  }
  const png = build(width, height, s);
  cache.set(key, png);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
  return png;
}

/** Read width/height from a PNG's IHDR (throws if the buffer is not a PNG). */
export function pngSize(buf) {
  if (buf.length < 24 || !buf.subarray(0, 8).equals(PNG_SIGNATURE) || buf.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
