// The source generation: a prompt → generateAndWait, or an existing job id → waitForJob, with its
// clock (status · seconds · polls, refreshed while it runs) and its error. The prompt has one
// home, view.source.prompt, set once the job id is known.
import { renderError, kindOf } from './errors.js';

/**
 * `els`: { run, status, jobid, progress, error }. `deps`: { view, busy, connection, store,
 * showFieldError, onSource(job) } — onSource shows a completed generation's images.
 */
export function createGeneration(els, { view, busy, connection, store, showFieldError, onSource }) {
  const clock = { started: 0, updates: 0, status: '', timer: 0, notPolls: 1 };

  function render() {
    const secs = ((performance.now() - clock.started) / 1000).toFixed(1);
    const polls = Math.max(0, clock.updates - clock.notPolls); // generateAndWait's first update is the POST reply
    els.status.textContent = [clock.status, `${secs} s`, `${polls} poll${polls === 1 ? '' : 's'}`].join(' · ');
  }

  function startClock(status, jobid, notPolls) {
    Object.assign(clock, { started: performance.now(), updates: 0, status, notPolls });
    els.run.hidden = false;
    els.run.dataset.state = 'running';
    els.error.hidden = true;
    els.jobid.textContent = jobid || '—';
    els.progress.removeAttribute('value'); // indeterminate: the API reports no percentage
    clearInterval(clock.timer);
    clock.timer = setInterval(render, 100);
    render();
  }

  function stopClock(state, status) {
    clearInterval(clock.timer);
    clock.status = status;
    els.run.dataset.state = state;
    els.progress.value = state === 'done' ? 1 : 0;
    render();
  }

  /** The job of this run (and its prompt) becomes the source; saved when it comes from the POST
   * reply, so a reload can pick it up again (a followed job was saved, or is the user's own). */
  function adopt(jobid, prompt, save) {
    if (view.source) return;
    view.source = { jobid, job: null, images: [], prompt };
    view.items = [];
    if (save) store.save(view);
  }

  /**
   * One run: `wait(client, options)` is generateAndWait or waitForJob; `jobid` is known up front
   * when following an existing job, else it comes with the first update (the POST reply).
   */
  async function run({ wait, status, jobid = '', prompt, notPolls }) {
    startClock(status, jobid, notPolls);
    if (jobid) adopt(jobid, prompt, false);
    const onUpdate = (job) => {
      clock.updates += 1;
      clock.status = `Generating · status “${job.status}”`;
      if (job.jobid) adopt(job.jobid, prompt, true);
      els.jobid.textContent = job.jobid ?? '—';
      render();
    };
    const signal = busy.start('generate');
    try {
      const job = await wait(connection.client(), { signal, onUpdate, ...connection.pollOptions() });
      stopClock('done', 'Completed');
      onSource(job);
    } catch (e) {
      const kind = kindOf(e);
      stopClock(kind === 'aborted' ? 'cancelled' : 'error', kind === 'aborted' ? 'Cancelled' : kind === 'validation' ? 'Not sent' : 'Failed');
      renderError(els.error, e);
      if (kind === 'validation' && e.field) showFieldError(e.field, e.message);
      if (['job_failed', 'not_found', 'gone', 'validation'].includes(kind)) {
        // Nothing left to resume: a failed, unknown or refused generation is not kept. (After a
        // network error or a cancel the job id stays saved: a reload tries it again.)
        view.source = null;
        store.clear();
      }
    } finally {
      busy.end();
    }
  }

  return {
    /** A new generation of `request` (its prompt is the source's prompt). */
    generate: (request) => run({
      wait: (client, options) => client.generateAndWait(request, options),
      status: 'Submitting…', prompt: request.prompt, notPolls: 1,
    }),
    /** Follows an existing generation job; `prompt` when known (a reload), else the job's own. */
    follow: (jobid, { status = 'Loading the job…', prompt } = {}) => run({
      wait: (client, options) => client.waitForJob(jobid, options),
      status, jobid, prompt, notPolls: 0,
    }),
    reset() {
      els.run.hidden = true;
      els.error.hidden = true;
    },
    /** Shows an error that stops a generation before it starts (e.g. a reload without a token). */
    showError: (e) => renderError(els.error, e),
  };
}
