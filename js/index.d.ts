export { DreaminaClient } from './dreamina_upscale.js';
export type {
  ClientOptions, UpscaleRequest, UpscaleResolution, CallOptions, WaitOptions,
  Job, JobStatus, JobImage, DreaminaErrorKind,
} from './dreamina_upscale.js';
import type { Job, DreaminaErrorKind } from './dreamina_upscale.js';

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
