// A small baseline JPEG encoder (ITU T.81: YCbCr 4:2:0, the standard's tables, quality 85) for
// the mock's pictures: the provider serves JPEG. It encodes a raster (raster.mjs), so a big
// picture is read sample by sample from its grid, never expanded to a full pixel buffer.

import { ZIGZAG, LUMA_QUANT, CHROMA_QUANT, HUFFMAN, huffmanCodes } from './jpeg-tables.mjs';

export const QUALITY = 85;
const AAN = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** Quantisation table (natural order) of the standard's `base` at `quality` (IJG scaling). */
function scaled(base, quality) {
  const s = quality < 50 ? 5000 / quality : 200 - quality * 2;
  return base.map((q) => Math.min(255, Math.max(1, Math.floor((q * s + 50) / 100))));
}

/** Per coefficient: 1 / (q * AAN scale * 8), to quantise the AAN DCT's output. */
const divisors = (q) => Float32Array.from(q, (v, i) => 1 / (v * AAN[i >> 3] * AAN[i & 7] * 8));

/** Huffman table as lookups: code and length by value. */
function encoderTable(spec) {
  const code = new Uint16Array(256);
  const len = new Uint8Array(256);
  for (const c of huffmanCodes(spec)) [code[c.value], len[c.value]] = [c.code, c.length];
  return { code, len };
}

const Q_LUMA = scaled(LUMA_QUANT, QUALITY);
const Q_CHROMA = scaled(CHROMA_QUANT, QUALITY);
const DIV_LUMA = divisors(Q_LUMA);
const DIV_CHROMA = divisors(Q_CHROMA);
const T = Object.fromEntries(Object.entries(HUFFMAN).map(([k, v]) => [k, encoderTable(v)]));

/** The AAN forward DCT (IJG jfdctflt), in place on 64 samples; output scaled as AAN says. */
function fdct(d) {
  for (let i = 0; i < 64; i += 8) pass(d, i, 1);
  for (let i = 0; i < 8; i++) pass(d, i, 8);
}
function pass(d, o, s) {
  const d0 = d[o], d1 = d[o + s], d2 = d[o + 2 * s], d3 = d[o + 3 * s], d4 = d[o + 4 * s], d5 = d[o + 5 * s], d6 = d[o + 6 * s], d7 = d[o + 7 * s];
  const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6, t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  d[o] = t10 + t11;
  d[o + 4 * s] = t10 - t11;
  const z1 = (t12 + t13) * 0.707106781;
  d[o + 2 * s] = t13 + z1;
  d[o + 6 * s] = t13 - z1;
  const u10 = t4 + t5, u11 = t5 + t6, u12 = t6 + t7;
  const z5 = (u10 - u12) * 0.382683433;
  const z2 = 0.5411961 * u10 + z5;
  const z4 = 1.306562965 * u12 + z5;
  const z3 = u11 * 0.707106781;
  const z11 = t7 + z3, z13 = t7 - z3;
  d[o + 5 * s] = z13 + z2;
  d[o + 3 * s] = z13 - z2;
  d[o + s] = z11 + z4;
  d[o + 7 * s] = z11 - z4;
}

/** Entropy-coded output with 0xFF byte stuffing, grown as needed. */
class BitWriter {
  constructor(size) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, size));
    this.pos = 0;
    this.acc = 0;
    this.n = 0;
  }
  bytes(arr) {
    this.room(arr.length);
    for (const b of arr) this.buf[this.pos++] = b;
  }
  room(extra) {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  put(code, len) {
    this.acc = (this.acc << len) | code;
    this.n += len;
    while (this.n >= 8) {
      const b = (this.acc >>> (this.n - 8)) & 255;
      this.room(2);
      this.buf[this.pos++] = b;
      if (b === 255) this.buf[this.pos++] = 0;
      this.n -= 8;
    }
    this.acc &= (1 << this.n) - 1;
  }
  flush() {
    if (this.n > 0) this.put((1 << (8 - this.n)) - 1, 8 - this.n);
  }
}

const block = new Float32Array(64);

/** DCT, quantise and Huffman-code one block; returns its DC for the next block's prediction. */
function codeBlock(w, div, prevDc, dc, ac) {
  fdct(block);
  const dcq = Math.round(block[0] * div[0]);
  const diff = dcq - prevDc;
  const ds = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
  w.put(dc.code[ds], dc.len[ds]);
  if (ds) w.put(diff < 0 ? diff + (1 << ds) - 1 : diff, ds);
  let run = 0;
  for (let i = 1; i < 64; i++) {
    const n = ZIGZAG[i];
    const v = Math.round(block[n] * div[n]);
    if (v === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      w.put(ac.code[0xf0], ac.len[0xf0]); // sixteen zeros
      run -= 16;
    }
    const s = 32 - Math.clz32(Math.abs(v));
    const sym = (run << 4) | s;
    w.put(ac.code[sym], ac.len[sym]);
    w.put(v < 0 ? v + (1 << s) - 1 : v, s);
    run = 0;
  }
  if (run > 0) w.put(ac.code[0], ac.len[0]); // end of block
  return dcq;
}

const segment = (marker, body) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
const u16 = (v) => [v >> 8, v & 255];

/** A baseline JPEG of a raster ({width, height, k, cols, rows, rgb}). */
export function encodeJpeg({ width, height, k, cols, rows, rgb }) {
  // Y, Cb, Cr of each sample of the grid (a pixel's are those of its sample).
  const n = cols * rows;
  const Y = new Float32Array(n), Cb = new Float32Array(n), Cr = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3], g = rgb[i * 3 + 1], b = rgb[i * 3 + 2];
    Y[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
    Cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
    Cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  const mcuW = Math.ceil(width / 16), mcuH = Math.ceil(height / 16);
  // Sample index of each pixel column / row, edges repeated to fill the last MCU.
  const colAt = Int32Array.from({ length: mcuW * 16 }, (_, x) => Math.floor(Math.min(x, width - 1) / k));
  const rowAt = Int32Array.from({ length: mcuH * 16 }, (_, y) => Math.floor(Math.min(y, height - 1) / k) * cols);

  const w = new BitWriter(Math.ceil(width * height * 0.3));
  w.bytes([0xff, 0xd8]);
  w.bytes(segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])); // JFIF 1.01
  w.bytes(segment(0xdb, [0, ...Array.from(ZIGZAG, (z) => Q_LUMA[z]), 1, ...Array.from(ZIGZAG, (z) => Q_CHROMA[z])]));
  w.bytes(segment(0xc0, [8, ...u16(height), ...u16(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
  const dht = [];
  for (const [id, t] of [[0x00, HUFFMAN.dcLuma], [0x10, HUFFMAN.acLuma], [0x01, HUFFMAN.dcChroma], [0x11, HUFFMAN.acChroma]]) dht.push(id, ...t.counts, ...t.values);
  w.bytes(segment(0xc4, dht));
  w.bytes(segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]));

  let dcY = 0, dcCb = 0, dcCr = 0;
  for (let my = 0; my < mcuH; my++) {
    for (let mx = 0; mx < mcuW; mx++) {
      const x0 = mx * 16, y0 = my * 16;
      for (let b = 0; b < 4; b++) {
        const bx = x0 + (b & 1) * 8, by = y0 + (b >> 1) * 8;
        for (let y = 0; y < 8; y++) {
          const row = rowAt[by + y];
          for (let x = 0; x < 8; x++) block[y * 8 + x] = Y[row + colAt[bx + x]];
        }
        dcY = codeBlock(w, DIV_LUMA, dcY, T.dcLuma, T.acLuma);
      }
      for (const [plane, which] of [[Cb, 0], [Cr, 1]]) {
        for (let y = 0; y < 8; y++) {
          const r0 = rowAt[y0 + 2 * y], r1 = rowAt[y0 + 2 * y + 1];
          for (let x = 0; x < 8; x++) {
            const c0 = colAt[x0 + 2 * x], c1 = colAt[x0 + 2 * x + 1];
            block[y * 8 + x] = (plane[r0 + c0] + plane[r0 + c1] + plane[r1 + c0] + plane[r1 + c1]) / 4;
          }
        }
        if (which === 0) dcCb = codeBlock(w, DIV_CHROMA, dcCb, T.dcChroma, T.acChroma);
        else dcCr = codeBlock(w, DIV_CHROMA, dcCr, T.dcChroma, T.acChroma);
      }
    }
  }
  w.flush();
  w.bytes([0xff, 0xd9]);
  return w.buf.subarray(0, w.pos);
}
