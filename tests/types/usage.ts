// A user's TypeScript, resolving 'dreamina-upscale' from node_modules as any project does.
// Compiled with `tsc --noEmit --strict` by check.mjs. Each `@ts-expect-error` line must fail to
// compile (tsc reports an unused directive otherwise), so the types are known to refuse it.
import {
  DreaminaClient, DreaminaError, ready,
  type ClientOptions, type UpscaleRequest, type WaitOptions, type Job, type JobImage, type DreaminaErrorKind,
  type Account, type AccountSummary, type RunningJobs, type GenerateFields,
  type Asset, type UploadData,
} from 'dreamina-upscale';
import type { Equal, IsAny, Expect } from './assert.js';

export async function upscaleOne(token: string, jobid: string, signal: AbortSignal): Promise<JobImage | undefined> {
  await ready;
  const options: ClientOptions = { token, timeoutMs: 10_000, maxRetries: 2, fetch: globalThis.fetch };
  const client = new DreaminaClient(options);
  const request: UpscaleRequest = { jobid, imageIndex: 1, upscaleResolution: '8k', detailStrength: 0.4 };
  const created = await client.upscale(request); // options may be omitted
  const again = await client.getJob(created.jobid, { signal });
  const wait: WaitOptions = { pollIntervalMs: 500, signal, onUpdate: (job) => console.log(job.status, again.jobid) };
  const done = await client.waitForJob(created.jobid, wait);
  const direct = await client.upscaleAndWait({ jobid });
  console.log(direct.response?.images?.length, client.baseUrl.toUpperCase());
  return done.response?.images?.[0];
}

/** Every kind is known by name, and there are no others (the `never` below). */
export function explain(e: unknown): string {
  if (!(e instanceof DreaminaError)) return 'not ours';
  switch (e.kind) {
    case 'validation': return `bad ${e.field}`;
    case 'rate_limited': return `retry in ${e.retryAfterMs ?? 0} ms`;
    case 'job_failed': return `job ${e.job?.jobid} failed: ${e.job?.error}`;
    case 'cancelled': return `job ${e.jobid} was cancelled`;
    case 'unauthorized': case 'payment_required': case 'not_found': case 'gone': case 'moderated':
    case 'account_error': case 'server': case 'network': case 'timeout': case 'aborted':
    case 'invalid_response':
      return `${e.kind} (${e.status ?? 'no status'}, job ${e.jobid ?? 'none'})`;
    default: {
      const unknownKind: never = e.kind;
      return unknownKind;
    }
  }
}

// Precise types: no `any` anywhere a user touches.
type Client = DreaminaClient;
export type Checks = [
  Expect<Equal<ReturnType<Client['upscale']>, Promise<Job>>>,
  Expect<Equal<ReturnType<Client['getJob']>, Promise<Job>>>,
  Expect<Equal<ReturnType<Client['waitForJob']>, Promise<Job>>>,
  Expect<Equal<ReturnType<Client['upscaleAndWait']>, Promise<Job>>>,
  Expect<Equal<DreaminaError['kind'], DreaminaErrorKind>>,
  Expect<Equal<UpscaleRequest['upscaleResolution'], '2k' | '4k' | '8k' | undefined>>,
  Expect<Equal<IsAny<Parameters<Client['upscale']>[1]>, false>>,
  Expect<Equal<IsAny<Parameters<Client['waitForJob']>[1]>, false>>,
  Expect<Equal<IsAny<Job['status']>, false>>,
  Expect<Equal<IsAny<Job['response']>, false>>,
  Expect<Equal<IsAny<DreaminaError['job']>, false>>,
  Expect<Equal<typeof ready, Promise<void>>>,
  // The calls of the provider's API today (issue 19): typed answers, no `any`.
  Expect<Equal<ReturnType<Client['cancel']>, Promise<Record<string, unknown> | undefined>>>,
  Expect<Equal<ReturnType<Client['listAccounts']>, Promise<Record<string, AccountSummary>>>>,
  Expect<Equal<ReturnType<Client['getAccount']>, Promise<Account>>>,
  Expect<Equal<ReturnType<Client['listRunning']>, Promise<RunningJobs>>>,
  Expect<Equal<IsAny<Account['credits']>, false>>,
  Expect<Equal<GenerateFields['imageStrength'], number | undefined>>,
  Expect<Equal<ReturnType<Client['uploadImage']>, Promise<Asset>>>,
  Expect<Equal<Parameters<Client['uploadImage']>[0], UploadData>>,
  Expect<Equal<Asset['assetRef'], string>>,
];

export async function misuse(client: DreaminaClient, e: DreaminaError): Promise<void> {
  // @ts-expect-error: misspelt client option
  new DreaminaClient({ tokn: 'user:1' });
  // @ts-expect-error: imageIndex is a number
  await client.upscale({ jobid: 'j', imageIndex: '1' });
  // @ts-expect-error: no such resolution
  await client.upscale({ jobid: 'j', upscaleResolution: '16k' });
  // @ts-expect-error: jobid is required
  await client.upscale({ imageIndex: 0 });
  // @ts-expect-error: misspelt wait option
  await client.waitForJob('j', { pollInterval: 100 });
  // @ts-expect-error: a jobid is a string
  await client.getJob(42);
  // @ts-expect-error: onUpdate receives a Job, whose status is a string
  await client.waitForJob('j', { onUpdate: (job) => job.status.toFixed() });
  // @ts-expect-error: no such error kind
  if (e.kind === 'timed_out') return;
  // @ts-expect-error: a picture is bytes, not a path
  await client.uploadImage('/home/me/photo.jpg');
  // @ts-expect-error: misspelt upload option
  await client.uploadImage(new Blob([]), { acount: 'US:me@example.com' });
  // @ts-expect-error: baseUrl is read-only
  client.baseUrl = 'https://example.com';
}
