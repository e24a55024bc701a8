// uploadImage as users call it, against the mock API over real HTTP: each kind of data, the
// picture's type told by its first bytes, what is refused before anything is sent, the
// default account, the POST retry rule, and that the bytes never enter wasm memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { mockPerFile } from '../helpers/mock.mjs';
import { clientOf, rejects } from '../helpers/client.mjs';

const mock = mockPerFile({ completeAfterMs: 200 });
const client = (extra) => clientOf(mock, extra);
const MiB = 1024 * 1024;
const FIRST = 'US:user@example.com'; // the first account the mock's GET /accounts lists

const uploads = () => mock.requests().filter((r) => r.method === 'POST' && r.path.includes('/assets/'));
const accountLookups = () => mock.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/accounts'));

const u32 = (n) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const u16le = (n) => [n & 255, n >> 8];
/** Header bytes the mock reads a picture's size from, padded with zeros to `size` bytes. */
function picture(type, { width = 640, height = 480, size = 64 } = {}) {
  const head = {
    png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...u32(13), ...Buffer.from('IHDR'), ...u32(width), ...u32(height), 8, 2, 0, 0, 0, 0, 0, 0, 0],
    jpeg: [0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9],
    webp: [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8 '), 0, 0, 0, 0, 0, 0, 0, 0x9d, 0x01, 0x2a, ...u16le(width), ...u16le(height)],
    gif: [...Buffer.from('GIF89a'), ...u16le(width), ...u16le(height)],
  }[type];
  const bytes = new Uint8Array(Math.max(size, head.length));
  bytes.set(head);
  return bytes;
}

function checkAsset(asset, { account = FIRST, width = 640, height = 480, size }) {
  assert.equal(asset.account, account);
  assert.deepEqual([asset.width, asset.height, asset.size], [width, height, size]);
  assert.match(asset.assetRef, new RegExp(`^${account.replace(/[.?*+^$|()[\]{}\\/]/g, '\\$&')}-image:w${width}:h${height}:s${size}-uri:`));
}

test('a File: its type told by its bytes (not its name or declared type), to the first listed account', async () => {
  const file = new File([picture('png', { size: 5000 })], 'holiday.gif', { type: 'image/gif' });
  const lookupsBefore = accountLookups().length;
  const asset = await client().uploadImage(file);
  checkAsset(asset, { size: 5000 });
  assert.equal(accountLookups().length, lookupsBefore + 1, 'no account given: GET /accounts once');
  const post = uploads().at(-1);
  assert.equal(post.path, '/v1/dreamina/assets/US%3Auser%40example.com');
  assert.equal(post.headers['content-type'], 'image/png');
  assert.equal(post.headers['content-length'], '5000');
  assert.equal(post.body, '<5000 bytes>');
});

test('an ArrayBuffer, to a named account (no GET /accounts), usable as imageRef_1', async () => {
  const data = picture('jpeg', { width: 800, height: 600, size: 3000 }).buffer;
  const lookupsBefore = accountLookups().length;
  const asset = await client().uploadImage(data, { account: 'CA:user@example.com', timeoutMs: 10_000 });
  checkAsset(asset, { account: 'CA:user@example.com', width: 800, height: 600, size: 3000 });
  assert.equal(accountLookups().length, lookupsBefore);
  assert.equal(uploads().at(-1).headers['content-type'], 'image/jpeg');
  const job = await client().generate({ prompt: 'the same, at dusk', imageRef_1: asset.assetRef });
  assert.equal(job.status, 'created');
});

test('a Uint8Array view sends only its own bytes; an account id with / ? # % is one path segment', async () => {
  const whole = new Uint8Array(4096);
  whole.set(picture('webp', { width: 300, height: 200, size: 32 }), 1000);
  const view = whole.subarray(1000, 3000);
  const account = 'US:we/ird?#%x@example.com';
  const asset = await client().uploadImage(view, { account });
  checkAsset(asset, { account, width: 300, height: 200, size: 2000 });
  const post = uploads().at(-1);
  assert.equal(post.path, `/v1/dreamina/assets/${encodeURIComponent(account)}`);
  assert.equal(post.headers['content-type'], 'image/webp');
  // Node's Buffer is a Uint8Array too.
  checkAsset(await client().uploadImage(Buffer.from(picture('png', { size: 100 }))), { size: 100 });
});

test('a ReadableStream, in chunks, gathered and sent with its whole length', async () => {
  const bytes = picture('png', { size: 70_000 });
  const stream = new ReadableStream({
    start(c) {
      for (let at = 0; at < bytes.length; at += 16_384) c.enqueue(bytes.slice(at, at + 16_384));
      c.close();
    },
  });
  checkAsset(await client().uploadImage(stream), { size: 70_000 });
  assert.equal(uploads().at(-1).headers['content-length'], '70000');
  // A stream already read, or one of strings, cannot be: a validation error, nothing sent.
  const before = mock.requests().length;
  const used = new Response('x').body;
  await used.getReader().read();
  const strings = new ReadableStream({ start(c) { c.enqueue('not bytes'); c.close(); } });
  for (const bad of [used, strings]) {
    const err = await rejects(client().uploadImage(bad), 'validation');
    assert.equal(err.field, 'data');
  }
  assert.equal(mock.requests().length, before);
});

test('not a JPEG, PNG or WebP, empty, over 10 MiB, or not bytes at all: validation on "data", nothing sent', async () => {
  const before = mock.requests().length;
  const tooBig = picture('png', { size: 10 * MiB + 1 });
  const cases = [
    [picture('gif', { size: 200 }), /not a JPEG, PNG or WebP/],
    [new Blob([picture('gif')], { type: 'image/png' }), /not a JPEG, PNG or WebP/], // a declared type does not decide
    [new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), /not a JPEG, PNG or WebP/],
    [new Uint8Array(0), /is empty/],
    [new Blob([]), /is empty/],
    [new ArrayBuffer(0), /is empty/],
    [tooBig, /10485761 bytes, more than the 10485760/],
    [new Blob([tooBig]), /10485761 bytes/],
    ['/home/me/photo.jpg', /must be a Blob, File, ArrayBuffer, Uint8Array or ReadableStream, got string/],
    [undefined, /got undefined/],
    [new Uint16Array(8), /got object/],
  ];
  for (const [data, message] of cases) {
    const err = await rejects(client().uploadImage(data), 'validation');
    assert.equal(err.field, 'data', err.message);
    assert.match(err.message, message);
  }
  for (const [options, field] of [[{ account: '' }, 'account'], [{ account: 42 }, 'account'], [{ acount: FIRST }, 'acount'], [{ timeoutMs: -1 }, 'timeoutMs']]) {
    const err = await rejects(client().uploadImage(picture('png'), options), 'validation');
    assert.equal(err.field, field);
  }
  assert.equal(mock.requests().length, before, 'nothing reached the API');
});

test('GET /accounts listing no account: a validation error on "account", no upload', async () => {
  const seen = [];
  const fetch = (url, init) => {
    seen.push(`${init.method} ${new URL(url).pathname}`);
    return Promise.resolve(new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
  };
  const err = await rejects(client({ fetch }).uploadImage(picture('png')), 'validation');
  assert.equal(err.field, 'account');
  assert.match(err.message, /lists no linked account/);
  assert.deepEqual(seen, ['GET /v1/dreamina/accounts']);
});

test('the API refusing it comes back typed; 429 is retried; an upload cut off after sending is not sent again', async () => {
  const refused = await rejects(client().uploadImage(picture('png'), { account: 'US:nobody@example.com' }), 'not_found');
  assert.match(refused.message, /Unable to find configuration for account/);

  mock.addFault({ method: 'POST', path: '/assets/', status: 429, headers: { 'Retry-After': '0' } });
  let before = uploads().length;
  checkAsset(await client().uploadImage(picture('jpeg', { size: 500 }), { account: FIRST }), { size: 500 });
  assert.equal(uploads().length - before, 2);

  mock.addFault({ method: 'POST', path: '/assets/', action: 'reset-after' });
  before = uploads().length;
  const cut = await rejects(client().uploadImage(picture('png'), { account: FIRST }), 'network');
  assert.match(cut.message, /may have been uploaded; it was not sent again/);
  assert.equal(uploads().length - before, 1);
});

test('a 10 MiB upload does not grow the wasm memory: the bytes stay in JS', async () => {
  // The instance the package runs on: initSync hands back the one already made.
  const dir = dirname(fileURLToPath(import.meta.resolve('dreamina-upscale')));
  const { initSync } = await import(`${dir}/dreamina_upscale_edge.js`);
  const { memory } = initSync({ module: readFileSync(`${dir}/dreamina_upscale_edge_bg.wasm`) });
  assert.ok(memory instanceof WebAssembly.Memory);
  const c = client();
  await c.uploadImage(picture('png'), { account: FIRST }); // every code path used once
  const before = memory.buffer.byteLength;
  const big = picture('png', { size: 10 * MiB });
  for (const data of [big, new Blob([big]), big.buffer]) {
    checkAsset(await c.uploadImage(data, { account: FIRST }), { size: 10 * MiB });
  }
  const grown = memory.buffer.byteLength - before;
  assert.ok(grown < MiB, `wasm memory grew by ${grown} bytes over three 10 MiB uploads`);
  // The control: 10 MiB that do cross into wasm (a prompt string, read to be checked) grow it.
  await rejects(c.generate({ prompt: 'x'.repeat(10 * MiB) }), 'validation');
  assert.ok(memory.buffer.byteLength - before >= 10 * MiB, 'the measure sees bytes copied in');
});
