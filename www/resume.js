// After a reload: pick up what the previous page left running, from what store.js saved — the
// generation (followed again by its job id) and every upscale whose job id was seen. An upscale
// that was queued or running without a job id is shown as interrupted: it may never have been sent.

/**
 * `deps`: { view, store, connection, generation, batch, gallery, options, select }.
 * Resolves once every picked-up job has settled; rejects only on a fault of the page itself.
 */
export async function resume({ view, store, connection, generation, batch, gallery, options, select }) {
  const saved = store.load();
  if (!saved?.source?.jobid) return;
  if (saved.mode !== connection.mode()) connection.setMode(saved.mode);
  view.mode = saved.mode;
  const prompt = typeof saved.source.prompt === 'string' ? saved.source.prompt : undefined;
  if (prompt !== undefined) options.showPrompt(prompt);
  if (saved.mode === 'live' && !connection.hasToken()) {
    generation.showError({ kind: 'validation', message: `Enter your token to pick up job ${saved.source.jobid} again (the token is never saved with the jobs).` });
    return;
  }
  await generation.follow(saved.source.jobid, {
    status: saved.source.done ? 'Loading the job…' : 'Picking up the generation in flight…',
    prompt: saved.source.prompt,
  });
  if (!view.source?.job) return;

  const items = saved.items ?? [];
  const follow = [];
  view.items.forEach((it, i) => {
    const s = items[i];
    if (!s) return;
    if (s.jobid) it.jobid = s.jobid;
    if (s.error) it.error = s.error;
    if (s.jobid && ['running', 'queued', 'done'].includes(s.state)) follow.push(i);
    else if (s.state === 'queued' || s.state === 'running') it.state = 'interrupted';
    else if (s.state === 'failed' || s.state === 'cancelled') it.state = s.state;
    gallery.renderTile(view, i);
  });
  view.selected = null;
  if (follow.length) await batch.follow(follow);
  if (Number.isInteger(saved.selected)) select(saved.selected);
}
