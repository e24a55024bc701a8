// Public types of `dreamina-upscale`, the same in every runtime (all entries export these).
// The option and job shapes come from the Rust side (src/wasm/types.rs, emitted into
// dreamina_upscale.d.ts); the class is declared here so that every options argument can be
// omitted, as it can at run time. tests/types/ checks this class against the generated one.

// The generated class has `[Symbol.dispose]`, declared by this lib (TypeScript 5.2+); without it
// a project whose `lib` stops at es2022 would fail to compile this package's declarations.
/// <reference lib="esnext.disposable" />

import type {
  ClientOptions, UpscaleRequest, CallOptions, WaitOptions, Job, DreaminaErrorKind,
  GenerateRequest, BatchOptions, BatchResult, UpscaleAllOptions,
} from './dreamina_upscale.js';

export type {
  ClientOptions, UpscaleRequest, UpscaleResolution, CallOptions, WaitOptions,
  Job, JobStatus, JobImage, DreaminaErrorKind,
  GenerateRequest, GenerateFields, GenerateModel, GenerateRatio, GenerateResolution,
  BatchOptions, BatchUpdate, BatchResult, UpscaleAllOptions,
} from './dreamina_upscale.js';

// Edge helpers: a token-keeping proxy handler, and a webhook receiver that confirms by GET.
// They are in the Node, Deno, Bun and workerd builds; the browser build throws a DreaminaError.
export type {
  ProxyOptions, ProxyRoute, ProxyHandler, WebhookOptions, WebhookResult,
} from './dreamina_upscale_edge.js';
export { createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';

/**
 * A client of the Dreamina upscale API. Cheap to create; share one per token.
 * Every promise it returns rejects with a {@link DreaminaError}.
 */
export declare class DreaminaClient {
  /**
   * Checks `options` and throws a `DreaminaError` (kind "validation") naming a bad field.
   * `token` is required unless `baseUrl` is your own proxy.
   */
  constructor(options: ClientOptions);
  /** The API base URL requests go to. */
  readonly baseUrl: string;
  /** Starts an upscale job (`POST /images/upscale`) and resolves with the created job. */
  upscale(request: UpscaleRequest, options?: CallOptions): Promise<Job>;
  /** Fetches a job's current state (`GET /images/{jobid}`). */
  getJob(jobid: string, options?: CallOptions): Promise<Job>;
  /** Polls a job until it completes; rejects if it fails, times out or is aborted. */
  waitForJob(jobid: string, options?: WaitOptions): Promise<Job>;
  /**
   * `upscale` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
   * job was created carries its `jobid`, so it is never lost.
   */
  upscaleAndWait(request: UpscaleRequest, options?: WaitOptions): Promise<Job>;
  /** Starts a generation job (`POST /images`) and resolves with the created job. */
  generate(request: GenerateRequest, options?: CallOptions): Promise<Job>;
  /**
   * `generate` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
   * job was created carries its `jobid`.
   */
  generateAndWait(request: GenerateRequest, options?: WaitOptions): Promise<Job>;
  /**
   * Upscales every request, at most `concurrency` jobs at once, and resolves in input order
   * with one `Promise.allSettled`-shaped result per request; never rejects for one item.
   */
  upscaleMany(requests: readonly UpscaleRequest[], options?: BatchOptions): Promise<BatchResult[]>;
  /**
   * `upscaleMany` over every image of a completed generation job (read once with `getJob`;
   * it may have fewer than 4), each with the same resolution and strengths.
   */
  upscaleAll(sourceJobid: string, options?: UpscaleAllOptions): Promise<BatchResult[]>;
  /** Frees the client's wasm memory now instead of at garbage collection. Optional. */
  free(): void;
  /** Same as `free()`, for `using client = new DreaminaClient(...)`. */
  [Symbol.dispose](): void;
}

/** Every promise of this package rejects with a DreaminaError. */
export declare class DreaminaError extends Error {
  constructor(message: string, props?: Partial<Pick<DreaminaError, 'kind' | 'status' | 'jobid' | 'field' | 'retryAfterMs' | 'job'>>);
  name: 'DreaminaError';
  /** What went wrong; branch on this. */
  kind: DreaminaErrorKind;
  /** The HTTP status, when a response was received. */
  status?: number;
  /** The job concerned, when known: never lost, even when the wait fails. */
  jobid?: string;
  /** For kind "validation": the option that was refused. */
  field?: string;
  /** For kind "rate_limited": how long the server asked to wait, in ms. */
  retryAfterMs?: number;
  /** For kind "job_failed": the failed job as the API returned it. */
  job?: Job;
}

/** Resolves when the wasm module is instantiated (entries already await it). */
export declare const ready: Promise<void>;
