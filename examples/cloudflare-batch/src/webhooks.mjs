// The jobs' webhook URLs, and the check of a call to /webhook.
//
// The provider's webhook calls are unsigned, and the only thing in them that names an item, the
// replyRef, is a claim: the provider does not record it in the job (its `request` echo of an
// upscale holds only jobid, imageIndex, resolution), so the GET that confirms a job cannot
// confirm it. What the provider does keep is the replyUrl it was given: it calls exactly that
// URL. So each job gets its own, naming its item and signed by this Worker:
//
//   {PUBLIC_URL}/webhook?item={batch}/{index}&k={tag}     tag = HMAC-SHA256(item key, "{batch}/{index}"), 128 bits
//
// The item then comes from the Worker's own URL, the job from the GET that confirms it
// (handleWebhook); a forger who saw one item's URL cannot make a tag for another item.
// The form of earlier versions, `/webhook?k={account key}` (one key for every job, no item), is
// still accepted: such a call is matched by job id only (in-flight jobs of an earlier deployment,
// or an account-wide replyUrl set to it).
import * as D from './decide.mjs';

/** The provider's limit on a replyUrl, in bytes (UTF-8). */
export const MAX_REPLY_URL_BYTES = 1024;
const TAG_BYTES = 16;
const enc = new TextEncoder();
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const hmacKey = (raw) => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
const mac = async (key, text) => new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));

/** Compares two secrets in time that does not depend on where they differ. */
export function sameSecret(a, b) {
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * The Worker's webhook keys, derived from the provider token (no other secret to keep; a new
 * token makes the URLs of jobs still running under the old one answer 403, and the alarm's polls
 * find those jobs): `legacy`, the `k` of earlier versions; `items`, the key of the item tags.
 */
export async function webhookKeys(token) {
  const root = await hmacKey(enc.encode(token));
  return {
    legacy: hex((await mac(root, 'dreamina-batch webhook')).slice(0, TAG_BYTES)),
    items: await hmacKey(await mac(root, 'dreamina-batch webhook item tags')),
  };
}

/** The tag of an item key: only a holder of the token can make it. */
export const itemTag = async (keys, key) => hex((await mac(keys.items, key)).slice(0, TAG_BYTES));

const urlOf = (publicUrl, key, tag) => `${publicUrl}/webhook?item=${encodeURIComponent(key)}&k=${tag}`;

/** The replyUrl of the job of item `key`. */
export const replyUrlFor = async (publicUrl, keys, key) => urlOf(publicUrl, key, await itemTag(keys, key));

/** The length in bytes of the longest replyUrl this PUBLIC_URL makes (the last item of the
 * largest batch); config refuses a PUBLIC_URL that takes it over the provider's limit. */
export const longestReplyUrlBytes = (publicUrl) =>
  enc.encode(urlOf(publicUrl, D.itemKey('00000000-0000-4000-8000-000000000000', D.MAX_ITEMS - 1), 'f'.repeat(2 * TAG_BYTES))).length;

/**
 * Checks a call's URL: {item: key} when it is an item's own URL with that item's tag,
 * {item: null} for the account key of earlier versions, null (refuse: 403) for anything else.
 */
export async function verifyCall(params, keys) {
  const k = params.get('k') ?? '';
  const item = params.get('item');
  if (item === null) return sameSecret(k, keys.legacy) ? { item: null } : null;
  if (!D.parseKey(item)) return null;
  return sameSecret(k, await itemTag(keys, item)) ? { item } : null;
}
