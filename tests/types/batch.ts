// generate, generateAndWait, upscaleMany and upscaleAll as a user's strict TypeScript sees them.
// Compiled with `tsc --noEmit --strict` by check.mjs; each `@ts-expect-error` line must fail to
// compile (tsc reports an unused directive otherwise), so the types are known to refuse it.
import {
  DreaminaClient, DreaminaError,
  type GenerateRequest, type BatchOptions, type BatchResult, type BatchUpdate, type UpscaleAllOptions,
  type UpscaleRequest, type Job,
} from 'dreamina-upscale';
import type { Equal, IsAny, Expect } from './assert.js';

/** Generate → upscale every image → the URLs of those that completed, the failures by kind. */
export async function catalogue(client: DreaminaClient, signal: AbortSignal): Promise<string[]> {
  const request: GenerateRequest = { prompt: 'a lighthouse at dusk', model: 'seedream-4.5', ratio: '16:9', resolution: '2k' };
  const created = await client.generate(request, { signal, timeoutMs: 10_000 });
  const source = await client.generateAndWait({ prompt: 'x', imageRef_1: created.jobid }, { pollIntervalMs: 1000 });
  await client.generate({ imageRef_1: 'asset-1', imageRef_2: 'asset-2' }); // a reference alone is enough
  await client.generate({ prompt: 'x', model: 'seedream-9.9-next' }); // new model names pass
  const options: UpscaleAllOptions = {
    upscaleResolution: '4k', detailStrength: 0.6, concurrency: 4, signal,
    onUpdate: ({ index, job }) => console.log(index, job.status),
    onResult: (index, result) => console.log(index, result.status),
  };
  const all = await client.upscaleAll(source.jobid, options);
  const requests: UpscaleRequest[] = [0, 1].map((imageIndex) => ({ jobid: source.jobid, imageIndex }));
  const many = await client.upscaleMany(requests, { concurrency: 10, timeoutMs: 600_000, maxRetries: 2 });
  await client.upscaleMany(requests as readonly UpscaleRequest[]); // options may be omitted
  const urls: string[] = [];
  for (const r of [...all, ...many]) {
    if (r.status === 'fulfilled') {
      const url = r.value.response?.images?.[0]?.imageUrl;
      if (url) urls.push(url);
    } else {
      // Narrowed: the reason is a DreaminaError, with the job id when one was created.
      console.log(r.reason.kind, r.reason.jobid ?? 'never created', r.reason instanceof DreaminaError);
    }
  }
  return urls;
}

type Client = DreaminaClient;
export type Checks = [
  Expect<Equal<ReturnType<Client['generate']>, Promise<Job>>>,
  Expect<Equal<ReturnType<Client['generateAndWait']>, Promise<Job>>>,
  Expect<Equal<ReturnType<Client['upscaleMany']>, Promise<BatchResult[]>>>,
  Expect<Equal<ReturnType<Client['upscaleAll']>, Promise<BatchResult[]>>>,
  Expect<Equal<Extract<BatchResult, { status: 'rejected' }>['reason'], DreaminaError>>,
  Expect<Equal<Extract<BatchResult, { status: 'fulfilled' }>['value'], Job>>,
  Expect<Equal<BatchUpdate, { index: number; job: Job }>>,
  Expect<Equal<Parameters<NonNullable<BatchOptions['onResult']>>, [index: number, result: BatchResult]>>,
  Expect<Equal<GenerateRequest['ratio'], '1:1' | 'auto' | '3:4' | '16:9' | '4:3' | '9:16' | '2:3' | '3:2' | '21:9' | undefined>>,
  Expect<Equal<IsAny<Parameters<Client['upscaleMany']>[1]>, false>>,
  Expect<Equal<IsAny<Parameters<Client['upscaleAll']>[1]>, false>>,
  Expect<Equal<IsAny<Parameters<Client['generate']>[0]>, false>>,
];

export async function misuse(client: DreaminaClient, results: BatchResult[]): Promise<void> {
  // @ts-expect-error: a generation needs a prompt or imageRef_1
  await client.generate({ model: 'seedream-4.0' });
  // @ts-expect-error: imageRef_2 alone is not a first reference
  await client.generate({ imageRef_2: 'asset-2' });
  // @ts-expect-error: no such ratio
  await client.generate({ prompt: 'x', ratio: '5:4' });
  // @ts-expect-error: no such generation resolution
  await client.generate({ prompt: 'x', resolution: '8k' });
  // @ts-expect-error: maxJobs is a number
  await client.generate({ prompt: 'x', maxJobs: '5' });
  // @ts-expect-error: misspelt field
  await client.generate({ prompt: 'x', promt: 'y' });
  // @ts-expect-error: wait options are not call options
  await client.generate({ prompt: 'x' }, { pollIntervalMs: 100 });
  // @ts-expect-error: upscaleMany takes an array of requests
  await client.upscaleMany({ jobid: 'j' });
  // @ts-expect-error: each request needs its jobid
  await client.upscaleMany([{ imageIndex: 1 }]);
  // @ts-expect-error: concurrency is a number
  await client.upscaleMany([], { concurrency: '10' });
  // @ts-expect-error: misspelt batch option
  await client.upscaleMany([], { concurency: 10 });
  // @ts-expect-error: per-image settings belong to upscaleAll, not upscaleMany
  await client.upscaleMany([], { upscaleResolution: '4k' });
  // @ts-expect-error: onUpdate receives an event, not a job
  await client.upscaleMany([], { onUpdate: (job: Job) => job.status });
  // @ts-expect-error: no such resolution
  await client.upscaleAll('j', { upscaleResolution: '16k' });
  // @ts-expect-error: the source is a job id
  await client.upscaleAll({ jobid: 'j' });
  const [first] = results;
  // @ts-expect-error: a result may be rejected; narrow on status before reading value
  console.log(first?.value.jobid);
}
