// The one flow every runtime runs, written in plain ES2022 with no runtime-specific API so the
// same file works in Node, Deno, Bun, Chromium (native or bundled by Vite) and workerd.
// It returns a plain summary; the runner (run.mjs) asserts on it, so a runtime that fails
// half-way still reports what it saw.

/**
 * @param {{DreaminaClient: Function, DreaminaError: Function}} lib the package's exports
 * @param {{baseUrl: string, token: string, jobid: string}} cfg where the mock API is
 */
export async function runFlow(lib, { baseUrl, token, jobid }) {
  const { DreaminaClient, DreaminaError } = lib;
  const client = new DreaminaClient({ token, baseUrl, retryBaseDelayMs: 50 });
  const created = await client.upscale({ jobid, upscaleResolution: '2k' });
  const seen = [];
  const done = await client.waitForJob(created.jobid, {
    pollIntervalMs: 100,
    timeoutMs: 20000,
    onUpdate: (job) => seen.push(job.status),
  });
  const image = done.response?.images?.[0];
  return {
    createdStatus: created.status,
    status: done.status,
    sameJob: done.jobid === created.jobid,
    imageLongSide: image ? Math.max(image.width, image.height) : null,
    updates: seen.length,
    error: await describeError(client, jobid, DreaminaError),
  };
}

/** A request the client refuses before any I/O: the rejection must be a DreaminaError. */
async function describeError(client, jobid, DreaminaError) {
  try {
    await client.upscale({ jobid, imageIndex: 9 });
    return { thrown: false };
  } catch (e) {
    return { thrown: true, name: e?.name, kind: e?.kind, field: e?.field, isError: e instanceof Error, isDreaminaError: e instanceof DreaminaError };
  }
}
