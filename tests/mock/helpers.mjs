// Shared by the mock's own tests: call the API over HTTP, decode the pictures it serves.
import http from 'node:http';
import { decodePng } from './png-decode.mjs';
import { decodeJpeg } from './jpeg-decode.mjs';

export { decodePng, decodeJpeg };

/** Decode a PNG or a JPEG (by its first bytes) into { width, height, rgb }. */
export const decodePicture = (buf) => (buf[0] === 0xff && buf[1] === 0xd8 ? decodeJpeg(buf) : decodePng(buf));

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

/** Raw HTTP request with an exact path (fetch would normalise '..'). */
export function rawRequest(port, method, rawPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Wait until fn() is truthy (polling), or fail after ms. */
export async function waitFor(fn, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(20);
  }
  throw new Error('timed out waiting');
}
