// Who is "the app's own page", decided as Go 1.25's CrossOriginProtection does: Sec-Fetch-Site
// first (same-origin / none), else Origin against the Host header (never request.url, which
// frameworks rewrite: Next.js route handlers see http://localhost:PORT/…); anything cross-site
// only through allowOrigins. And a handler made without a token (a build without secrets)
// answers 500 naming USEAPI_TOKEN, forwarding nothing. The package in Node, against the mock;
// real Chromium requests of these shapes run in tests/frameworks/ and browser.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, SEEDED } from '../mock/server.mjs';
import { loadPackage, TOKEN } from './helpers.mjs';

const APP = 'https://app.example.com';
let pkg;
let mock;
let forwarded;

before(async () => {
  pkg = await loadPackage();
  mock = await startMock({ completeAfterMs: 300 });
});
after(async () => mock?.close());

/** A proxy whose upstream calls are counted; request.url always says localhost, as in Next. */
function proxy(options = {}) {
  forwarded = 0;
  const handler = pkg.createProxyHandler({
    token: TOKEN, upstream: mock.baseUrl, allowOrigins: [APP],
    fetch: (url, init) => { forwarded++; return fetch(url, init); },
    ...options,
  });
  return (headers, method = 'POST') => handler(new Request('http://localhost:3000/api/dreamina/images/upscale', {
    method, headers: { 'content-type': 'application/json', ...headers },
    body: method === 'POST' ? JSON.stringify({ jobid: SEEDED.square }) : undefined,
  }));
}

async function refused(response, ...mentions) {
  assert.equal(response.status, 403);
  assert.equal(response.headers.get('access-control-allow-origin'), null);
  const { error } = await response.json();
  for (const m of ['allowOrigins', ...mentions]) assert.ok(error.includes(m), `the 403 mentions ${m}: ${error}`);
  assert.equal(forwarded, 0, 'nothing forwarded');
}

test('Sec-Fetch-Site same-origin or none is the app\'s own page, whatever request.url says', async () => {
  const call = proxy();
  const own = await call({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' });
  assert.equal(own.status, 200, await own.clone().text());
  assert.equal(own.headers.get('access-control-allow-origin'), null, 'same-origin needs no CORS header');
  const typed = await call({ host: 'shop.example', 'sec-fetch-site': 'none' }, 'GET');
  assert.equal(typed.status, 405, 'reached routing (GET on the upscale route), not refused');
  assert.equal(forwarded, 1);
});

test('without Sec-Fetch-Site, Origin is compared with the Host header', async () => {
  let call = proxy();
  const own = await call({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' });
  assert.equal(own.status, 200);
  assert.equal(forwarded, 1);
  call = proxy();
  // request.url's host (localhost:3000) is not what the browser asked for: not a match.
  await refused(await call({ host: 'shop.example', origin: 'http://localhost:3000' }), '"http://localhost:3000"', 'shop.example');
});

test('cross-site pages pass only through allowOrigins; they cannot forge Sec-Fetch-Site', async () => {
  let call = proxy();
  const listed = await call({ host: 'api.example.net', origin: APP, 'sec-fetch-site': 'cross-site' });
  assert.equal(listed.status, 200);
  assert.equal(listed.headers.get('access-control-allow-origin'), APP);
  call = proxy();
  // An Origin equal to the Host does not help when the browser says cross-site.
  await refused(await call({ host: 'api.example.net', origin: 'https://api.example.net', 'sec-fetch-site': 'cross-site' }), 'cross-site');
  call = proxy();
  await refused(await call({ host: 'api.example.net', origin: 'https://evil.example', 'sec-fetch-site': 'same-site' }), '"https://evil.example"');
  call = proxy();
  await refused(await call({ host: 'api.example.net', 'sec-fetch-site': 'cross-site' }));
  call = proxy();
  const preflight = await call({ host: 'api.example.net', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'access-control-request-method': 'POST' }, 'OPTIONS');
  await refused(preflight);
  call = proxy({ allowOrigins: '*' });
  const any = await call({ host: 'api.example.net', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
  assert.equal(any.headers.get('access-control-allow-origin'), '*');
});

test('non-browser callers (no Origin, no Sec-Fetch-Site) are forwarded as before', async () => {
  const call = proxy();
  const r = await call({});
  assert.equal(r.status, 200);
  assert.equal(forwarded, 1);
});

test('a handler made without a token: created fine, each request gets a 500 naming USEAPI_TOKEN', async () => {
  for (const token of [undefined, '', '  ']) {
    const call = proxy({ token });
    const r = await call({ host: '127.0.0.1:3000', 'sec-fetch-site': 'same-origin' });
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.match(body.error, /USEAPI_TOKEN/);
    assert.equal(body.code, 500);
    assert.equal(forwarded, 0, 'nothing forwarded');
  }
  // Other answers are unchanged: a wrong path is still a 404.
  const handler = pkg.createProxyHandler({ token: undefined });
  assert.equal((await handler(new Request('http://localhost/elsewhere'))).status, 404);
});
