// The source job's images as thumbnails, each with its upscale's own state and progress.

import { kindOf, KIND_TITLES, isCancelled } from './errors.js';

const STATE_TEXT = {
  idle: () => 'Not upscaled yet',
  queued: () => 'Queued: waiting for a free slot',
  running: (it) => (it.cancelling ? 'Cancelling the job…' : `Upscaling · “${it.status ?? 'created'}” · ${secs(it)} · ${it.polls} poll${it.polls === 1 ? '' : 's'}`),
  done: (it) => `Done · ${it.size ?? ''} · ${secs(it)}`,
  // The job's own reason when it has one (e.g. "fail_code: 2043"); the full message is the tooltip.
  failed: (it) => `Failed · ${kindOf(it.error)}: ${it.error?.job?.error ?? it.error?.jobError ?? it.error?.message ?? ''}`,
  cancelled: (it) => {
    if (isCancelled(it.error)) return 'Cancelled by user: the job was stopped';
    return it.jobid ? 'Cancelled: stopped waiting (the job may still finish)' : 'Cancelled before it was sent: no job';
  },
  interrupted: () => 'Interrupted by a reload before its job id was known: upscale it again',
};

const secs = (it) => (it.started ? `${((performance.now() - it.started) / 1000).toFixed(1)} s` : '');

/** The tiles of `list` (a <ul>), one per image of view.source. */
export function createGallery(list) {
  return {
    /** Builds the tiles for the source job's images; `onUpscale(index)`, `onCancel(index)`
     * (its button cancels the job while it runs), `onSelect(index)`. */
    render: (view, handlers) => renderGallery(list, view, handlers),
    /** Shows one item's state on its tile. */
    renderTile: (view, index) => renderTile(list, view, index),
    /** Every tile again (the busy state or the selection changed). */
    renderAll: (view) => view.items.forEach((_, i) => renderTile(list, view, i)),
    /** Refreshes the running tiles' clocks. */
    tick: (view) => view.items.forEach((it, i) => { if (it.state === 'running') renderTile(list, view, i); }),
    clear: () => list.replaceChildren(),
  };
}

function renderGallery(list, view, { onUpscale, onCancel, onSelect }) {
  list.replaceChildren();
  view.source.images.forEach((image, index) => {
    const li = document.createElement('li');
    li.className = 'tile';
    li.dataset.index = index;
    li.innerHTML = `
      <button type="button" class="thumb" aria-label="Compare image ${index + 1}"><img alt="Generated image ${index + 1}"></button>
      <div class="tile-body">
        <p class="tile-head"><strong>Image ${index + 1}</strong> <span class="dims"></span></p>
        <progress aria-label="Upscale progress of image ${index + 1}"></progress>
        <p class="tile-status" aria-live="polite"></p>
        <button type="button" class="btn btn-small btn-secondary upscale-one">Upscale</button>
      </div>`;
    const img = li.querySelector('img');
    img.src = image.imageUrl;
    img.dataset.width = image.width;
    img.dataset.height = image.height;
    li.querySelector('.dims').textContent = `${image.width} × ${image.height}`;
    li.querySelector('.upscale-one').addEventListener('click', () => (view.items[index]?.state === 'running' ? onCancel(index) : onUpscale(index)));
    li.querySelector('.thumb').addEventListener('click', () => onSelect(index));
    list.append(li);
    renderTile(list, view, index);
  });
}

function renderTile(list, view, index) {
  const li = list.querySelector(`.tile[data-index="${index}"]`);
  const it = view.items[index];
  if (!li || !it) return;
  li.dataset.state = it.state;
  li.classList.toggle('selected', view.selected === index);
  li.querySelector('.tile-status').textContent = STATE_TEXT[it.state](it);
  li.querySelector('.tile-status').title = it.state === 'failed' ? `${KIND_TITLES[kindOf(it.error)] ?? ''}: ${it.error?.message ?? ''}` : '';
  const bar = li.querySelector('progress');
  bar.hidden = it.state === 'idle' || it.state === 'interrupted';
  if (it.state === 'done') bar.value = 1;
  else if (it.state === 'running' || it.state === 'queued') bar.removeAttribute('value');
  else bar.value = 0;
  const button = li.querySelector('.upscale-one');
  const running = it.state === 'running';
  button.textContent = running ? 'Cancel job' : it.state === 'done' ? 'Upscale again' : it.state === 'failed' ? 'Retry' : 'Upscale';
  button.setAttribute('aria-label', `${button.textContent}: image ${index + 1}`); // one of four alike
  button.classList.toggle('btn-ghost', running);
  button.classList.toggle('btn-secondary', !running);
  // While a batch runs, a running image's button cancels its job; the others wait.
  button.disabled = running ? !it.jobid || !!it.cancelling : view.busy;
  li.querySelector('.thumb').disabled = it.state !== 'done';
}
