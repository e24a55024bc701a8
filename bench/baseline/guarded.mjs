// A second baseline, for diagnosis: plain JS (bench/baseline/plain.mjs) plus exactly the per-call
// work the package's fetch layer does in JS objects, written by hand: a `Request` built from a
// `RequestInit` and `Headers` for the global fetch (or `(url, init)` with its own copy of the
// headers for a caller's fetch), an `AbortController` per request, and a timeout set and
// cleared. The gap between this and plain JS is what the card's fetch form costs in the
// runtime itself, before any wasm.
export function createClient({ token, baseUrl, timeoutMs = 30_000, fetch }) {
  const shared = new Headers({ Accept: 'application/json', Authorization: `Bearer ${token}` });
  async function call(path) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const url = baseUrl + path;
      const res = fetch
        ? await fetch(url, { method: 'GET', headers: new Headers(shared), signal: controller.signal })
        : await globalThis.fetch(new Request(url, { method: 'GET', headers: shared, signal: controller.signal }));
      const text = await res.text();
      let data = null;
      try { data = JSON.parse(text); } catch {}
      if (!res.ok || !data || typeof data.status !== 'string') throw new Error(`HTTP ${res.status}`);
      return data;
    } finally {
      clearTimeout(timer);
    }
  }
  return { getJob: (jobid) => call(`/images/${encodeURIComponent(jobid)}`) };
}
