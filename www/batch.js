// Upscales of the source's images: one (upscaleMany of one), all (upscaleAll), or, after a
// reload, the saved jobs still running (waitForJob each). One function starts and ends every
// batch: the busy state, the status line's clock, the save at the end. A running image's
// Cancel job button cancels its job on the server (client.cancel), then reads it once to show
// how it ended; the batch's own wait sees the same when it next polls.
import { renderError, kindOf, isCancelled } from './errors.js';

/**
 * `els`: { status, error }. `deps`: { view, busy, connection, store, gallery, options, select }
 * — select(index) shows an item's before/after once it is done.
 */
export function createBatch(els, { view, busy, connection, store, gallery, options, select }) {
  let started = 0;
  let timer = 0;

  function render() {
    const count = (s) => view.items.filter((it) => it.state === s).length;
    const parts = [`${count('done')} done`, `${count('running')} running`];
    if (count('queued')) parts.push(`${count('queued')} queued`);
    if (count('failed')) parts.push(`${count('failed')} failed`);
    if (count('cancelled')) parts.push(`${count('cancelled')} cancelled`);
    if (started) parts.push(`${((performance.now() - started) / 1000).toFixed(1)} s`);
    els.status.textContent = parts.join(' · ');
    gallery.tick(view);
  }

  /** A job snapshot of item `index` (its created job first, then each poll). */
  function onItemUpdate(index, job) {
    const it = view.items[index];
    const first = !it.jobid || it.jobid !== job.jobid;
    it.jobid = job.jobid ?? it.jobid;
    it.status = job.status;
    if (first) it.polls = 0;
    else it.polls += 1;
    it.state = 'running';
    if (first) store.save(view); // the job id, as soon as it is known
    gallery.renderTile(view, index);
  }

  /** Item `index` settled: `{status: 'fulfilled', value: job} | {status: 'rejected', reason}`. */
  function onItemResult(index, result) {
    const it = view.items[index];
    if (result.status === 'fulfilled') {
      const image = result.value.response?.images?.[0];
      Object.assign(it, { state: 'done', job: result.value, jobid: result.value.jobid, error: null, size: image ? `${image.width} × ${image.height}` : '' });
      if (view.selected === null || view.selected === index) select(index);
    } else {
      const e = result.reason;
      Object.assign(it, { state: kindOf(e) === 'aborted' || isCancelled(e) ? 'cancelled' : 'failed', error: e, jobid: e?.jobid ?? it.jobid });
    }
    store.save(view);
    gallery.renderTile(view, index);
    render();
  }

  /**
   * Runs one batch over the items `indexes`: `work(client, signal)` does the calls and reports
   * through onItemUpdate/onItemResult. It rejects only when the batch itself is refused (bad
   * options): nothing was sent, the items go back to idle and the error shows.
   */
  async function run(indexes, work) {
    const signal = busy.start('batch');
    started = performance.now();
    clearInterval(timer);
    timer = setInterval(render, 200);
    let refused = false;
    try {
      await work(connection.client(), signal);
    } catch (e) {
      refused = true;
      for (const i of indexes) if (view.items[i].state === 'queued') view.items[i].state = 'idle';
      renderError(els.error, e);
      if (kindOf(e) === 'validation' && e.field) options.showFieldError(e.field, e.message);
    } finally {
      clearInterval(timer);
      render();
      if (refused) els.status.textContent = 'Not sent';
      started = 0;
      busy.end();
      store.save(view);
    }
  }

  /** Upscales the images `indexes` of the source (all of them with upscaleAll). */
  async function upscale(indexes, all = false) {
    if (busy.busy || !view.source) return;
    els.error.hidden = true;
    let settings;
    try {
      settings = options.upscaleSettings();
    } catch (e) {
      renderError(els.error, e);
      return;
    }
    for (const i of indexes) Object.assign(view.items[i], { state: 'queued', jobid: null, job: null, error: null, polls: 0, started: performance.now() });
    store.save(view);
    const { concurrency, ...request } = settings;
    const jobid = view.source.jobid;
    await run(indexes, (client, signal) => {
      const hooks = {
        signal,
        onUpdate: ({ index, job }) => onItemUpdate(all ? index : indexes[index], job),
        onResult: (index, result) => onItemResult(all ? index : indexes[index], result),
        ...connection.pollOptions(),
        ...(concurrency === undefined ? {} : { concurrency }),
      };
      if (all) return client.upscaleAll(jobid, { ...request, ...hooks });
      return client.upscaleMany(indexes.map((imageIndex) => ({ jobid, imageIndex, ...request })), hooks);
    });
  }

  /** After a reload: follows the saved jobs `indexes` (each has its job id) until they settle. */
  function follow(indexes) {
    return run(indexes, (client, signal) => Promise.all(indexes.map(async (i) => {
      const it = view.items[i];
      Object.assign(it, { state: 'running', polls: 0, started: performance.now() });
      gallery.renderTile(view, i);
      try {
        const job = await client.waitForJob(it.jobid, { signal, onUpdate: (j) => onItemUpdate(i, j), ...connection.pollOptions() });
        onItemResult(i, { status: 'fulfilled', value: job });
      } catch (e) {
        onItemResult(i, { status: 'rejected', reason: e });
      }
    })));
  }

  /** Cancels the running upscale of item `index` on the server. */
  async function cancel(index) {
    const it = view.items[index];
    if (it?.state !== 'running' || !it.jobid || it.cancelling) return;
    const jobid = it.jobid;
    it.cancelling = true;
    gallery.renderTile(view, index);
    try {
      const client = connection.client();
      await client.cancel(jobid, { timeoutMs: 15_000 });
      // waitForJob reads the job at once: the package's own word on how it ended, without
      // waiting for the batch's next poll (which sees the same).
      const ended = await client.waitForJob(jobid, { timeoutMs: 15_000, ...connection.pollOptions() }).then(() => null, (e) => e);
      if (isCancelled(ended) && it.jobid === jobid && it.state === 'running') onItemResult(index, { status: 'rejected', reason: ended });
    } catch (e) {
      // Not cancelled (it had just finished, or the API could not be reached): its wait goes on,
      // or has ended and said how.
      if (it.jobid === jobid && it.state === 'running') renderError(els.error, e);
    } finally {
      it.cancelling = false;
      gallery.renderTile(view, index);
    }
  }

  return {
    upscale,
    follow,
    cancel,
    reset() {
      els.status.textContent = '';
      els.error.hidden = true;
    },
  };
}
