// Demo page of dreamina-upscale. It uses the built package exactly as any web app would: the
// package by its name (the import map in index.html), its public DreaminaClient methods and
// DreaminaError; nothing private. Flow: prompt (and maybe a photo: uploadImage) ->
// generateAndWait -> thumbnails -> upscaleMany (one) or upscaleAll -> compare; Cancel job
// buttons (cancel) and the account's credits (listAccounts, getAccount). This file boots the
// page: it finds the elements (the only place that reads ids), hands each module its own, wires
// them together, then resumes what a previous page left running. Any failure on the way shows
// in the page's boot-error box.
import { renderError } from './errors.js';
import { createConnection } from './connection.js';
import { createBusy } from './busy.js';
import { createGeneration } from './generation.js';
import { createBatch } from './batch.js';
import { createGallery } from './gallery.js';
import { createCompare } from './compare.js';
import { createOptions } from './options.js';
import { createPhoto } from './photo.js';
import { createAccount } from './account.js';
import { resume } from './resume.js';
import * as store from './store.js';

const $ = (id) => document.getElementById(id);

function boot() {
  /** Everything on screen: the mode, the source generation, one item per image, the selected one. */
  const view = { mode: 'sandbox', source: null, items: [], selected: null, busy: false };

  let photo = null; // made once the connection is
  const options = createOptions(document.querySelector('main'), [$('gen-form'), $('upscale-form')], { hasPhoto: () => !!photo?.chosen() });
  const gallery = createGallery($('gallery'));
  const compare = createCompare({
    section: $('compare'), which: $('compare-which'), jobid: $('compare-jobid'), frame: $('cmp'), slider: $('cmp-slider'),
    img: { source: $('img-source'), upscaled: $('img-upscaled') },
    dims: { source: $('dims-source'), upscaled: $('dims-upscaled') },
    download: { source: $('dl-source'), upscaled: $('dl-upscaled') },
    zoom: { before: $('zoom-before'), after: $('zoom-after') },
    zoomFactor: $('zoom-factor'),
  });
  const connection = createConnection({
    modes: [...document.querySelectorAll('input[name="mode"]')],
    sandboxPanel: $('sandbox-panel'), livePanel: $('live-panel'), sandboxUrl: $('sandbox-url'),
    token: $('token'), remember: $('remember'),
  }, {
    onTokenInput: () => options.showFieldError('token', ''),
    onModeChange(mode) {
      options.showFieldError('token', '');
      account.clear();
      // Another API: the jobs on the page belong to the other one, so start over.
      if (view.source && view.mode !== mode) startOver();
      view.mode = mode;
    },
  });
  const account = createAccount({ check: $('credits-check'), out: $('credits') }, { connection });
  photo = createPhoto({
    input: $('photo'), drop: $('photo-drop'), preview: $('photo-preview'), name: $('photo-name'),
    clear: $('photo-clear'), strength: $('strength-field'),
  }, { options, connection });
  const busy = createBusy({ starters: [$('generate'), $('load'), $('upscale-all')], cancelGenerate: $('gen-cancel'), cancelBatch: $('batch-cancel') }, (isBusy) => {
    view.busy = isBusy;
    connection.lock(isBusy);
    gallery.renderAll(view);
  });

  /** Shows the before/after of item `index` once its upscale is done. */
  function select(index) {
    const it = view.items[index];
    if (it?.state !== 'done') return;
    view.selected = index;
    gallery.renderAll(view);
    store.save(view);
    const upscaled = it.job.response?.images?.[0];
    const source = view.source.images[index];
    if (!upscaled || !source) return;
    compare.show({ source, upscaled, label: `image ${index + 1}`, jobid: it.jobid, resolution: it.job.request?.resolution ?? '4k' })
      .catch((e) => renderError($('batch-error'), e));
  }

  const batch = createBatch({ status: $('batch-status'), error: $('batch-error') }, { view, busy, connection, store, gallery, options, select });
  const generation = createGeneration({
    run: $('gen-run'), status: $('gen-status'), jobid: $('gen-jobid'), progress: $('gen-progress'), error: $('gen-error'), cancelJob: $('gen-cancel-job'),
  }, {
    view, busy, connection, store, showFieldError: options.showFieldError,
    onSource(job) {
      // A completed generation: its images become the items to upscale.
      const images = job.response?.images ?? [];
      view.source = { jobid: job.jobid, job, images, prompt: view.source?.prompt ?? job.request?.prompt };
      view.items = images.map(() => ({ state: 'idle', polls: 0 }));
      $('pick').hidden = false;
      gallery.render(view, { onUpscale: (i) => batch.upscale([i]), onCancel: (i) => batch.cancel(i), onSelect: select });
      store.save(view);
      account.refresh(); // a generation may have cost credits
    },
  });

  function startOver() {
    busy.abort();
    Object.assign(view, { source: null, items: [], selected: null });
    $('pick').hidden = true;
    gallery.clear();
    batch.reset();
    generation.reset();
    compare.hide();
    store.clear();
  }

  $('gen-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (busy.busy) return;
    startOver();
    generation.generate(options.generateRequest(), photo.reference);
  });
  $('load').addEventListener('click', () => {
    const jobid = $('jobid').value.trim();
    if (busy.busy) return;
    startOver();
    generation.follow(jobid); // the job's own prompt once it is read
  });
  $('upscale-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (view.source) batch.upscale(view.source.images.map((_, i) => i), true);
  });
  view.mode = connection.mode();
  return () => resume({ view, store, connection, generation, batch, gallery, options, select });
}

/** Every kind of boot failure, thrown or rejected, before or after the page is ready. */
function bootFailed(e) {
  console.error(e);
  window.bootFailed(`The page failed to start: ${e?.message ?? e}`, { evenIfReady: true });
}

try {
  const resumeSaved = boot();
  document.documentElement.dataset.ready = '1';
  resumeSaved().catch(bootFailed);
} catch (e) {
  bootFailed(e);
}
