// The source generation: a prompt (and maybe a photo) → generateAndWait, or an existing job id →
// waitForJob, with its clock (status · seconds · polls, refreshed while it runs), its error, and
// its Cancel job button (client.cancel: the job stops on the server, then it is read again to
// show how it ended). The prompt has one home, view.source.prompt, set once the job id is known.
import { renderError, kindOf, isCancelled } from './errors.js';

/**
 * `els`: { run, status, jobid, progress, error, cancelJob }. `deps`: { view, busy, connection,
 * store, showFieldError, onSource(job) } — onSource shows a completed generation's images.
 */
export function createGeneration(els, { view, busy, connection, store, showFieldError, onSource }) {
  const clock = { started: 0, updates: 0, status: '', timer: 0, notPolls: 1 };
  let cancelled = null; // the job id cancelled on the server: once the wait stops, it is read again
  let running = null; // the AbortSignal of the run in progress

  function render() {
    const secs = ((performance.now() - clock.started) / 1000).toFixed(1);
    const polls = Math.max(0, clock.updates - clock.notPolls); // generateAndWait's first update is the POST reply
    els.status.textContent = [clock.status, `${secs} s`, `${polls} poll${polls === 1 ? '' : 's'}`].join(' · ');
  }

  function startClock(status, jobid, notPolls, keepTime) {
    Object.assign(clock, { updates: 0, status, notPolls });
    if (!keepTime) clock.started = performance.now();
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
    els.cancelJob.hidden = true;
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
  async function run({ wait, status, jobid = '', prompt, notPolls, keepTime = false }) {
    startClock(status, jobid, notPolls, keepTime);
    if (jobid) adopt(jobid, prompt, false);
    const onUpdate = (job) => {
      clock.updates += 1;
      clock.status = `Generating · status “${job.status}”`;
      if (job.jobid) adopt(job.jobid, prompt, true);
      els.jobid.textContent = job.jobid ?? '—';
      els.cancelJob.hidden = !job.jobid || job.status !== 'created';
      render();
    };
    const onStatus = (text) => {
      clock.status = text;
      render();
    };
    const signal = busy.start('generate');
    running = signal;
    try {
      const job = await wait(connection.client(), { signal, onUpdate, ...connection.pollOptions() }, onStatus);
      stopClock('done', 'Completed');
      els.error.hidden = true; // a Cancel job refused meanwhile is old news
      onSource(job);
    } catch (e) {
      const kind = kindOf(e);
      if (kind === 'aborted' && cancelled) return; // read again below, once this run has ended
      stopClock(isCancelled(e) || kind === 'aborted' ? 'cancelled' : 'error', statusOf(e, kind));
      renderError(els.error, e);
      if (kind === 'validation' && e.field) showFieldError(e.field, e.message);
      if (isCancelled(e) || ['job_failed', 'not_found', 'gone', 'validation'].includes(kind)) {
        // Nothing left to resume: a failed, unknown or refused generation is not kept. (After a
        // network error or a cancel the job id stays saved: a reload tries it again.)
        view.source = null;
        store.clear();
      }
    } finally {
      running = null;
      busy.end();
      if (cancelled) {
        const id = cancelled;
        cancelled = null;
        // waitForJob reads the job at once: the API's own word on how it ended.
        follow(id, { status: 'Cancelled · reading the job…', prompt, keepTime: true });
      }
    }
  }

  /** Cancels the running generation on the server (DELETE /scheduler/{jobid}). */
  async function cancelJob() {
    const jobid = view.source?.jobid;
    const mine = running;
    if (!jobid || !mine) return;
    els.cancelJob.disabled = true;
    clock.status = 'Cancelling the job…';
    render();
    try {
      await connection.client().cancel(jobid, { timeoutMs: 15_000 });
      // Its wait may have ended meanwhile (it saw the job fail): then that run said how.
      if (running !== mine) return;
      cancelled = jobid;
      busy.abort();
    } catch (e) {
      // Not cancelled (it had just finished, or the API could not be reached): the wait goes on,
      // or has ended and said how.
      if (running !== mine) return;
      renderError(els.error, e);
      clock.status = 'Generating · could not cancel';
      render();
    } finally {
      els.cancelJob.disabled = false;
    }
  }
  els.cancelJob.addEventListener('click', cancelJob);

  /** Follows an existing generation job; `prompt` when known (a reload), else the job's own. */
  function follow(jobid, { status = 'Loading the job…', prompt, keepTime } = {}) {
    return run({
      wait: (client, options) => client.waitForJob(jobid, options),
      status, jobid, prompt, notPolls: 0, keepTime,
    });
  }

  return {
    /**
     * A new generation of `request` (its prompt is the source's prompt). `reference(client,
     * signal, onStatus)` resolves with the photo's fields (imageRef_1, imageStrength) or {}.
     */
    generate: (request, reference) => run({
      wait: async (client, options, onStatus) => {
        const photo = await reference(client, options.signal, onStatus);
        return client.generateAndWait({ ...request, ...photo }, options);
      },
      status: 'Submitting…', prompt: request.prompt, notPolls: 1,
    }),
    follow,
    reset() {
      els.run.hidden = true;
      els.error.hidden = true;
      els.cancelJob.hidden = true;
    },
    /** Shows an error that stops a generation before it starts (e.g. a reload without a token). */
    showError: (e) => renderError(els.error, e),
  };
}

/** The status line's last word on a run that did not complete. */
function statusOf(e, kind) {
  if (isCancelled(e)) return 'Cancelled by user';
  if (kind === 'aborted') return 'Cancelled';
  if (kind === 'validation') return e.status ? 'Refused by the API' : 'Not sent';
  return 'Failed';
}
