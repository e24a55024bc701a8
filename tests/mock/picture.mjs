// Procedural pictures for the mock: a landscape (sky, sun or moon, mountain ranges, water)
// drawn from a seed in resolution-independent coordinates, so a generation's image and its
// upscale are the SAME picture; the upscale is rendered at its own size with more detail
// (more noise octaves on the ridges, fainter stars, finer ripples), never a new pattern.
//
// Cost is bounded: the scene is sampled on a grid of at most DETAIL_CAP samples on the long
// side; above that each sample fills a k x k block (k = ceil(long side / DETAIL_CAP)), so the
// picture still has exactly the size asked for (a raster, see raster.mjs, encoded as PNG or JPEG).

import { prng } from './png.mjs';
import { encodeRasterPng } from './raster.mjs';

/** Most scene samples on the long side; bigger pictures repeat each sample in a k x k block. */
export const DETAIL_CAP = 2048;

/** Largest side of a picture (the largest a job reports is an 8k 21:9 upscale, 12096 x 5184). */
export const PICTURE_MAX_SIDE = 12288;

/** Picture themes; a prompt's words pick one (see themeFor), else the seed does. */
export const THEMES = Object.freeze(['day', 'sunset', 'night', 'snow', 'desert']);

const KEYWORDS = [
  ['night', /\b(night|moon|stars?|midnight|dark)\b/i],
  ['sunset', /\b(sunset|sunrise|dusk|dawn|evening|orange|golden)\b/i],
  ['desert', /\b(desert|dunes?|sand|sahara|dry)\b/i],
  ['snow', /\b(snow|snowy|winter|ice|icy|alps?|glacier|frozen)\b/i],
  ['day', /\b(day|sunny|summer|lake|green|meadow|blue sky)\b/i],
];

/** The theme a prompt asks for by its words, or one chosen by `seed`. */
export function themeFor(prompt, seed) {
  for (const [theme, re] of KEYWORDS) if (re.test(prompt ?? '')) return theme;
  return THEMES[(seed >>> 0) % THEMES.length];
}

// Colours per theme: sky top, sky at the horizon, sun, far and near land, water tint.
const PALETTES = {
  day: { top: [62, 120, 214], horizon: [196, 222, 246], sun: [255, 251, 228], far: [98, 128, 160], near: [46, 98, 52], water: [40, 90, 140], sunR: 0.035, stars: 0 },
  sunset: { top: [38, 34, 96], horizon: [252, 150, 78], sun: [255, 214, 130], far: [120, 70, 110], near: [40, 22, 48], water: [70, 40, 80], sunR: 0.06, stars: 0 },
  night: { top: [4, 6, 22], horizon: [30, 44, 92], sun: [236, 236, 212], far: [34, 44, 78], near: [8, 12, 26], water: [10, 16, 40], sunR: 0.03, stars: 1 },
  snow: { top: [110, 150, 204], horizon: [226, 234, 244], sun: [255, 255, 240], far: [150, 166, 190], near: [70, 86, 110], water: [80, 110, 140], sunR: 0.03, stars: 0, snow: true },
  desert: { top: [84, 150, 226], horizon: [244, 222, 176], sun: [255, 250, 220], far: [214, 160, 100], near: [176, 112, 58], water: [60, 110, 150], sunR: 0.04, stars: 0, dunes: true },
};

const mix = (a, b, t) => a + (b - a) * t;
const clamp01 = (t) => (t < 0 ? 0 : t > 1 ? 1 : t);

/** Integer hash -> [0, 1). */
function h1(n, seed) {
  let x = Math.imul((n | 0) ^ seed, 0x27d4eb2d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  return (x >>> 0) / 4294967296;
}

/** Smooth 1-D value noise in [0, 1). */
function noise(x, seed) {
  const i = Math.floor(x);
  const f = x - i;
  const s = f * f * (3 - 2 * f);
  return mix(h1(i, seed), h1(i + 1, seed), s);
}

/** Fractal noise in about [0, 1]: octaves until the wavelength is under two samples. */
function fbm(u, seed, f0, persistence, samples) {
  let sum = 0;
  let norm = 0;
  let amp = 1;
  for (let f = f0, o = 0; f * 2 <= samples && o < 16; f *= 2, o++) {
    sum += amp * noise(u * f, seed + o * 7919);
    norm += amp;
    amp *= persistence;
  }
  return norm ? sum / norm : 0.5;
}

const TREE_SPACING = 0.007; // scene units between pines

/**
 * Height of the pines at x (scene units) on a range: a row of trees of seeded heights, their
 * tiers of branches drawn only where a tree is wide enough in samples to show them.
 */
function treeLift(x, seed, samplesPerUnit) {
  const t = x / TREE_SPACING;
  const i = Math.floor(t);
  if (h1(i, seed + 11) < 0.2) return 0; // a gap in the forest
  const height = 0.012 + 0.022 * h1(i, seed + 12);
  const f = t - i;
  const width = 0.7 + 0.3 * h1(i, seed + 13); // of the spacing
  const d = Math.abs(f - 0.5) / (width / 2); // 0 at the trunk, 1 at the edge
  if (d >= 1) return 0;
  const treeSamples = TREE_SPACING * width * samplesPerUnit;
  const tiersShown = clamp01((treeSamples - 5) / 12);
  const tiers = 1 - tiersShown * 0.35 * ((d * 5 + (1 - d) * 0.5) % 1);
  return height * (1 - d) * tiers;
}

/** The scene described by a seed and theme: horizon, sun, ranges, water, stars. */
export function sceneOf(seed, theme) {
  const rnd = prng(seed ^ 0x5bd1e995);
  const pal = PALETTES[theme] ?? PALETTES.day;
  const water = !pal.dunes && rnd() < 0.75;
  const horizon = water ? 0.58 + rnd() * 0.12 : 0.72 + rnd() * 0.1;
  const count = pal.dunes ? 3 : 3 + Math.floor(rnd() * 2);
  const ranges = [];
  for (let l = 0; l < count; l++) {
    const depth = count === 1 ? 1 : l / (count - 1); // 0 far .. 1 near
    ranges.push({
      seed: Math.floor(rnd() * 2 ** 31),
      base: horizon - (water ? 0.02 : 0.12) * (1 - depth) + (water ? 0 : 0.12 * depth),
      height: pal.dunes ? 0.12 - 0.04 * depth : (0.42 - 0.24 * depth) * (0.7 + rnd() * 0.5),
      f0: pal.dunes ? 1.5 + rnd() : 2 + rnd() * 3 + depth * 2,
      persistence: pal.dunes ? 0.3 : 0.5 + rnd() * 0.08,
      depth,
      trees: !pal.dunes && l === count - 1, // a pine forest on the nearest range
    });
  }
  return {
    theme, pal, water, horizon, ranges,
    sunU: 0.15 + rnd() * 0.7,
    sunV: theme === 'sunset' ? ranges[0].base - ranges[0].height * 0.8 - rnd() * 0.06 : 0.12 + rnd() * 0.22,
    starSeed: Math.floor(rnd() * 2 ** 31),
    rippleSeed: Math.floor(rnd() * 2 ** 31),
  };
}

/** A PNG (RGB, 8 bit) of the picture (see pictureRaster); not cached. */
export const encodePicture = (width, height, seed, theme = 'day') => encodeRasterPng(pictureRaster(width, height, seed, theme));

/**
 * The raster of exactly width x height of the scene (seed, theme). Same seed and theme at any
 * size = the same picture; bigger = more detail, up to DETAIL_CAP samples on the long side.
 */
export function pictureRaster(width, height, seed, theme = 'day') {
  for (const [name, v] of [['width', width], ['height', height]]) {
    if (!Number.isInteger(v) || v < 1 || v > PICTURE_MAX_SIDE) throw new RangeError(`picture ${name} must be an integer 1-${PICTURE_MAX_SIDE}, got ${v}`);
  }
  const scene = sceneOf(seed >>> 0, theme);
  const k = Math.max(1, Math.ceil(Math.max(width, height) / DETAIL_CAP));
  const cols = Math.ceil(width / k);
  const rows = Math.ceil(height / k);
  const aspect = width / height;
  const { pal } = scene;

  // Per sample column: each range's ridge (v of its top) and its lighting from the slope.
  const ridge = scene.ranges.map(() => new Float32Array(cols + 2));
  const light = scene.ranges.map(() => new Float32Array(cols + 2));
  const snowLine = scene.ranges.map(() => new Float32Array(cols + 2)); // v above which it is snow
  const colSamples = cols; // octaves stop at the sampling limit of this picture
  scene.ranges.forEach((r, l) => {
    for (let c = -1; c <= cols; c++) {
      const u = ((c + 0.5) * k) / width;
      const x = u * Math.max(1, aspect);
      ridge[l][c + 1] = r.base - r.height * fbm(x, r.seed, r.f0, r.persistence, colSamples / Math.max(1, aspect));
      if (r.trees) ridge[l][c + 1] -= treeLift(x, r.seed, colSamples / Math.max(1, aspect));
    }
    // Lighting from the slope of the broad shape only (a few octaves, whatever the size), so it
    // is the same at every size and does not streak.
    const d = Math.max(1, Math.round(0.004 * cols));
    const broad = (c) => fbm((((c + 0.5) * k) / width) * Math.max(1, aspect), r.seed, r.f0, r.persistence, r.f0 * 24);
    for (let c = 0; c < cols; c++) {
      const slope = ((broad(c - d) - broad(c + d)) * r.height * cols) / (2 * d); // dv/du, v down
      const side = ((c + 0.5) * k) / width < scene.sunU ? 1 : -1;
      light[l][c + 1] = clamp01(0.7 + 0.22 * slope * side);
      if (pal.snow) snowLine[l][c + 1] = r.base - r.height * (0.52 + 0.08 * (noise((c * k) / width * 30, r.seed + 3) - 0.5));
    }
  });

  // Stars: more and fainter ones appear as the picture gets more samples.
  const stars = new Map();
  if (pal.stars) {
    const rnd = prng(scene.starSeed);
    const n = Math.min(6000, Math.round((cols * rows) / 900));
    for (let i = 0; i < n; i++) {
      const u = rnd();
      const v = rnd() * scene.horizon;
      const b = rnd();
      const key = Math.floor(v * rows) * cols + Math.floor(u * cols);
      stars.set(key, Math.max(stars.get(key) ?? 0, 0.35 + 0.65 * b));
    }
  }

  const sunR = pal.sunR;
  const out = new Uint8Array(3);
  /** Colour of the sky or land at sample column c (0-based) and v (0 top .. 1 bottom). */
  function land(c, v, rowKey) {
    for (let l = scene.ranges.length - 1; l >= 0; l--) {
      const top = ridge[l][c + 1];
      if (v >= top) {
        const r = scene.ranges[l];
        const below = clamp01((v - top) / 0.35);
        const haze = 0.65 * (1 - r.depth) + 0.05;
        const lit = light[l][c + 1] * (1 - 0.35 * below);
        const snowy = pal.snow && r.depth < 1 && v < snowLine[l][c + 1];
        for (let ch = 0; ch < 3; ch++) {
          const baseC = snowy ? 245 : mix(pal.far[ch], pal.near[ch], r.depth) * (0.55 + 0.6 * lit);
          out[ch] = Math.min(255, mix(baseC, pal.horizon[ch], haze * (snowy ? 0.3 : 1)));
        }
        return;
      }
    }
    // Sky: vertical gradient, sun glow and disc, stars.
    const t = clamp01(v / scene.horizon);
    const du = (((c + 0.5) * k) / width - scene.sunU) * aspect;
    const dv = v - scene.sunV;
    const d = Math.sqrt(du * du + dv * dv);
    const glow = clamp01(1 - d / (sunR * 7));
    const disc = clamp01((sunR - d) * (rows / 1.5) + 0.5);
    const star = rowKey >= 0 ? stars.get(rowKey + c) ?? 0 : 0;
    for (let ch = 0; ch < 3; ch++) {
      let x = mix(pal.top[ch], pal.horizon[ch], t * t);
      x = mix(x, pal.sun[ch], glow * glow * 0.55);
      x = mix(x, pal.sun[ch], disc);
      x = mix(x, 255, star);
      out[ch] = Math.min(255, x);
    }
  }

  const rgb = new Uint8Array(cols * rows * 3);
  for (let r = 0; r < rows; r++) {
    const v = (r + 0.5) / rows;
    // Water: the scene mirrored about the horizon, rippled sideways, tinted, with glints.
    const inWater = scene.water && v > scene.horizon;
    let srcV = v;
    let shift = 0;
    let glint = 0;
    if (inWater) {
      const dist = v - scene.horizon;
      srcV = scene.horizon - dist;
      const wobble = fbm(v, scene.rippleSeed, 60, 0.6, rows) - 0.5;
      shift = Math.round(wobble * 0.05 * dist * cols);
      glint = Math.max(0, fbm(v, scene.rippleSeed + 1, 90, 0.7, rows) - 0.55) * 2.2;
    }
    const rowKey = pal.stars && !inWater ? Math.floor(srcV * rows) * cols : -1;
    for (let c = 0; c < cols; c++) {
      let sc = c + shift;
      sc = sc < 0 ? 0 : sc >= cols ? cols - 1 : sc;
      land(sc, srcV, rowKey);
      let R = out[0], G = out[1], B = out[2];
      if (inWater) {
        const depth = clamp01((v - scene.horizon) / (1 - scene.horizon));
        const tint = 0.3 + 0.4 * depth;
        const du = Math.abs(((c + 0.5) * k) / width - scene.sunU) * aspect;
        const path = clamp01(1 - du / (sunR * 3)) * glint;
        R = Math.min(255, mix(R, pal.water[0], tint) + 200 * path);
        G = Math.min(255, mix(G, pal.water[1], tint) + 190 * path);
        B = Math.min(255, mix(B, pal.water[2], tint) + 160 * path);
      }
      const p = (r * cols + c) * 3;
      rgb[p] = R;
      rgb[p + 1] = G;
      rgb[p + 2] = B;
    }
  }
  return { width, height, k, cols, rows, rgb };
}
