// TypeScript declarations of the edge helpers (createProxyHandler, handleWebhook), emitted into
// the edge build's .d.ts only (src/wasm/proxy.rs). tests/types_sync.rs checks the option
// interfaces against the Rust field lists (crate::proxy::PROXY_FIELDS, crate::webhook::WEBHOOK_FIELDS).

/** What `authorize` learns about a call before it is forwarded. */
export interface ProxyRoute {
  method: "POST" | "GET";
  /** The upstream path: "/images/upscale", or "/images/{jobid}" with the decoded job id in its canonical percent-encoding (one path segment). */
  path: string;
  kind: "upscale" | "getJob";
  /** For kind "getJob": the decoded job id. */
  jobid?: string;
}

/** Options of `createProxyHandler(options)`. */
export interface ProxyOptions {
  /** Your useapi.net API token. It stays on the server: added to each forwarded request, never sent back. */
  token: string;
  /** The API base URL. Default `https://api.useapi.net/v1/dreamina` (https required; http only for localhost). */
  upstream?: string;
  /** Path the proxy is mounted at; the browser client uses it as `baseUrl`. Default `/api/dreamina`. */
  basePath?: string;
  /** Other origins whose pages may call the proxy (CORS): exact origins such as `https://app.example.com`, or `"*"`. Default none (same-origin pages and server-side callers only). */
  allowOrigins?: "*" | string | string[];
  /** Largest upscale request body accepted, in bytes; more gets 413. Default 65536. */
  maxBodyBytes?: number;
  /** Time limit of each upstream request in ms; past it the caller gets 504. Default 30000. */
  timeoutMs?: number;
  /**
   * Decides whether a call may use your token: return `true` to forward it, `false` for a 403,
   * or a `Response` to answer with it. Runs before the body is read: do not consume `request`'s
   * body (use `request.clone()` if you must). Default: every call is forwarded.
   */
  authorize?: (request: Request, route: ProxyRoute) => boolean | Response | Promise<boolean | Response>;
  /**
   * Rewrites an upscale body before it is checked and forwarded (e.g. refuse "8k", force `maxJobs`).
   * Return the body to send, or a `Response` to answer with it instead. The result is checked with
   * the client's own rules; an invalid one gets 400.
   */
  transformUpscale?: (body: Record<string, unknown>) =>
    | UpscaleRequest | Record<string, unknown> | Response | void
    | Promise<UpscaleRequest | Record<string, unknown> | Response | void>;
  /** The fetch used to call the API; default the global `fetch`. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** A fetch-style handler: answers every request, never rejects. */
export type ProxyHandler = (request: Request) => Promise<Response>;

/** Options of `handleWebhook(request, options)`. */
export interface WebhookOptions {
  /** The client whose `getJob` confirms the job (point it at the API with your token, or at your proxy). */
  client: Pick<DreaminaClient, "getJob">;
  /** Largest webhook body read, in bytes. Default 1048576. */
  maxBodyBytes?: number;
  /** Passed to `getJob`. */
  signal?: AbortSignal;
  /** Passed to `getJob`. */
  timeoutMs?: number;
  /** Passed to `getJob`. */
  maxRetries?: number;
}

/** A webhook call, confirmed with `GET /images/{jobid}`. */
export interface WebhookResult {
  /** The job as the API returned it just now (not as the webhook body claimed). */
  job: Job;
  jobid: string;
  /** The `replyRef` the call carries beside the job (the provider's job echo holds none), or the provider's record when its job holds one. Absent when the call has none: a job started without one, or, with an account-wide `replyUrl`, a job this app never started (look its `jobid` up in your records). */
  replyRef?: string;
  /** Where `replyRef` came from: "body" (the call's claim, unsigned: key your records by `jobid`; what today's provider gives) or "job" (the provider's own job object holds it). */
  replyRefSource?: "job" | "body";
  confirmed: true;
}
