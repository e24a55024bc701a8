// The baseline: the same flow as the package (POST an upscale, poll the job, map errors), written
// by hand in plain JavaScript the way a user would.
const DEFAULT_BASE = 'https://api.useapi.net/v1/dreamina';

export class UpscaleError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = 'UpscaleError';
    this.status = status;
    this.body = body;
  }
}

export function createClient({ token, baseUrl = DEFAULT_BASE, fetch = globalThis.fetch }) {
  // What a user writes by hand: fetch, res.text(), JSON.parse, a status check. No timeout and no
  // AbortController of its own (the caller's signal is passed on when given): whatever the
  // package does beyond this per call is what the benchmark ratios price.
  async function call(method, path, body, signal) {
    const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    if (body) headers['Content-Type'] = 'application/json';
    const res = await fetch(baseUrl + path, { method, headers, body: body && JSON.stringify(body), signal });
    const text = await res.text();
    let data = null;
    try { data = JSON.parse(text); } catch {}
    if (!res.ok) throw new UpscaleError(data?.error ?? `HTTP ${res.status}`, res.status, data);
    if (!data || typeof data.status !== 'string') throw new UpscaleError('Invalid response', res.status, data);
    return data;
  }

  const sleep = (ms, signal) => new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });

  const getJob = (jobid, { signal } = {}) => call('GET', `/images/${encodeURIComponent(jobid)}`, undefined, signal);

  async function waitForJob(jobid, { intervalMs = 10_000, timeoutMs: waitMs = 600_000, signal } = {}) {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const job = await getJob(jobid, { signal });
      if (job.status === 'completed') return job;
      if (job.status === 'failed') throw new UpscaleError(`Job failed: ${job.error}`, 200, job);
      if (Date.now() + intervalMs > deadline) throw new UpscaleError('Timed out waiting for the job', 0, job);
      await sleep(intervalMs, signal);
    }
  }

  return {
    getJob,
    waitForJob,
    upscale: (request, { signal } = {}) => call('POST', '/images/upscale', request, signal),
    async upscaleAndWait(request, opts = {}) {
      const job = await call('POST', '/images/upscale', request, opts.signal);
      return waitForJob(job.jobid, opts);
    },
  };
}
