// The Worker's settings, read from its env (wrangler.toml [vars] and secrets), with their bounds.
// Only what an operator may have a reason to change is a setting: job times are learned from the
// jobs (see decide.jobTime), capacity is handed out as slots free (ledger.pump).
import { longestReplyUrlBytes, MAX_REPLY_URL_BYTES } from './webhooks.mjs';

const int = (env, name, dflt, lo, hi) => {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name} must be an integer ${lo}-${hi}, got ${JSON.stringify(raw)}`);
  return n;
};

/** Settings of earlier versions that are no longer read (job times are learned now). */
export const RETIRED = Object.freeze(['EXPECTED_JOB_MS', 'SLOT_WAIT_MS']);

/** The Worker's settings from its env (vars and secrets); throws a message naming the bad one. */
export function config(env) {
  const publicUrl = String(env.PUBLIC_URL ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new Error(`PUBLIC_URL must be this Worker's absolute http(s) URL, got ${JSON.stringify(env.PUBLIC_URL)}`);
  const longest = longestReplyUrlBytes(publicUrl);
  if (longest > MAX_REPLY_URL_BYTES) throw new Error(`PUBLIC_URL is too long: the jobs' replyUrl (PUBLIC_URL + /webhook?item=…&k=…) would take ${longest} bytes, over the provider's ${MAX_REPLY_URL_BYTES}`);
  if (!env.USEAPI_TOKEN) throw new Error('USEAPI_TOKEN is not set (wrangler secret put USEAPI_TOKEN)');
  if (!env.API_KEY) throw new Error('API_KEY is not set (wrangler secret put API_KEY): it guards /batches');
  return {
    token: env.USEAPI_TOKEN,
    apiKey: env.API_KEY,
    upstream: env.UPSTREAM || undefined, // undefined: the client's default, the provider's URL
    publicUrl,
    account: env.ACCOUNT || 'default',
    maxJobs: int(env, 'MAX_JOBS', 10, 1, 50),
    // A created job whose webhook has not come is polled after twice its learned job time,
    // at most POLL_AFTER_MS, then every POLL_EVERY_MS (doubling, capped).
    pollAfterMs: int(env, 'POLL_AFTER_MS', 180_000, 100, 86_400_000),
    pollEveryMs: int(env, 'POLL_EVERY_MS', 30_000, 100, 3_600_000),
    // An `unknown` item holds a capacity slot this long (its job may be running), then lets go.
    unknownHoldMs: int(env, 'UNKNOWN_HOLD_MS', 300_000, 0, 86_400_000),
    // Longer than any consumer's POST can take (3 tries × 30 s + backoff): within it, a second
    // delivery for a submitting item may be a duplicate message while the first is still posting.
    submitLeaseMs: int(env, 'SUBMIT_LEASE_MS', 180_000, 0, 3_600_000),
    // A queue message not seen for this long is taken as lost: the alarm takes over its item.
    orphanMs: int(env, 'ORPHAN_MS', 900_000, 1_000, 86_400_000),
    // R2 (binding RESULTS): the largest picture stored, and how many tries a download gets.
    maxImageBytes: int(env, 'MAX_IMAGE_BYTES', 100 << 20, 1, 2 ** 32),
    storeTries: int(env, 'STORE_TRIES', 8, 1, 20),
    // Finished batches older than this many days are removed by the alarm (0: kept until DELETE).
    retainDays: int(env, 'RETAIN_DAYS', 0, 0, 36_500),
    results: !!env.RESULTS,
  };
}
