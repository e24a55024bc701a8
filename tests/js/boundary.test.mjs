// The JS↔Rust boundary as users meet it: a caller's fetch and what it is given, a runtime with
// no fetch at all, odd answers from a caller's fetch, and bad input found while reading the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';
import { mockPerFile, SEEDED, TOKEN } from '../helpers/mock.mjs';
import { rejects as rejection } from '../helpers/client.mjs';

const mock = mockPerFile({ completeAfterMs: 200 });

const isValidation = (field) => (e) => e instanceof DreaminaError && e.kind === 'validation' && e.field === field;

test('a caller fetch that mutates init.headers does not change later requests', async () => {
  const seen = [];
  const meddling = (url, init) => {
    seen.push(Object.fromEntries(new Headers(init.headers)));
    const sent = fetch(url, { ...init, headers: new Headers(init.headers) });
    // What a careless wrapper might do to the object it was given, after using it.
    const h = init.headers;
    if (typeof h.set === 'function') {
      h.set('x-meddled', '1');
      h.delete('authorization');
    } else {
      h['x-meddled'] = '1';
      delete h.Authorization;
    }
    return sent;
  };
  const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, fetch: meddling });
  await c.getJob(SEEDED.square);
  await c.getJob(SEEDED.square);
  await c.upscale({ jobid: SEEDED.square });
  assert.equal(seen.length, 3);
  for (const h of seen) {
    assert.equal(h.authorization, `Bearer ${TOKEN}`);
    assert.equal(h['x-meddled'], undefined);
  }
  assert.equal(seen[2]['content-type'], 'application/json');
});

test('with no global fetch and no fetch option, the error says to pass one', async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  delete globalThis.fetch;
  try {
    assert.equal(typeof globalThis.fetch, 'undefined');
    assert.throws(() => new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl }), (e) =>
      isValidation('fetch')(e) && /no global fetch/.test(e.message) && /pass one/.test(e.message));
    // Passing one works in that same runtime.
    const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, fetch: saved.value });
    assert.equal((await c.getJob(SEEDED.square)).jobid, SEEDED.square);
  } finally {
    Object.defineProperty(globalThis, 'fetch', saved);
  }
});

test('token: "" is a validation error naming token, even in front of a proxy; no token stays allowed there', () => {
  for (const baseUrl of ['/api/dreamina', mock.baseUrl, undefined]) {
    for (const token of ['', '   ']) {
      assert.throws(() => new DreaminaClient({ token, baseUrl }), (e) => isValidation('token')(e) && /empty string/.test(e.message));
    }
  }
  assert.equal(new DreaminaClient({ baseUrl: '/api/dreamina' }).baseUrl, '/api/dreamina');
  assert.equal(new DreaminaClient({ token: undefined, baseUrl: mock.baseUrl }).baseUrl, mock.baseUrl);
});

test('length limits say they count bytes, and count bytes', async () => {
  const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl });
  const before = mock.requests().length;
  // 600 characters, 1,200 bytes of UTF-8.
  const err = await rejection(c.getJob('é'.repeat(600)));
  assert.equal(err.field, 'jobid');
  assert.match(err.message, /1024 bytes/);
  const ref = await rejection(c.upscale({ jobid: SEEDED.square, replyRef: '€'.repeat(342) }));
  assert.equal(ref.field, 'replyRef');
  assert.match(ref.message, /1024 bytes/);
  assert.equal(mock.requests().length, before, 'nothing was sent');
});

test('a caller fetch answering with a hostile look-alike of Response gives a DreaminaError, and the client survives', async () => {
  const answers = [
    { get status() { throw new Error('status getter'); } },
    { status: 200, get headers() { throw new Error('headers getter'); } },
    { status: 200, headers: {}, text() { throw new Error('text threw'); } },
    new Proxy({}, { get() { throw new Error('proxy trap'); } }),
    42,
  ];
  let i = 0;
  const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, maxRetries: 0, fetch: async () => answers[i++] });
  for (let n = 0; n < answers.length; n++) {
    const err = await rejection(c.getJob(SEEDED.square));
    assert.ok(['network', 'invalid_response'].includes(err.kind), `${err.kind}: ${err.message}`);
  }
  // A fetch that throws synchronously instead of rejecting.
  const sync = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, maxRetries: 0, fetch: () => { throw new TypeError('sync boom'); } });
  assert.match((await rejection(sync.getJob(SEEDED.square))).message, /sync boom/);
  const ok = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl });
  assert.equal((await ok.getJob(SEEDED.square)).jobid, SEEDED.square);
});

test('a caller fetch gets (url, init) with method, Headers, body and a signal', async () => {
  let got;
  const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, fetch: (url, init) => { got = { url, init }; return fetch(url, init); } });
  await c.upscale({ jobid: SEEDED.square, upscaleResolution: '2k' });
  assert.equal(got.url, `${mock.baseUrl}/images/upscale`);
  assert.equal(got.init.method, 'POST');
  assert.ok(got.init.headers instanceof Headers);
  assert.deepEqual(JSON.parse(got.init.body), { jobid: SEEDED.square, upscaleResolution: '2k' });
  assert.ok(got.init.signal instanceof AbortSignal);
  assert.equal(got.init.signal.aborted, false);
});

test('a request that times out aborts the signal its fetch was given', async () => {
  let signal;
  const hang = (url, init) => { signal = init.signal; return new Promise(() => {}); };
  const c = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, maxRetries: 0, fetch: hang });
  const err = await rejection(c.getJob(SEEDED.square, { timeoutMs: 50 }));
  assert.equal(err.kind, 'timeout');
  assert.equal(signal.aborted, true);
  // And the caller's abort reaches it too.
  const ac = new AbortController();
  const p = rejection(c.getJob(SEEDED.square, { signal: ac.signal }));
  await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  assert.equal((await p).kind, 'aborted');
  assert.equal(signal.aborted, true);
});
