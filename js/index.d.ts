// Public types of `dreamina-upscale`, the same in every runtime (all entries export these).
// The client class, the option and the job shapes come from the Rust side (src/wasm/client.rs,
// src/wasm/batch.rs and src/types.d.ts, emitted into dreamina_upscale.d.ts), with their doc
// comments: this file only gathers them and declares `DreaminaError` (created by js/error.js).

// The generated class has `[Symbol.dispose]`, declared by this lib (TypeScript 5.2+); without it
// a project whose `lib` stops at es2022 would fail to compile this package's declarations.
/// <reference lib="esnext.disposable" />

import type { DreaminaErrorProps, DreaminaErrorShape } from './dreamina_upscale.js';

export { DreaminaClient } from './dreamina_upscale.js';

export type {
  ClientOptions, UpscaleRequest, UpscaleResolution, CallOptions, WaitOptions,
  Job, JobStatus, JobImage, DreaminaErrorKind, DreaminaErrorProps,
  GenerateRequest, GenerateFields, GenerateModel, GenerateRatio, GenerateResolution,
  BatchOptions, BatchUpdate, BatchResult, UpscaleAllOptions,
  CancelResult, Region, AccountSummary, AccountList, Account, RunningJob, RunningJobs,
  UploadData, UploadOptions, Asset,
} from './dreamina_upscale.js';

// Edge helpers: a token-keeping proxy handler, and a webhook receiver that confirms by GET.
// They are in the Node, Deno, Bun and workerd builds; the browser build throws a DreaminaError.
export type {
  ProxyOptions, ProxyRoute, ProxyHandler, WebhookOptions, WebhookResult,
} from './dreamina_upscale_edge.js';
export { createProxyHandler, handleWebhook } from './dreamina_upscale_edge.js';

/** Every promise of this package rejects with a DreaminaError. */
export declare class DreaminaError extends Error {
  constructor(message: string, props?: Partial<DreaminaErrorProps>);
  name: 'DreaminaError';
}
/** Its properties (`kind`, `status`, `jobid`, `field`, `retryAfterMs`, `job`) are declared once, in `DreaminaErrorProps`. */
export interface DreaminaError extends DreaminaErrorShape {}

/** Resolves when the wasm module is instantiated (entries already await it). */
export declare const ready: Promise<void>;
