// One generation or batch at a time. While one runs, the buttons that would start another are
// off and its own Cancel button shows; Cancel (or starting over) aborts it.

/**
 * `els`: { starters (buttons that start a run), cancelGenerate, cancelBatch }.
 * `onChange(busy)` runs after every start and end.
 */
export function createBusy(els, onChange) {
  let running = null; // { what: 'generate' | 'batch', controller }

  function render() {
    const busy = running !== null;
    for (const b of els.starters) b.disabled = busy;
    els.cancelGenerate.hidden = running?.what !== 'generate';
    els.cancelBatch.hidden = running?.what !== 'batch';
    onChange(busy);
  }
  const abort = () => running?.controller.abort();
  els.cancelGenerate.addEventListener('click', abort);
  els.cancelBatch.addEventListener('click', abort);

  return {
    get busy() { return running !== null; },
    /** Takes the busy state for `what`; returns the AbortSignal of that run. */
    start(what) {
      running = { what, controller: new AbortController() };
      render();
      return running.controller.signal;
    },
    end() {
      running = null;
      render();
    },
    abort,
  };
}
