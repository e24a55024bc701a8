// Shared by the mock's own tests: call the API over HTTP, decode the PNGs it serves.
import { inflateSync } from 'node:zlib';
import { PNG_SIGNATURE } from './png.mjs';

export const TOKEN = 'user:12345-sandbox';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Call the mock's API. Returns { status, headers, body (parsed JSON or text) }. */
export async function call(mock, method, route, { body, token = TOKEN, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(mock.baseUrl + route, {
    method,
    headers: h,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Decode an 8-bit RGB or palette PNG (any filter) into { width, height, rgb: Uint8Array }. */
export function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  let width = 0, height = 0, type = 0, plte = null;
  const idat = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    const kind = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') [width, height, type] = [data.readUInt32BE(0), data.readUInt32BE(4), data[9]];
    if (kind === 'PLTE') plte = data;
    if (kind === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = type === 2 ? 3 : 1;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      px[y * stride + i] = (raw[src + i] + pred) & 255;
    }
  }
  if (type === 2) return { width, height, rgb: px };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < px.length; i++) plte.copy(rgb, i * 3, px[i] * 3, px[i] * 3 + 3);
  return { width, height, rgb };
}

/** Box-downsample an RGB picture to (w, h). */
export function downsample({ width, height, rgb }, w, h) {
  const out = new Float64Array(w * h * 3);
  const n = new Float64Array(w * h);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(h - 1, Math.floor((y * h) / height));
    for (let x = 0; x < width; x++) {
      const t = ty * w + Math.min(w - 1, Math.floor((x * w) / width));
      n[t] += 1;
      for (let c = 0; c < 3; c++) out[t * 3 + c] += rgb[(y * width + x) * 3 + c];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= n[Math.floor(i / 3)];
  return { width: w, height: h, rgb: out };
}

/** Mean absolute difference per channel of two same-size pictures. */
export function meanDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.rgb.length; i++) sum += Math.abs(a.rgb[i] - b.rgb[i]);
  return sum / a.rgb.length;
}
