// A baseline JPEG decoder (ITU T.81: Huffman, 8-bit, any sampling factors, restart intervals;
// greyscale or YCbCr): the mock's own JPEGs in tests, and uploaded photos a generation is
// derived from. Progressive and arithmetic-coded JPEGs are refused with an error.

import { ZIGZAG } from './jpeg-tables.mjs';

const LOOKUP_BITS = 9;

/** A decoding table: a 9-bit lookup for short codes, then maxcode / valptr per length. */
function decoderTable(counts, values) {
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < counts[len - 1]; i++, k++, code++) {
      if (len <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - len;
        for (let j = 0; j < 1 << shift; j++) lookup[(code << shift) | j] = (len << 8) | values[k];
      }
    }
    maxcode[len] = counts[len - 1] ? code - 1 : -1;
    code <<= 1;
  }
  return { lookup, maxcode, valptr, mincode, values };
}

// IDCT basis: COS[x * 8 + u] = C(u) / 2 * cos((2x + 1) u pi / 16).
const COS = Float32Array.from({ length: 64 }, (_, i) => {
  const x = i >> 3, u = i & 7;
  return (u === 0 ? Math.SQRT1_2 : 1) / 2 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
});
const tmp = new Float32Array(64);

/** Inverse DCT of 64 dequantised coefficients (natural order) into 8x8 samples (+128, clamped). */
function idct(coef, out, o, stride) {
  for (let u = 0; u < 8; u++) { // columns: over v for each (y, u)
    for (let y = 0; y < 8; y++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += COS[y * 8 + v] * coef[v * 8 + u];
      tmp[y * 8 + u] = s;
    }
  }
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += COS[x * 8 + u] * tmp[y * 8 + u];
      const v = Math.round(s + 128);
      out[o + y * stride + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** The samples of a block whose only coefficient is its DC. */
function flat(dcCoef, out, o, stride) {
  const v = Math.round(dcCoef / 8 + 128);
  const c = v < 0 ? 0 : v > 255 ? 255 : v;
  for (let y = 0; y < 8; y++) out.fill(c, o + y * stride, o + y * stride + 8);
}

/** Decode a baseline JPEG into { width, height, rgb: Uint8Array }; throws if it cannot. */
export function decodeJpeg(data) {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new Error('not a JPEG');
  const qt = [];
  const dc = [], ac = [];
  let frame = null;
  let restart = 0;
  let pos = 2;
  while (pos < data.length) {
    if (data[pos] !== 0xff) throw new Error(`JPEG marker expected at byte ${pos}`);
    const marker = data[pos + 1];
    if (marker === 0xff) { pos += 1; continue; }
    if (marker === 0xd9) break;
    const len = (data[pos + 2] << 8) | data[pos + 3];
    const seg = data.subarray(pos + 4, pos + 2 + len);
    pos += 2 + len;
    if (marker === 0xdb) {
      for (let i = 0; i < seg.length; ) {
        const wide = seg[i] >> 4, id = seg[i] & 15;
        const t = new Int32Array(64);
        for (let z = 0; z < 64; z++) t[ZIGZAG[z]] = wide ? (seg[i + 1 + 2 * z] << 8) | seg[i + 2 + 2 * z] : seg[i + 1 + z];
        qt[id] = t;
        i += 1 + 64 * (wide ? 2 : 1);
      }
    } else if (marker === 0xc4) {
      for (let i = 0; i < seg.length; ) {
        const cls = seg[i] >> 4, id = seg[i] & 15;
        const counts = Array.from(seg.subarray(i + 1, i + 17));
        const total = counts.reduce((a, b) => a + b, 0);
        (cls ? ac : dc)[id] = decoderTable(counts, seg.subarray(i + 17, i + 17 + total));
        i += 17 + total;
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      const comps = [];
      for (let c = 0; c < seg[5]; c++) comps.push({ id: seg[6 + c * 3], h: seg[7 + c * 3] >> 4, v: seg[7 + c * 3] & 15, tq: seg[8 + c * 3] });
      frame = { precision: seg[0], height: (seg[1] << 8) | seg[2], width: (seg[3] << 8) | seg[4], comps };
      if (frame.precision !== 8) throw new Error(`JPEG of ${frame.precision}-bit samples is not supported`);
    } else if (marker >= 0xc2 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      throw new Error(`JPEG type SOF${marker - 0xc0} (progressive, lossless or arithmetic) is not supported`);
    } else if (marker === 0xdd) {
      restart = (seg[0] << 8) | seg[1];
    } else if (marker === 0xda) {
      if (!frame) throw new Error('JPEG scan before its frame');
      const scan = [];
      for (let c = 0; c < seg[0]; c++) {
        const comp = frame.comps.find((x) => x.id === seg[1 + c * 2]);
        scan.push(Object.assign(comp, { dc: dc[seg[2 + c * 2] >> 4], ac: ac[seg[2 + c * 2] & 15] }));
      }
      if (scan.length !== frame.comps.length) throw new Error('JPEG with several scans is not supported');
      pos = decodeScan(data, pos, frame, restart, qt);
    }
  }
  if (!frame?.planes) throw new Error('JPEG without image data');
  return toRgb(frame);
}

/** Decode the interleaved scan at `pos` into frame.planes; returns the position after it. */
function decodeScan(data, pos, frame, restart, qt) {
  const hmax = Math.max(...frame.comps.map((c) => c.h)), vmax = Math.max(...frame.comps.map((c) => c.v));
  const mcuX = Math.ceil(frame.width / (8 * hmax)), mcuY = Math.ceil(frame.height / (8 * vmax));
  for (const c of frame.comps) {
    c.stride = mcuX * c.h * 8;
    c.plane = new Uint8Array(c.stride * mcuY * c.v * 8);
    c.pred = 0;
  }
  let buf = 0, bits = 0;
  const fill = () => {
    while (bits <= 24) {
      let b = 0;
      if (data[pos] === 0xff) {
        if (data[pos + 1] === 0) { b = 0xff; pos += 2; } // stuffed byte
        // else a marker: feed zeros, leave it for the restart / end handling
      } else if (pos < data.length) {
        b = data[pos++];
      }
      buf = ((buf << 8) | b) >>> 0;
      bits += 8;
    }
  };
  const take = (n) => {
    if (n === 0) return 0;
    if (bits < n) fill();
    const v = (buf >>> (bits - n)) & ((1 << n) - 1);
    bits -= n;
    return v;
  };
  const symbol = (t) => {
    if (bits < 16) fill();
    const e = t.lookup[(buf >>> (bits - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)];
    if (e) {
      bits -= e >> 8;
      return e & 255;
    }
    for (let len = LOOKUP_BITS + 1; len <= 16; len++) {
      const code = (buf >>> (bits - len)) & ((1 << len) - 1);
      if (code <= t.maxcode[len]) {
        bits -= len;
        return t.values[t.valptr[len] + code - t.mincode[len]];
      }
    }
    throw new Error('bad Huffman code in JPEG data');
  };
  const extend = (v, s) => (v < 1 << (s - 1) ? v - (1 << s) + 1 : v);
  const coef = new Float32Array(64);
  let mcus = 0;
  for (let my = 0; my < mcuY; my++) {
    for (let mx = 0; mx < mcuX; mx++) {
      if (restart && mcus > 0 && mcus % restart === 0) {
        bits = 0;
        buf = 0;
        while (pos < data.length && !(data[pos] === 0xff && data[pos + 1] >= 0xd0 && data[pos + 1] <= 0xd7)) pos++;
        pos += 2;
        for (const c of frame.comps) c.pred = 0;
      }
      mcus++;
      for (const c of frame.comps) {
        const q = qt[c.tq];
        for (let by = 0; by < c.v; by++) {
          for (let bx = 0; bx < c.h; bx++) {
            coef.fill(0);
            const s = symbol(c.dc);
            c.pred += s ? extend(take(s), s) : 0;
            coef[0] = c.pred * q[0];
            let ac = false;
            for (let k = 1; k < 64; ) {
              const rs = symbol(c.ac);
              const r = rs >> 4, sz = rs & 15;
              if (sz === 0) {
                if (r !== 15) break; // end of block
                k += 16;
                continue;
              }
              k += r;
              if (k > 63) throw new Error('bad run in JPEG data');
              const n = ZIGZAG[k];
              coef[n] = extend(take(sz), sz) * q[n];
              ac = true;
              k++;
            }
            const x0 = (mx * c.h + bx) * 8, y0 = (my * c.v + by) * 8;
            if (ac) idct(coef, c.plane, y0 * c.stride + x0, c.stride);
            else flat(coef[0], c.plane, y0 * c.stride + x0, c.stride); // a block of one colour
          }
        }
      }
    }
  }
  frame.planes = true;
  while (pos < data.length && !(data[pos] === 0xff && data[pos + 1] !== 0 && !(data[pos + 1] >= 0xd0 && data[pos + 1] <= 0xd7))) pos++;
  return pos;
}

/** The frame's planes (upsampled by their sampling factors) as RGB. */
function toRgb({ width, height, comps }) {
  const hmax = Math.max(...comps.map((c) => c.h)), vmax = Math.max(...comps.map((c) => c.v));
  const rgb = new Uint8Array(width * height * 3);
  const at = (c, x, y) => c.plane[Math.floor((y * c.v) / vmax) * c.stride + Math.floor((x * c.h) / hmax)];
  const clamp = (v) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const Y = at(comps[0], x, y);
      if (comps.length < 3) {
        rgb[o] = rgb[o + 1] = rgb[o + 2] = Y;
        continue;
      }
      const cb = at(comps[1], x, y) - 128, cr = at(comps[2], x, y) - 128;
      rgb[o] = clamp(Y + 1.402 * cr);
      rgb[o + 1] = clamp(Y - 0.344136 * cb - 0.714136 * cr);
      rgb[o + 2] = clamp(Y + 1.772 * cb);
    }
  }
  return { width, height, rgb };
}
