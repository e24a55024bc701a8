// Platform glue for the wasm client: one fetch exchange and one abortable sleep, each a single
// promise. Keeping these few lines in JS saves the Rust side a futures `select`, a timer
// closure and a dozen boundary crossings per request. No decisions are made here: every
// outcome goes back to Rust (src/wasm/transport.rs) to be classified.

/**
 * Sends one request and reads its body. Resolves `[status, retryAfter, contentType, text]`;
 * rejects `"timeout"` or `"aborted"` (strings), `["body", error, status]` when the body broke off,
 * `["too_large", status]` for a body over `maxBytes`, or fetch's own error.
 */
export function exchange(fetchFn, url, method, headers, body, timeoutMs, signal, maxBytes) {
  if (signal?.aborted) return Promise.reject('aborted');
  const controller = new AbortController();
  let why;
  const stop = (reason) => { why ??= reason; controller.abort(); };
  const onAbort = () => stop('aborted');
  signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(stop, timeoutMs, 'timeout');
  const init = { method, headers, signal: controller.signal };
  if (body !== undefined) init.body = body;
  const done = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); };
  return (async () => {
    try {
      const resp = await (fetchFn ?? globalThis.fetch)(url, init);
      const h = resp.headers;
      if (Number(h.get('content-length')) > maxBytes) stop(['too_large', resp.status]);
      if (why) throw why;
      let text;
      try { text = await resp.text(); } catch (e) { throw why ?? ['body', e, resp.status]; }
      return [resp.status, h.get('retry-after'), h.get('content-type'), text];
    } catch (e) {
      throw why ?? e;
    } finally {
      done();
    }
  })();
}

/** Resolves after `ms`, or rejects `"aborted"` as soon as `signal` fires; leaves no timer. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject('aborted');
    const onAbort = () => { clearTimeout(timer); reject('aborted'); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
