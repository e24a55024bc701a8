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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock, SEEDED } from '../mock/server.mjs';
import { rawRequest } from '../proxy/helpers.mjs';
import { run, npmEnv, npmPack } from '../runtimes/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const APP = path.join(HERE, 'next-app');
const NEXT = path.join(APP, 'node_modules/.bin/next');
const TOKEN = 'user:12345-sandbox';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let mock;
let browser;
let tmp;
let crossSite;

/** Next's environment: no telemetry, and no token unless given (builds never get one). */
function nextEnv(extra = {}) {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  if (!extra.USEAPI_TOKEN) delete env.USEAPI_TOKEN;
  delete env.NODE_OPTIONS;
  return env;
}

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

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
  assert.ok(fs.existsSync(path.join(ROOT, 'pkg/package.json')), 'pkg/ is built (bash scripts/build.sh)');
  assert.ok(fs.existsSync(NEXT), 'the app has its node_modules (bash scripts/setup.sh --test)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-next-'));
  // The packed tarball, installed into the app as users install it (--no-save: the app's
  // package.json and lock stay as committed).
  const env = npmEnv(tmp);
  const packed = await npmPack(path.join(ROOT, 'pkg'), tmp, env);
  await run('npm', ['install', '--no-save', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', packed.tarball],
    { cwd: APP, env, timeoutMs: 120_000 });
  mock = await startMock({ completeAfterMs: 300 });
  crossSite = await startCrossSite();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await crossSite?.close();
  await mock?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs `next ...args` in the app to completion; resolves with its output. */
async function nextRun(args, timeoutMs = 240_000) {
  const { stdout, stderr } = await run(NEXT, args, { cwd: APP, env: nextEnv(), timeoutMs });
  return stdout + stderr;
}

/** Starts `next start|dev` on 127.0.0.1 with the token; resolves once `/` answers. */
async function nextServe(args) {
  const port = await freePort();
  const env = nextEnv({ USEAPI_TOKEN: TOKEN, USEAPI_UPSTREAM: mock.baseUrl });
  // Its own process group, so stopping it stops the workers `next dev` starts too.
  const child = spawn(NEXT, [...args, '-H', '127.0.0.1', '-p', String(port)], { cwd: APP, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const origin = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    try { process.kill(-child.pid, 'SIGTERM'); } catch { resolve(); }
    setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000).unref();
  });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next ${args.join(' ')} exited early:\n${log}`);
    const r = await rawRequest(origin, 'GET', '/').catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`next ${args.join(' ')} never served /:\n${log}`); }
    await new Promise((res) => setTimeout(res, 300));
  }
  return { origin, port, stop, log: () => log };
}

/** The upscaler page in Chromium on 127.0.0.1: submit the form, wait for the job. */
async function upscaleInPage(origin) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r); });
  try {
    const before = mock.jobsCreated();
    await page.goto(`${origin}/`);
    // Hydrated once React controls the input (typing into the server HTML alone does nothing).
    await page.waitForFunction(() => {
      const input = document.querySelector('input[name=jobid]');
      return input && Object.keys(input).some((k) => k.startsWith('__reactProps'));
    }, null, { timeout: 120_000 });
    await page.fill('input[name=jobid]', SEEDED.square);
    await page.click('button[type=submit]');
    await page.waitForSelector('output[data-status="completed"], output[data-status^="failed"]', { timeout: 60_000 });
    const status = await page.getAttribute('output', 'data-status');
    assert.equal(status, 'completed', `the page says: ${status}; page errors: ${errors.join('; ')}`);
    assert.match(await page.getAttribute('img', 'src'), /^http:\/\/127\.0\.0\.1:\d+\//, 'the upscaled image is shown');
    assert.equal(mock.jobsCreated(), before + 1, 'one job reached the mock API through the proxy');
    const post = posts.find((r) => r.url() === `${origin}/api/dreamina/images/upscale`);
    assert.ok(post, 'the page POSTed to its own /api/dreamina');
    const headers = await post.allHeaders();
    assert.equal(headers['sec-fetch-site'], 'same-origin');
    assert.ok(!JSON.stringify(headers).includes(TOKEN), 'no token in the browser');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
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
      await upscaleInPage(server.origin);
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
      await upscaleInPage(server.origin);
      await edgeRoute(server.origin);
      assert.doesNotMatch(server.log(), /⨯/, `next dev logged no error:\n${server.log()}`);
    } finally {
      await server.stop();
    }
  });
}

test('README: the Next.js snippets are the files this app builds', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const file of ['app/api/dreamina/[...path]/route.ts', 'app/upscaler.tsx']) {
    const code = fs.readFileSync(path.join(APP, file), 'utf8').trim();
    assert.ok(readme.includes(`// ${file}\n${code}`), `README shows ${file} as built here`);
  }
});
