// Before/after of one image: the source and its upscale in one frame split by a slider, and a
// zoom on a detail: the source's pixels enlarged next to the upscale's, pixel for pixel.

const $ = (id) => document.getElementById(id);
const ZOOM_CSS_PX = 240; // canvas side

let focus = { x: 0.5, y: 0.55 }; // zoom centre, as a fraction of the picture (about the horizon)

/** Loads an <img> and resolves when it has decoded (or rejects). */
function loadImage(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${url}`));
    img.src = url;
  });
}

/** Shows the comparison of `source` (an image of the generation) and `upscaled` (its upscale's image). */
export async function showCompare({ source, upscaled, label, jobid, resolution }) {
  $('compare').hidden = false;
  $('compare-which').textContent = label;
  $('compare-jobid').textContent = jobid;
  const factor = source.width ? upscaled.width / source.width : 0;
  $('dims-source').textContent = `${source.width} × ${source.height}`;
  $('dims-upscaled').textContent = `${upscaled.width} × ${upscaled.height}` + (factor ? ` · ${Number(factor.toFixed(1))}× larger` : '');
  $('zoom-factor').textContent = factor ? `${Number(factor.toFixed(1))}×` : '';
  for (const [which, image, name] of [['source', source, 'source.png'], ['upscaled', upscaled, `upscaled-${resolution}.png`]]) {
    const link = $(`dl-${which}`);
    link.href = image.imageUrl;
    link.download = name;
    const img = $(`img-${which}`);
    img.dataset.width = image.width;
    img.dataset.height = image.height;
  }
  $('cmp').style.aspectRatio = `${source.width} / ${source.height}`;
  $('cmp').style.maxWidth = `calc(70vh * ${source.width / source.height})`; // whole picture on screen
  $('cmp').classList.add('loading');
  try {
    await Promise.all([loadImage($('img-source'), source.imageUrl), loadImage($('img-upscaled'), upscaled.imageUrl)]);
  } finally {
    $('cmp').classList.remove('loading');
  }
  drawZoom();
}

export function hideCompare() {
  $('compare').hidden = true;
  $('img-source').removeAttribute('src');
  $('img-upscaled').removeAttribute('src');
}

/** Draws the same detail of both pictures: the region under `focus`, ZOOM_CSS_PX upscaled pixels wide. */
function drawZoom() {
  const before = $('img-source');
  const after = $('img-upscaled');
  if (!before.naturalWidth || !after.naturalWidth) return;
  const scale = after.naturalWidth / before.naturalWidth;
  const side = ZOOM_CSS_PX; // in upscaled pixels
  const ax = clamp(focus.x * after.naturalWidth - side / 2, 0, after.naturalWidth - side);
  const ay = clamp(focus.y * after.naturalHeight - side / 2, 0, after.naturalHeight - side);
  for (const [id, img, x, y, w] of [
    ['zoom-after', after, ax, ay, side],
    ['zoom-before', before, ax / scale, ay / scale, side / scale],
  ]) {
    const ctx = $(id).getContext('2d');
    ctx.imageSmoothingEnabled = false; // show the source's real pixels, not a blur of them
    ctx.clearRect(0, 0, side, side);
    ctx.drawImage(img, x, y, w, w, 0, 0, side, side);
  }
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(Math.max(lo, hi), v));

export function wireCompare() {
  const split = (v) => $('cmp').style.setProperty('--split', `${v}%`);
  $('cmp-slider').addEventListener('input', (e) => split(e.target.value));
  $('cmp').addEventListener('click', (e) => {
    const box = $('cmp').getBoundingClientRect();
    focus = { x: (e.clientX - box.left) / box.width, y: (e.clientY - box.top) / box.height };
    drawZoom();
  });
}
