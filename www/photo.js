// "Start from your own photo": a picked or dropped file, checked by the package as soon as it is
// chosen (nothing is sent), shown as a preview, then uploaded with uploadImage when Generate is
// clicked; its assetRef becomes the generation's imageRef_1, with the imageStrength field. One
// upload per file and API: generating again from the same photo reuses its assetRef.

/**
 * `els`: { input (the file input), drop (the drop zone), preview (<img>), name, clear (button),
 * strength (the imageStrength field's box) }. `deps`: { options, connection }.
 */
export function createPhoto(els, { options, connection }) {
  let file = null; // the chosen File (one the package refuses stays chosen: Generate says why again)
  let uploaded = null; // { file, mode, asset } of the last upload
  let previewUrl = '';

  function show(chosen) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = chosen ? URL.createObjectURL(chosen) : '';
    if (previewUrl) els.preview.src = previewUrl;
    else els.preview.removeAttribute('src');
    els.preview.hidden = !chosen;
    els.name.hidden = !chosen;
    els.name.textContent = chosen ? `${chosen.name} · ${formatBytes(chosen.size)}` : '';
    els.clear.hidden = !chosen;
    els.strength.hidden = !chosen;
    els.drop.classList.toggle('has-photo', !!chosen);
  }

  async function choose(candidate) {
    file = candidate;
    show(null);
    if (!candidate) options.showFieldError('data', '');
    else if (await options.checkPhoto(candidate)) show(candidate);
    else els.clear.hidden = false;
    options.checkField('prompt'); // a photo makes the prompt optional
  }

  els.input.addEventListener('change', () => choose(els.input.files[0] ?? null));
  els.preview.addEventListener('load', () => {
    if (file) els.name.textContent = `${file.name} · ${els.preview.naturalWidth} × ${els.preview.naturalHeight} · ${formatBytes(file.size)}`;
  });
  els.clear.addEventListener('click', () => {
    els.input.value = '';
    choose(null);
    els.input.focus();
  });
  // Dropping a file is the same as picking it (the input is the keyboard's way in).
  for (const type of ['dragenter', 'dragover']) {
    els.drop.addEventListener(type, (e) => {
      e.preventDefault();
      els.drop.classList.add('dragging');
    });
  }
  els.drop.addEventListener('dragleave', (e) => {
    if (!els.drop.contains(e.relatedTarget)) els.drop.classList.remove('dragging');
  });
  els.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    els.drop.classList.remove('dragging');
    const dropped = e.dataTransfer?.files?.[0];
    if (!dropped) return;
    els.input.value = ''; // the input no longer says which file is used
    choose(dropped);
  });

  return {
    /** A photo is chosen (and sendable). */
    chosen: () => file !== null,
    /**
     * The reference fields of a generation from the chosen photo ({} without one): uploads it
     * first (once per file and API). `onStatus(text)` tells what it is doing. A file the
     * package refuses rejects with its validation error (naming `data`), and nothing is sent.
     */
    async reference(client, signal, onStatus) {
      const picked = file;
      if (!picked) return {};
      const mode = connection.mode();
      if (uploaded?.file !== picked || uploaded.mode !== mode) {
        onStatus(`Uploading your photo (${formatBytes(picked.size)})…`);
        const asset = await client.uploadImage(picked, { signal });
        uploaded = { file: picked, mode, asset };
      }
      onStatus('Submitting…');
      return { imageRef_1: uploaded.asset.assetRef, ...options.photoSettings() };
    },
  };
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
