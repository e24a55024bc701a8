/** Options of `new DreaminaClient(options)`. */
export interface ClientOptions {
  /** API token (`user:12345-…`). Required for api.useapi.net; optional when `baseUrl` is your own proxy. */
  token?: string;
  /** Default `https://api.useapi.net/v1/dreamina`. Must be https:// (http:// only for localhost), or a same-origin path such as `/api/dreamina`. */
  baseUrl?: string;
  /** Time limit of each HTTP request in ms, 1–2147483647. Default 30000. */
  timeoutMs?: number;
  /** Retries of a retryable failure, integer 0–20 (0 turns retries off). Default 3. */
  maxRetries?: number;
  /** A fetch implementation; default the global `fetch`. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** First backoff delay in ms; doubles per retry, with jitter. Default 500. */
  retryBaseDelayMs?: number;
  /** Cap of the backoff delay in ms. Default 20000. */
  retryMaxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms; a longer one fails the call instead. Default 60000. */
  maxRetryAfterMs?: number;
}

/** Resolutions the API upscales to. */
export type UpscaleResolution = "2k" | "4k" | "8k";

/** Body of `POST /images/upscale`. */
export interface UpscaleRequest {
  /** jobid of a completed image-generation job. */
  jobid: string;
  /** Which of the generation's images, integer 0–3. Default 0. */
  imageIndex?: number;
  /** Default "4k". */
  upscaleResolution?: UpscaleResolution;
  /** How much of the original to keep, number 0–1. Default 0.65. */
  originalImageStrength?: number;
  /** Detail enhancement, number 0–1. Default 0.5. */
  detailStrength?: number;
  /** Absolute http(s) URL, at most 1024 bytes, the provider calls when the job completes or fails. */
  replyUrl?: string;
  /** Any string, echoed back in the webhook call. */
  replyRef?: string;
  /** Integer 1–50: overrides the account's max concurrent jobs for this request. */
  maxJobs?: number;
}

/** Options of `upscale` and `getJob`. */
export interface CallOptions {
  /** Aborts the request (and any retry wait) at once; rejects with kind "aborted". */
  signal?: AbortSignal;
  /** Time limit of each HTTP request in ms; default the client's. */
  timeoutMs?: number;
  /** Retries for this call, integer 0–20; default the client's. */
  maxRetries?: number;
}

/** Options of `waitForJob` and `upscaleAndWait`. */
export interface WaitOptions {
  /** A fixed poll interval in ms (at least 100). Default: first poll 25 s after submission, then every 7.5 s (tuned for the provider's 15–120 s jobs). */
  pollIntervalMs?: number;
  /** Overall time limit of the wait in ms. Default 900000 (15 min). */
  timeoutMs?: number;
  /** Time limit of each HTTP request in ms; default the client's `timeoutMs`. */
  requestTimeoutMs?: number;
  /** Stops the wait at once, with no further request; rejects with kind "aborted". */
  signal?: AbortSignal;
  /** Called with every job snapshot fetched. Errors it throws are logged, not fatal. */
  onUpdate?: (job: Job) => void;
  /** Retries of each poll's request, integer 0–20; default the client's. */
  maxRetries?: number;
  /** After `signal` aborts, cancel the job waited for if it still runs (`cancel`, best effort: the abort's message says how it went). Default false. */
  cancelOnAbort?: boolean;
}

/** A linked account's region: `US`, or `CA` (Canada, since April 2026). */
export type Region = "US" | "CA" | (string & {});

/** One linked account, as `listAccounts` lists it. */
export interface AccountSummary {
  /** `REGION:email`: the name `getAccount` and a generation's `account` take. */
  account: string;
  email?: string;
  region?: Region;
  /** The most jobs it runs at once, 1–50. */
  maxJobs?: number;
  /** When its session expires (ISO 8601). */
  sessionExpires?: string;
  /** Why the account cannot be used now, when it cannot. */
  error?: string;
  [key: string]: unknown;
}

/** What `listAccounts` resolves with: the linked accounts keyed by `REGION:email`; `{}` when none is linked. */
export type AccountList = Record<string, AccountSummary>;

/** What `getAccount` resolves with: the summary and, fetched live (left out when that fails), its session, models and credits. */
export interface Account extends AccountSummary {
  session?: { expires?: string; lastRefreshed?: string; daysUntilExpiry?: number; [key: string]: unknown };
  /** The models this account can use (`image` ones are `GenerateModel`s). */
  models?: { image?: string[]; video?: string[]; [key: string]: unknown };
  /** Credits left: `total`, and by kind. */
  credits?: { total?: number; vip?: number; gift?: number; purchase?: number; dailyClaimed?: boolean; [key: string]: unknown };
}

/** One job executing now, as `listRunning` lists it. */
export interface RunningJob {
  jobid: string;
  model?: string;
  /** Seconds since it was created. */
  elapsedSeconds?: number;
  replyUrl?: string;
  [key: string]: unknown;
}

/** What `listRunning` resolves with: the jobs executing now, grouped by account (`REGION:email`). */
export interface RunningJobs {
  executing: Record<string, RunningJob[]>;
  total?: number;
  [key: string]: unknown;
}

/** What `cancel` resolves with: the API's answer, nothing for its usual `204`. */
export type CancelResult = Record<string, unknown> | undefined;

/** A job's status; any other value means still running. */
export type JobStatus = "created" | "completed" | "failed" | (string & {});

/** One image of a job. */
export interface JobImage {
  imageUrl: string;
  imageUri?: string;
  width: number;
  height: number;
  format?: string;
  assetId?: string;
  assetRef?: string;
  itemId?: string;
  [key: string]: unknown;
}

/** A job as the API returns it; fields the API adds later are kept. */
export interface Job {
  jobid: string;
  type?: "image" | "upscale" | (string & {});
  status: JobStatus;
  model?: string;
  created?: string;
  updated?: string;
  request?: { jobid?: string; imageIndex?: number; resolution?: UpscaleResolution | GenerateResolution; prompt?: string; [key: string]: unknown };
  response?: { forecastCost?: number; images?: JobImage[]; [key: string]: unknown };
  code?: number;
  error?: string;
  errorDetails?: unknown;
  [key: string]: unknown;
}

/** What `DreaminaError.kind` can be. */
export type DreaminaErrorKind =
  | "validation" | "unauthorized" | "payment_required" | "not_found" | "gone" | "moderated"
  | "rate_limited" | "account_error" | "server" | "network" | "timeout" | "aborted"
  | "job_failed" | "cancelled" | "invalid_response";

/**
 * Models known today (the provider's model table, April 2026, in its docs at
 * https://useapi.net/docs/api-dreamina-v1); any other name is passed on to the API, which
 * judges it. Models differ in the resolutions, ratios and number of references
 * they take and in whether a prompt is required; the API refuses a combination its model does not
 * allow before billing (a `validation` error naming the field). `seedream-4.7` and `gpt-image-2`
 * run on CA accounts only.
 */
export type GenerateModel =
  | "seedream-5.0-lite" | "seedream-4.7" | "seedream-4.6" | "seedream-4.5" | "seedream-4.1"
  | "seedream-4.0" | "nano-banana" | "seedream-3.0" | "gpt-image-2" | (string & {});

/** Aspect ratios of a generation. */
export type GenerateRatio = "auto" | "1:1" | "3:4" | "16:9" | "4:3" | "9:16" | "2:3" | "3:2" | "21:9";

/** Resolutions of a generation (which are allowed, and the default, depend on the model: seedream-4.x take 2k and 4k, default 2k). */
export type GenerateResolution = "1k" | "2k" | "4k";

/** Every field of `POST /images`; a request needs `prompt` or `imageRef_1` (see GenerateRequest). */
export interface GenerateFields {
  /** What to draw: at most 1600 characters (Unicode code points, not bytes). Required unless `imageRef_1` is given to a model that takes reference pictures alone (the API judges). */
  prompt?: string;
  /** Default "seedream-4.6" (the provider's). */
  model?: GenerateModel;
  /** Aspect ratio. */
  ratio?: GenerateRatio;
  resolution?: GenerateResolution;
  /** `assetRef`s of uploaded images, numbered without gaps from imageRef_1. */
  imageRef_1?: string;
  imageRef_2?: string;
  imageRef_3?: string;
  imageRef_4?: string;
  imageRef_5?: string;
  imageRef_6?: string;
  /** How strongly the reference pictures shape the result, number 0–1. Default 0.5. */
  imageStrength?: number;
  /** Which linked account runs it; default one with free capacity. */
  account?: string;
  /** Absolute http(s) URL, at most 1024 bytes, the provider calls when the job completes or fails. */
  replyUrl?: string;
  /** Any string, echoed back in the webhook call. */
  replyRef?: string;
  /** Integer 1–50: overrides the account's max concurrent jobs for this request. */
  maxJobs?: number;
}

/** Body of `POST /images` (a generation: the source of every upscale): a prompt, a reference image, or both. */
export type GenerateRequest = GenerateFields & ({ prompt: string } | { imageRef_1: string });

/** What `onUpdate` of a batch receives after every poll of every item (and for each created job). */
export interface BatchUpdate {
  /** The item's position in the requests array. */
  index: number;
  job: Job;
}

/**
 * The properties of a `DreaminaError` beyond those of `Error`, each declared once: the class
 * (index.d.ts) and `DreaminaErrorShape` take them from here.
 */
export interface DreaminaErrorProps {
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
  /** For kind "job_failed" or "cancelled": the failed job as the API returned it. */
  job?: Job;
}

/**
 * A `DreaminaError` as seen from these declarations (the class itself is declared with the
 * package's entry, index.d.ts; tests/types checks the two are the same type).
 */
export interface DreaminaErrorShape extends Error, DreaminaErrorProps {
  name: "DreaminaError";
}

/** One item's outcome, shaped as in `Promise.allSettled`. A rejection after the job was created carries its `jobid`. */
export type BatchResult =
  | { status: "fulfilled"; value: Job }
  | { status: "rejected"; reason: DreaminaErrorShape };

/** Options of `upscaleMany`; the wait options apply to each item. */
export interface BatchOptions {
  /** Most jobs created and not yet finished at once (what the account's maxJobs counts), integer 1–50. Default 10. */
  concurrency?: number;
  /** Called after every poll of every item, and once with each created job. Errors it throws are logged, not fatal. */
  onUpdate?: (event: BatchUpdate) => void;
  /** Called as each item settles, with its index and result. Errors it throws are logged, not fatal. */
  onResult?: (index: number, result: BatchResult) => void;
  /** Stops submitting and waiting; created items reject with kind "aborted" and keep their `jobid`. */
  signal?: AbortSignal;
  /** Each item's poll interval in ms (at least 100); default as in waitForJob. */
  pollIntervalMs?: number;
  /** Each item's time limit in ms, for waiting out capacity (429) and, again, for its wait. Default 900000. */
  timeoutMs?: number;
  /** Time limit of each HTTP request in ms; default the client's `timeoutMs`. */
  requestTimeoutMs?: number;
  /** Retries of each request, integer 0–20; default the client's. A 429 on submit is waited out regardless. */
  maxRetries?: number;
  /** After `signal` aborts, cancel each created job that still runs (best effort: each item's abort message says how it went). Default false. */
  cancelOnAbort?: boolean;
}

/** Options of `upscaleAll`: those of a batch, and the upscale settings applied to every image (each image's `jobid` and `imageIndex` are set by `upscaleAll`). */
export interface UpscaleAllOptions extends BatchOptions, Omit<UpscaleRequest, "jobid" | "imageIndex"> {}

/** What `uploadImage` takes: the bytes of a JPEG, PNG or WebP picture, at most 10 MiB (10 × 1024 × 1024 bytes). They are sent as they are, never copied into wasm memory; a stream is gathered into a `Blob` first. */
export type UploadData = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array>;

/** Options of `uploadImage`. */
export interface UploadOptions extends CallOptions {
  /** The linked account (`REGION:email`) to upload to. Default: the first account `GET /accounts` lists. */
  account?: string;
}

/** An uploaded picture, as `POST /assets/{account}` answers; fields the API adds later are kept. */
export interface Asset {
  /** Use it as `imageRef_1` (…`imageRef_N`) of `generate`. */
  assetRef: string;
  /** The account it was uploaded to. */
  account: string;
  width: number;
  height: number;
  /** Its size in bytes. */
  size: number;
  [key: string]: unknown;
}
