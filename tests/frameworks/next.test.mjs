// Next.js (tests/frameworks/next-app: the README's snippets) with the packed package installed
// as users install it. For Turbopack and webpack: `next build` with no USEAPI_TOKEN set (the
// page with the 'use client' upscaler is prerendered, the route modules are imported), then
// `next start`, and `next dev`; each time Chromium opens the page on 127.0.0.1 (Next's route
// handlers see request.url as localhost) and upscales through the route-handler proxy against
// the mock API. Also: the same proxy in Next's edge runtime (the `edge-light` entry), a request
// without Sec-Fetch-Site, and a cross-site page that is refused with nothing forwarded.
// Needs `bash scripts/build.sh` and the app's node_modules (scripts/setup.sh --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startMock, SEEDED } from '../mock/server.mjs';
import { rawRequest } from '../proxy/helpers.mjs';
import { run } from '../runtimes/harness.mjs';
import { HERE, TOKEN, launchChromium, installPackage, appEnv, freePort, serve, upscaleInPage, assertReadmeShows } from './helpers.mjs';

const APP = path.join(HERE, 'next-app');
const NEXT = path.join(APP, 'node_modules/.bin/next');

let mock;
let browser;
let tmp;
let crossSite;

/** A page on http://localhost:PORT (another site than 127.0.0.1) that calls the proxy. */
async function startCrossSite() {
  const page = `<!doctype html><meta charset="utf-8"><title>other site</title><script>
window.attack = async (target, jobid) => {
  const body = JSON.stringify({ jobid, upscaleResolution: '2k' });
  const out = {};
  // A CORS request: its preflight is refused, so the POST is never sent.
  try { const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); out.cors = r.status; }
  catch (e) { out.cors = e.name; }
  // A "simple" POST (no preflight): it reaches the server, which must refuse it.
  try { const r = await fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }); out.simple = r.type; }
  catch (e) { out.simple = e.name; }
  return out;
};
</script>`;
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://localhost:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-next-'));
  await installPackage(tmp, [APP]);
  mock = await startMock({ completeAfterMs: 300 });
  crossSite = await startCrossSite();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await crossSite?.close();
  await mock?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs `next ...args` in the app to completion, without a token; resolves with its output. */
async function nextRun(args, timeoutMs = 240_000) {
  const { stdout, stderr } = await run(NEXT, args, { cwd: APP, env: appEnv(), timeoutMs });
  return stdout + stderr;
}

/** Starts `next start|dev` on 127.0.0.1 with the token and the mock as upstream. */
async function nextServe(args) {
  const port = await freePort();
  const env = appEnv({ USEAPI_TOKEN: TOKEN, USEAPI_UPSTREAM: mock.baseUrl });
  return serve(NEXT, [...args, '-H', '127.0.0.1', '-p', String(port)], { cwd: APP, env, port });
}

/** Same-origin without Sec-Fetch-Site (Origin = Host), and a foreign Origin refused. */
async function originWithoutSecFetchSite(origin, port) {
  const body = JSON.stringify({ jobid: SEEDED.square, upscaleResolution: '2k' });
  const post = (headers) => rawRequest(origin, 'POST', '/api/dreamina/images/upscale',
    { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...headers }, body);
  let before = mock.jobsCreated();
  const own = await post({ origin: `http://127.0.0.1:${port}` });
  assert.equal(own.status, 200, own.text);
  assert.equal(mock.jobsCreated(), before + 1);
  before = mock.jobsCreated();
  const other = await post({ origin: 'https://evil.example' });
  assert.equal(other.status, 403);
  assert.match(other.json.error, /allowOrigins/, 'the 403 says what to set');
  assert.match(other.json.error, /https:\/\/evil\.example/);
  assert.equal(mock.jobsCreated(), before, 'nothing forwarded');
}

/** A page on another site: its requests never reach the API. */
async function crossSiteRefused(origin) {
  const page = await browser.newPage();
  try {
    const before = mock.jobsCreated();
    const requestsBefore = mock.requests().length;
    await page.goto(crossSite.url);
    const out = await page.evaluate(([t, j]) => window.attack(t, j), [`${origin}/api/dreamina/images/upscale`, SEEDED.square]);
    assert.equal(out.cors, 'TypeError', 'the CORS request fails (preflight refused)');
    assert.equal(out.simple, 'opaque', 'the simple POST was sent (and answered 403, unreadable)');
    assert.equal(mock.jobsCreated(), before, 'no job created');
    assert.equal(mock.requests().length, requestsBefore, 'nothing reached the mock API');
  } finally {
    await page.close();
  }
}

/** The proxy in Next's edge runtime (`export const runtime = 'edge'`: the edge-light entry). */
async function edgeRoute(origin) {
  const r = await rawRequest(origin, 'GET', `/api/edge/images/${encodeURIComponent(SEEDED.square)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.jobid, SEEDED.square);
}

for (const bundler of ['turbopack', 'webpack']) {
  const flag = bundler === 'webpack' ? ['--webpack'] : [];

  test(`next build (${bundler}, no USEAPI_TOKEN) + next start: upscale from 127.0.0.1 in Chromium`, async () => {
    const out = await nextRun(['build', ...flag]);
    assert.match(out, /○ \/\s/, `the page is prerendered:\n${out}`);
    const html = fs.readFileSync(path.join(APP, '.next/server/app/index.html'), 'utf8');
    assert.match(html, /data-status="idle"/, 'the client component rendered on the server');
    const server = await nextServe(['start']);
    try {
      await upscaleInPage(browser, mock, server.origin);
      await originWithoutSecFetchSite(server.origin, server.port);
      await edgeRoute(server.origin);
      if (bundler === 'turbopack') await crossSiteRefused(server.origin);
      assert.doesNotMatch(server.log(), /Error|⨯/, 'next start logged no error');
    } finally {
      await server.stop();
    }
  });

  test(`next dev (${bundler}): upscale from 127.0.0.1 in Chromium`, async () => {
    const server = await nextServe(['dev', ...flag]);
    try {
      await upscaleInPage(browser, mock, server.origin);
      await edgeRoute(server.origin);
      assert.doesNotMatch(server.log(), /⨯/, `next dev logged no error:\n${server.log()}`);
    } finally {
      await server.stop();
    }
  });
}

test('README: the Next.js snippets are the files this app builds', () => {
  for (const file of ['app/api/dreamina/[...path]/route.ts', 'app/upscaler.tsx']) assertReadmeShows(APP, file);
});
