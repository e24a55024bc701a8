// What the demo keeps across reloads, in localStorage: the mode, the source generation job and
// each image's upscale job id and state. Never the token. A reloaded page follows every job id
// that was still running; an item whose job id was never seen is shown as interrupted.

const KEY = 'dreamina-demo-jobs';

/** The saved state, or null (nothing saved, storage blocked, or not ours). */
export function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    return saved?.v === 1 ? saved : null;
  } catch {
    return null;
  }
}

/** Saves the parts of the view needed to pick the jobs up again (job ids, states, errors). */
export function save(view) {
  if (!view.source) return clear();
  const data = {
    v: 1,
    mode: view.mode,
    source: { jobid: view.source.jobid, done: !!view.source.job, prompt: view.source.prompt ?? null },
    items: view.items.map((it) => ({
      state: it.state,
      jobid: it.jobid ?? null,
      error: it.error ? { kind: it.error.kind ?? 'unexpected', message: String(it.error.message ?? it.error), jobError: it.error.job?.error ?? it.error.jobError ?? null } : null,
    })),
    selected: view.selected,
  };
  try {
    localStorage.setItem(KEY, JSON.stringify(data));
  } catch {
    // Storage blocked or full: the page still works, it just cannot resume after a reload.
  }
}

export function clear() {
  try {
    localStorage.removeItem(KEY);
  } catch {}
}
