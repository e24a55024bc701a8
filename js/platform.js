// Platform glue for the wasm client: one fetch exchange and one abortable sleep, each a single
// promise. Keeping these few lines in JS saves the Rust side a futures `select`, a timer
// closure and a dozen boundary crossings per request. No decisions are made here: every
// outcome goes back to Rust (src/wasm/transport.rs) to be classified. Both functions are
// async, so nothing here can throw through the wasm module: failures are rejections.

/**
 * Sends one request and reads its body. Resolves `[status, retryAfter, contentType, text]`.
 * Rejects with a string: `"timeout"`, `"aborted"` (before sending) or `"aborted_in_flight"`;
 * with `["body", error, status]` when the body broke off, `["too_large", status]` for a body
 * over `maxBytes`; or with fetch's own error. The timeout and the signal settle the promise
 * even when a caller's `fetch` ignores `init.signal`.
 */
export async function exchange(fetchFn, url, method, headers, body, timeoutMs, signal, maxBytes) {
  if (signal?.aborted) throw 'aborted';
  const controller = new AbortController();
  let why;
  let sent = false;
  let fail;
  const stopped = new Promise((_, reject) => { fail = reject; });
  stopped.catch(() => {}); // observed through the races below
  const stop = (reason) => { why ??= reason; controller.abort(); fail(why); };
  const onAbort = () => stop(sent ? 'aborted_in_flight' : 'aborted');
  signal?.addEventListener('abort', onAbort);
  const timer = setTimeout(stop, timeoutMs, 'timeout');
  const init = { method, headers, signal: controller.signal };
  if (body !== undefined) init.body = body;
  try {
    sent = true;
    const resp = await Promise.race([(fetchFn ?? globalThis.fetch)(url, init), stopped]);
    const h = resp.headers;
    if (Number(h.get('content-length')) > maxBytes) stop(['too_large', resp.status]);
    if (why) throw why;
    let text;
    try {
      text = await Promise.race([resp.text(), stopped]);
    } catch (e) {
      throw why ?? ['body', e, resp.status];
    }
    return [resp.status, h.get('retry-after'), h.get('content-type'), text];
  } catch (e) {
    throw why ?? e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
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
