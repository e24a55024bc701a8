// Before/after of one image: the source and its upscale in one frame split by a slider, and a
// zoom on a detail: the source's pixels enlarged next to the upscale's, pixel for pixel.

const ZOOM_CSS_PX = 240; // canvas side

/** Loads an <img> and resolves when it has decoded (or rejects). */
function loadImage(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${url}`));
    img.src = url;
  });
}

/**
 * `els`: { section, which, jobid, frame (the split picture), slider, img: { source, upscaled },
 * dims: { source, upscaled }, download: { source, upscaled }, zoom: { before, after }, zoomFactor }.
 */
export function createCompare(els) {
  let focus = { x: 0.5, y: 0.55 }; // zoom centre, as a fraction of the picture (about the horizon)
  const draw = () => drawZoom(els, focus);
  els.slider.addEventListener('input', (e) => els.frame.style.setProperty('--split', `${e.target.value}%`));
  els.frame.addEventListener('click', (e) => {
    const box = els.frame.getBoundingClientRect();
    focus = { x: (e.clientX - box.left) / box.width, y: (e.clientY - box.top) / box.height };
    draw();
  });
  return {
    /** Shows `source` (an image of the generation) and `upscaled` (its upscale's image). */
    async show({ source, upscaled, label, jobid, resolution }) {
      els.section.hidden = false;
      els.which.textContent = label;
      els.jobid.textContent = jobid;
      const factor = source.width ? upscaled.width / source.width : 0;
      els.dims.source.textContent = `${source.width} × ${source.height}`;
      els.dims.upscaled.textContent = `${upscaled.width} × ${upscaled.height}` + (factor ? ` · ${Number(factor.toFixed(1))}× larger` : '');
      els.zoomFactor.textContent = factor ? `${Number(factor.toFixed(1))}×` : '';
      for (const [which, image, name] of [['source', source, 'source'], ['upscaled', upscaled, `upscaled-${resolution}`]]) {
        const link = els.download[which];
        link.href = image.imageUrl;
        link.download = `${name}.${extension(image.format)}`;
        const img = els.img[which];
        img.dataset.width = image.width;
        img.dataset.height = image.height;
      }
      els.frame.style.aspectRatio = `${source.width} / ${source.height}`;
      els.frame.style.maxWidth = `calc(70vh * ${source.width / source.height})`; // whole picture on screen
      els.frame.classList.add('loading');
      try {
        await Promise.all([loadImage(els.img.source, source.imageUrl), loadImage(els.img.upscaled, upscaled.imageUrl)]);
      } finally {
        els.frame.classList.remove('loading');
      }
      draw();
    },
    hide() {
      els.section.hidden = true;
      els.img.source.removeAttribute('src');
      els.img.upscaled.removeAttribute('src');
    },
  };
}

/** Draws the same detail of both pictures: the region under `focus`, ZOOM_CSS_PX upscaled pixels wide. */
function drawZoom(els, focus) {
  const before = els.img.source;
  const after = els.img.upscaled;
  if (!before.naturalWidth || !after.naturalWidth) return;
  const scale = after.naturalWidth / before.naturalWidth;
  const side = ZOOM_CSS_PX; // in upscaled pixels
  const ax = clamp(focus.x * after.naturalWidth - side / 2, 0, after.naturalWidth - side);
  const ay = clamp(focus.y * after.naturalHeight - side / 2, 0, after.naturalHeight - side);
  for (const [canvas, img, x, y, w] of [
    [els.zoom.after, after, ax, ay, side],
    [els.zoom.before, before, ax / scale, ay / scale, side / scale],
  ]) {
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false; // show the source's real pixels, not a blur of them
    ctx.clearRect(0, 0, side, side);
    ctx.drawImage(img, x, y, w, w, 0, 0, side, side);
  }
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(Math.max(lo, hi), v));

/** A file extension for the API's `format` (the provider's pictures are `jpeg`). */
function extension(format = 'jpeg') {
  return format === 'jpeg' ? 'jpg' : String(format).toLowerCase();
}
