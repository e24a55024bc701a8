// The jobs' webhook URLs on the host: each names its item with a tag only the token's holder can
// make; a tag does not carry over to another item or another token; the URL of earlier versions
// still verifies; every URL fits the provider's 1,024 bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { webhookKeys, replyUrlFor, verifyCall, itemTag, longestReplyUrlBytes, MAX_REPLY_URL_BYTES } from '../src/webhooks.mjs';
import { config } from '../src/config.mjs';
import { itemKey, MAX_ITEMS } from '../src/decide.mjs';

const TOKEN = 'user:12345-AbCdEf';
const PUBLIC = 'https://dreamina-batch.example.workers.dev';
const BATCH = '0b6f9c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e';
const KEY = itemKey(BATCH, 7);
const params = (url) => new URL(url).searchParams;
const hmac = (key, text) => createHmac('sha256', key).update(text).digest();

test('a job\'s replyUrl names its item and carries its tag: HMAC-SHA256 under a key derived from the token', async () => {
  const keys = await webhookKeys(TOKEN);
  const url = await replyUrlFor(PUBLIC, keys, KEY);
  assert.match(url, /^https:\/\/dreamina-batch\.example\.workers\.dev\/webhook\?item=[0-9a-f-]{36}%2F7&k=[0-9a-f]{32}$/);
  // The scheme, pinned (a change would turn away the calls of jobs running under the old one).
  const tag = hmac(hmac(TOKEN, 'dreamina-batch webhook item tags'), KEY).subarray(0, 16).toString('hex');
  assert.equal(params(url).get('k'), tag);
  assert.deepEqual(await verifyCall(params(url), keys), { item: KEY });
});

test('a tag verifies only for its own item and token; anything else is refused', async () => {
  const keys = await webhookKeys(TOKEN);
  const tag = await itemTag(keys, KEY);
  const call = (q) => verifyCall(new URLSearchParams(q), keys);
  assert.equal(await call({ item: itemKey(BATCH, 8), k: tag }), null, 'item 7\'s tag on item 8');
  assert.equal(await call({ item: KEY, k: tag.replace(/^./, (c) => (c === '0' ? '1' : '0')) }), null, 'one character changed');
  assert.equal(await call({ item: KEY, k: tag.slice(0, 31) }), null, 'shortened');
  assert.equal(await call({ item: KEY }), null, 'no tag');
  assert.equal(await call({ item: 'order-42', k: tag }), null, 'not one of our keys');
  const other = await webhookKeys('user:99999-Other');
  assert.equal(await verifyCall(params(await replyUrlFor(PUBLIC, other, KEY)), keys), null, 'made with another token');
});

test('the URL of earlier versions (?k=, one key for every job) still verifies, naming no item', async () => {
  const keys = await webhookKeys(TOKEN);
  // As earlier versions derived it (worker.mjs before per-item URLs).
  const legacy = hmac(TOKEN, 'dreamina-batch webhook').subarray(0, 16).toString('hex');
  assert.deepEqual(await verifyCall(new URLSearchParams({ k: legacy }), keys), { item: null });
  assert.equal(await verifyCall(new URLSearchParams({ k: 'wrong' }), keys), null);
  assert.equal(await verifyCall(new URLSearchParams({ item: KEY, k: legacy }), keys), null, 'the account key is no item\'s tag');
});

test('every replyUrl fits the provider\'s 1,024 bytes; a PUBLIC_URL too long for that is refused, by name', async () => {
  const keys = await webhookKeys(TOKEN);
  const longest = await replyUrlFor(PUBLIC, keys, itemKey(BATCH, MAX_ITEMS - 1));
  assert.equal(longestReplyUrlBytes(PUBLIC), Buffer.byteLength(longest));
  const room = MAX_REPLY_URL_BYTES - longestReplyUrlBytes(PUBLIC);
  const env = { USEAPI_TOKEN: TOKEN, API_KEY: 'k' };
  const fits = `${PUBLIC}/${'a'.repeat(room - 1)}`;
  assert.equal(longestReplyUrlBytes(fits), MAX_REPLY_URL_BYTES);
  assert.equal(config({ ...env, PUBLIC_URL: fits }).publicUrl, fits);
  assert.throws(() => config({ ...env, PUBLIC_URL: `${fits}a` }), /PUBLIC_URL is too long.*1025 bytes/);
  assert.throws(() => config({ ...env, PUBLIC_URL: `${PUBLIC}/${'é'.repeat(room - 1)}` }), /PUBLIC_URL is too long/, 'as many characters as the one that fits, but counted in bytes');
});
