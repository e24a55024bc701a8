// createProxyHandler in real workerd (Miniflare on a 127.0.0.1 port) in front of the mock API,
// driven by the package's client in Node and by raw fetches that do what a hostile caller would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, loadPackage, SEEDED, TOKEN, MAX_BODY } from './helpers.mjs';

const ALLOWED = 'https://app.example.com';
let stack;
let pkg;
let api; // the main handler's base URL, as a browser client would use it
const answers = []; // every proxy answer seen, searched for the token at the end

before(async () => {
  pkg = await loadPackage();
  stack = await startStack({ allowedOrigin: ALLOWED });
  api = `${stack.workerUrl}/api/dreamina`;
});
after(() => stack?.close());

/** fetch through the worker, remembering the answer's headers and body. */
async function call(path, init = {}) {
  const res = await fetch(`${stack.workerUrl}${path}`, init);
  const text = await res.text();
  const headers = Object.fromEntries(res.headers);
  answers.push({ path, status: res.status, headers, text });
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers, text, json };
}

const post = (path, body, headers = {}) =>
  call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The client's own encoding of a job id path segment (RFC 3986 unreserved kept). */
const encodeSegment = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

test('a client with no token completes upscaleAndWait through the proxy; the API sees only the server token', async () => {
  stack.mock.reset();
  const client = new pkg.DreaminaClient({ baseUrl: api });
  const seen = [];
  const job = await client.upscaleAndWait({ jobid: SEEDED.wide, upscaleResolution: '2k' }, { pollIntervalMs: 100, onUpdate: (j) => seen.push(j.status) });
  assert.equal(job.status, 'completed');
  assert.equal(job.response.images[0].width, 2304); // the provider's 2k 4:3 size
  assert.ok(seen.length >= 2, `polled through the proxy: ${seen}`);
  const reqs = stack.mock.requests();
  assert.ok(reqs.some((r) => r.method === 'GET') && reqs.some((r) => r.method === 'POST'));
  for (const r of reqs) assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
  const sent = JSON.parse(reqs.find((r) => r.method === 'POST').body);
  assert.deepEqual(sent, { jobid: SEEDED.wide, upscaleResolution: '2k', maxJobs: 2 }, 'transformUpscale forced maxJobs');
});

test("a caller's own Authorization and Cookie never reach the API", async () => {
  stack.mock.reset();
  const forged = 'user:99999-forged-by-browser';
  const client = new pkg.DreaminaClient({ baseUrl: api, token: forged });
  const created = await client.upscale({ jobid: SEEDED.square });
  await client.getJob(created.jobid);
  const raw = await call(`/api/dreamina/images/${encodeSegment(created.jobid)}`, {
    headers: { authorization: `Bearer ${forged}`, cookie: 'session=stolen', 'proxy-authorization': 'Basic eA==', 'x-forwarded-for': '6.6.6.6', connection: 'keep-alive, x-hop', 'x-hop': '1' },
  });
  assert.equal(raw.status, 200);
  const reqs = stack.mock.requests();
  assert.equal(reqs.length, 3);
  for (const r of reqs) {
    assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
    for (const h of ['cookie', 'proxy-authorization', 'x-forwarded-for', 'x-hop']) assert.equal(r.headers[h], undefined, h);
    assert.ok(!JSON.stringify(r).includes('forged') && !JSON.stringify(r).includes('stolen'));
  }
});

test('the job id segment is decoded once and forwarded in its canonical encoding', async () => {
  stack.mock.reset();
  const client = new pkg.DreaminaClient({ baseUrl: api });
  const job = await client.getJob(SEEDED.weird);
  assert.equal(job.jobid, SEEDED.weird);
  // Lower-case hex escapes: the same job for the API, sent in the client's own encoding.
  const lower = encodeSegment(SEEDED.square).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
  assert.notEqual(lower, encodeSegment(SEEDED.square));
  const raw = await call(`/api/dreamina/images/${lower}`);
  assert.equal(raw.status, 200);
  assert.equal(raw.json.jobid, SEEDED.square);
  const paths = stack.mock.requests().map((r) => r.path);
  assert.deepEqual(paths, [`/v1/dreamina/images/${encodeSegment(SEEDED.weird)}`, `/v1/dreamina/images/${encodeSegment(SEEDED.square)}`]);
  const bad = await call('/api/dreamina/images/%zz');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 400);
  assert.equal(stack.mock.requests().length, 2, 'a malformed segment is not forwarded');
});

test('routes not on the list get 404 JSON; a wrong method gets 405 with Allow', async () => {
  stack.mock.reset();
  for (const [method, path] of [
    ['GET', '/api/dreamina/images'],
    ['DELETE', '/api/dreamina/scheduler/x'],
    ['POST', '/api/dreamina/images'],
    ['GET', '/api/dreamina/images/a/b'],
    ['GET', '/api/dreamina/accounts'],
    ['GET', '/elsewhere'],
  ]) {
    const r = await call(path, { method });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.deepEqual(r.json, { error: 'Not found', code: 404 });
    assert.match(r.headers['content-type'], /^application\/json/);
  }
  const getUpscale = await call('/api/dreamina/images/upscale');
  assert.equal(getUpscale.status, 405);
  assert.deepEqual(getUpscale.json, { error: 'Method not allowed', code: 405 });
  assert.equal(getUpscale.headers.allow, 'POST, OPTIONS');
  const postJob = await post(`/api/dreamina/images/${encodeSegment(SEEDED.square)}`, {});
  assert.equal(postJob.status, 405);
  assert.equal(postJob.headers.allow, 'GET, OPTIONS');
  assert.equal(stack.mock.requests().length, 0);
});

test('bodies over maxBodyBytes get 413, by Content-Length and by the bytes actually sent', async () => {
  stack.mock.reset();
  const big = JSON.stringify({ jobid: SEEDED.square, replyRef: 'x'.repeat(MAX_BODY) });
  const declared = await post('/api/dreamina/images/upscale', big);
  assert.equal(declared.status, 413);
  assert.deepEqual(declared.json, { error: `Request body is larger than ${MAX_BODY} bytes`, code: 413 });
  // Streamed without Content-Length: only counting the bytes read can catch it.
  const chunks = [big.slice(0, 1000), big.slice(1000, 2000), big.slice(2000)];
  const stream = new ReadableStream({ pull(c) { const next = chunks.shift(); if (next) c.enqueue(new TextEncoder().encode(next)); else c.close(); } });
  const streamed = await call('/api/dreamina/images/upscale', { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/json' } });
  assert.equal(streamed.status, 413);
  assert.equal(stack.mock.requests().length, 0, 'nothing forwarded');
  // Exactly at the limit is accepted.
  const exact = JSON.stringify({ jobid: SEEDED.square }).padEnd(MAX_BODY, ' ');
  assert.equal(Buffer.byteLength(exact), MAX_BODY);
  assert.equal((await post('/api/dreamina/images/upscale', exact)).status, 200);
});

test('non-JSON and invalid upscale bodies get 400 JSON naming the problem; nothing is forwarded', async () => {
  stack.mock.reset();
  const cases = [
    ['not json', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    [JSON.stringify({ jobid: SEEDED.square, imageIndex: 9 }), /imageIndex/],
    [JSON.stringify({ jobid: SEEDED.square, account: 'someone-else' }), /account/],
    [JSON.stringify({ imageIndex: 1 }), /jobid/],
  ];
  for (const [body, message] of cases) {
    const r = await post('/api/dreamina/images/upscale', body);
    assert.equal(r.status, 400, body);
    assert.equal(r.json.code, 400);
    assert.match(r.json.error, message);
  }
  assert.equal(stack.mock.requests().length, 0);
  const client = new pkg.DreaminaClient({ baseUrl: `${stack.workerUrl}/open` });
  const e = await client.upscale({ jobid: 'j-missing' }).catch((err) => err);
  assert.equal(e.kind, 'not_found', 'the provider 404 (unknown source) is relayed as is');
});

test('transformUpscale can refuse 8k with its own 403 JSON', async () => {
  stack.mock.reset();
  const r = await post('/api/dreamina/images/upscale', { jobid: SEEDED.square, upscaleResolution: '8k' }, { origin: ALLOWED });
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { error: '8k upscales are not allowed here', code: 403 });
  assert.equal(r.headers['access-control-allow-origin'], ALLOWED, 'CORS headers are added to a hook answer');
  const client = new pkg.DreaminaClient({ baseUrl: api });
  const e = await client.upscale({ jobid: SEEDED.square, upscaleResolution: '8k' }).catch((err) => err);
  assert.equal(e.name, 'DreaminaError');
  assert.equal(e.status, 403);
  assert.match(e.message, /8k upscales are not allowed/);
  assert.equal(stack.mock.requests().length, 0);
});

test('CORS: preflight from an allowed origin is answered; other origins get no ACAO and nothing forwarded', async () => {
  stack.mock.reset();
  const preflight = (origin, path = '/api/dreamina/images/upscale') => call(path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-app-session' },
  });
  const ok = await preflight(ALLOWED);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(ok.headers['access-control-allow-methods'], 'POST, OPTIONS');
  assert.equal(ok.headers['access-control-allow-headers'], 'content-type, x-app-session');
  assert.match(ok.headers.vary, /Origin/);
  const evil = await preflight('https://evil.example.net');
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  assert.equal(evil.status, 403);
  const evilPost = await post('/api/dreamina/images/upscale', { jobid: SEEDED.square }, { origin: 'https://evil.example.net' });
  assert.equal(evilPost.status, 403);
  assert.equal(evilPost.headers['access-control-allow-origin'], undefined);
  assert.equal(stack.mock.requests().length, 0, 'a refused origin is not forwarded');
  const get = await call(`/api/dreamina/images/${encodeSegment(SEEDED.square)}`, { headers: { origin: ALLOWED } });
  assert.equal(get.status, 200);
  assert.equal(get.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(get.headers['access-control-expose-headers'], 'Retry-After');
  const same = await call(`/api/dreamina/images/${encodeSegment(SEEDED.square)}`, { headers: { origin: stack.workerUrl } });
  assert.equal(same.status, 200, 'same-origin pages need no allow-list entry');
  const any = await call(`/open/images/${encodeSegment(SEEDED.square)}`, { headers: { origin: 'https://anyone.example' } });
  assert.equal(any.headers['access-control-allow-origin'], '*');
  const unknownRoute = await preflight(ALLOWED, '/api/dreamina/nope');
  assert.equal(unknownRoute.status, 404);
});

test("the provider's status, body, Content-Type and Retry-After are relayed; Set-Cookie is not", async () => {
  stack.mock.reset();
  const path = `/api/dreamina/images/${encodeSegment(SEEDED.square)}`;
  stack.mock.addFault({ method: 'GET', path: '/images/', status: 429, headers: { 'Retry-After': '7', 'Set-Cookie': 'upstream=1' }, json: { error: 'All accounts at capacity', code: 429 } });
  const limited = await call(path);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '7');
  assert.equal(limited.headers['set-cookie'], undefined);
  assert.deepEqual(limited.json, { error: 'All accounts at capacity', code: 429 });
  assert.match(limited.headers['content-type'], /^application\/json/);
  const missing = await call('/api/dreamina/images/j-does-not-exist');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json.error, 'Job not found', "the provider's 404, not the proxy's");
  stack.mock.addFault({ method: 'GET', path: '/images/', status: 502, action: 'html' });
  const html = await call(path);
  assert.equal(html.status, 502);
  assert.match(html.headers['content-type'], /text\/html/);
});

test('the token never appears in an answer, even when the API echoes it', async () => {
  stack.mock.reset();
  stack.mock.addFault({ method: 'GET', path: '/images/', status: 401, json: { error: `Token ${TOKEN} is not valid (${encodeURIComponent(TOKEN)})`, code: 401 } });
  const r = await call(`/api/dreamina/images/${encodeSegment(SEEDED.square)}`);
  assert.equal(r.status, 401);
  assert.equal(r.json.error, 'Token [redacted] is not valid ([redacted])');
  const all = JSON.stringify(answers);
  assert.ok(answers.length > 30, `many answers checked (${answers.length})`);
  assert.ok(!all.includes(TOKEN) && !all.includes(encodeURIComponent(TOKEN)), 'no answer of this suite carried the token');
});

test('authorize sees the route and can forward, refuse, answer or fail safely', async () => {
  stack.mock.reset();
  const path = `/api/dreamina/images/${encodeSegment(SEEDED.weird)}`;
  const echo = await call(path, { headers: { 'x-test-auth': 'echo' } });
  assert.deepEqual(echo.json, { method: 'GET', path: `/images/${encodeSegment(SEEDED.weird)}`, kind: 'getJob', jobid: SEEDED.weird });
  const upEcho = await post('/api/dreamina/images/upscale', { jobid: SEEDED.square }, { 'x-test-auth': 'echo' });
  assert.deepEqual(upEcho.json, { method: 'POST', path: '/images/upscale', kind: 'upscale' });
  const deny = await call(path, { headers: { 'x-test-auth': 'deny' } });
  assert.equal(deny.status, 403);
  assert.deepEqual(deny.json, { error: 'Forbidden', code: 403 });
  const own = await call(path, { headers: { 'x-test-auth': 'respond' } });
  assert.equal(own.status, 418);
  assert.equal(own.headers['x-from'], 'authorize');
  const threw = await call(path, { headers: { 'x-test-auth': 'throw' } });
  assert.equal(threw.status, 500);
  assert.deepEqual(threw.json, { error: 'authorize failed', code: 500 });
  assert.equal(stack.mock.requests().length, 0, 'nothing forwarded unless authorize returned true');
});

test('an unreachable API or a redirect becomes a JSON 502', async () => {
  const down = await call(`/dead/images/${encodeSegment(SEEDED.square)}`);
  assert.equal(down.status, 502);
  assert.deepEqual(down.json, { error: 'The API could not be reached', code: 502 });
  stack.mock.reset();
  stack.mock.addFault({ method: 'GET', path: '/images/', status: 302, headers: { Location: 'https://elsewhere.example/steal' }, body: '' });
  const moved = await call(`/open/images/${encodeSegment(SEEDED.square)}`);
  assert.equal(moved.status, 502);
  assert.equal(moved.headers.location, undefined);
  assert.equal(moved.json.code, 502);
});

test('in Node: options are checked up front, and the handler answers any input without rejecting', async () => {
  const bad = (options, field) => {
    assert.throws(() => pkg.createProxyHandler(options), (e) => e.name === 'DreaminaError' && e.kind === 'validation' && e.field === field, field);
  };
  bad({ token: 42 }, 'token');
  bad({ token: TOKEN, upstream: 'http://api.example.com/v1/dreamina' }, 'upstream');
  bad({ token: TOKEN, allowOrigins: ['https://a.example/path'] }, 'allowOrigins');
  bad({ token: TOKEN, maxBodyBytes: -1 }, 'maxBodyBytes');
  bad({ token: TOKEN, authorize: 'yes' }, 'authorize');
  bad({ token: TOKEN, tokn: 'typo' }, 'tokn');
  const calls = [];
  const handler = pkg.createProxyHandler({
    token: TOKEN, upstream: stack.mock.baseUrl, basePath: '/p',
    fetch: (url, init) => { calls.push(url); return fetch(url, init); },
  });
  const garbage = await handler({});
  assert.ok(garbage instanceof Response);
  assert.equal(garbage.status, 500);
  assert.equal((await garbage.json()).code, 500);
  const ok = await handler(new Request(`http://proxy.local/p/images/${encodeSegment(SEEDED.square)}`));
  assert.equal(ok.status, 200);
  assert.deepEqual(calls, [`${stack.mock.baseUrl}/images/${encodeSegment(SEEDED.square)}`], 'the fetch option is used');
  const throwingFetch = pkg.createProxyHandler({ token: TOKEN, upstream: stack.mock.baseUrl, fetch: () => { throw new Error('boom'); } });
  const r = await throwingFetch(new Request(`http://proxy.local/api/dreamina/images/${encodeSegment(SEEDED.square)}`));
  assert.equal(r.status, 502);
});

test('in Node: transformUpscale gets the body as a plain object; its result is checked like a client request', async () => {
  stack.mock.reset();
  const seen = [];
  const handler = pkg.createProxyHandler({
    token: TOKEN, upstream: stack.mock.baseUrl, basePath: '/p',
    transformUpscale: (body) => {
      seen.push(body);
      if (body.replyRef === 'in-place') { body.maxJobs = 3; return undefined; }
      if (body.replyRef === 'array') return [body];
      if (body.replyRef === 'nan') return { ...body, imageIndex: NaN };
      return body;
    },
  });
  const post = (body) => handler(new Request('http://proxy.local/p/images/upscale', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) }));
  const ok = await post({ jobid: SEEDED.square, upscaleResolution: '2K', replyRef: 'in-place' });
  assert.equal(ok.status, 200);
  assert.equal(Object.getPrototypeOf(seen[0]), Object.prototype, 'a plain object, not a Map');
  assert.deepEqual(seen[0], { jobid: SEEDED.square, upscaleResolution: '2K', replyRef: 'in-place', maxJobs: 3 });
  assert.deepEqual(JSON.parse(stack.mock.requests()[0].body), { jobid: SEEDED.square, upscaleResolution: '2k', replyRef: 'in-place', maxJobs: 3 });
  const arr = await post({ jobid: SEEDED.square, replyRef: 'array' });
  assert.equal(arr.status, 500);
  assert.deepEqual(await arr.json(), { error: 'transformUpscale must return a JSON object or a Response', code: 500 });
  const nan = await post({ jobid: SEEDED.square, replyRef: 'nan' });
  assert.equal(nan.status, 400);
  assert.match((await nan.json()).error, /imageIndex/);
  // An integer JS cannot hold exactly is a number to the hook too: a 400 naming it, not a 500.
  const huge = await post(`{"jobid":${JSON.stringify(SEEDED.square)},"maxJobs":12345678901234567890}`);
  assert.equal(huge.status, 400);
  assert.match((await huge.json()).error, /maxJobs/);
  assert.equal(stack.mock.requests().length, 1, 'only the valid body was forwarded');
});
