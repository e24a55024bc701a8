// The browser client in headless Chromium through the proxy in workerd, cross-origin (CORS):
// the page is served by a small node:http server on its own origin, the proxy allows exactly
// that origin. The token must appear nowhere the page can see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStack, SEEDED, TOKEN, ROOT } from './helpers.mjs';

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = `<!doctype html><meta charset="utf-8"><title>proxy</title>
<script type="module">
import { DreaminaClient } from '/pkg/browser.mjs';
window.run = async (baseUrl, jobid) => {
  try {
    const client = new DreaminaClient({ baseUrl });
    return { job: await client.upscaleAndWait({ jobid }, { pollIntervalMs: 100, timeoutMs: 20000 }) };
  } catch (e) {
    return { error: { name: e.name, kind: e.kind, message: e.message } };
  }
};
window.ready = true;
</script>`;

let pages;
let stack;
let browser;

/** Serves the page at / and the built package under /pkg/. */
async function startPages() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const pkg = path.join(ROOT, 'pkg');
    const file = path.join(pkg, path.normalize(url.pathname.slice('/pkg/'.length)));
    const inside = file.startsWith(pkg + path.sep);
    if (!url.pathname.startsWith('/pkg/') || !inside || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      return res.writeHead(404).end();
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

before(async () => {
  pages = await startPages();
  stack = await startStack({ allowedOrigin: `http://127.0.0.1:${pages.port}`, completeAfterMs: 300 });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await stack?.close();
  await pages?.close();
});

/** Opens the page at `origin`, records every request and response, runs an upscale. */
async function runInPage(origin) {
  const page = await browser.newPage();
  const traffic = [];
  page.on('request', (req) => traffic.push(req));
  const responses = [];
  page.on('response', (res) => responses.push(res));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const outcome = await page.evaluate(([api, jobid]) => window.run(api, jobid), [`${stack.workerUrl}/api/dreamina`, SEEDED.square]);
  const visible = await page.evaluate(() => JSON.stringify({
    html: document.documentElement.outerHTML, cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage },
    entries: performance.getEntries().map((e) => e.name), globals: Object.keys(window),
  }));
  const seen = [];
  for (const req of traffic) seen.push({ url: req.url(), method: req.method(), headers: await req.allHeaders(), body: req.postData() });
  for (const res of responses) {
    const body = await res.text().catch(() => '');
    seen.push({ url: res.url(), status: res.status(), headers: await res.allHeaders(), body });
  }
  await page.close();
  return { outcome, visible, seen };
}

test('headless Chromium upscales through the proxy, and the page never holds the token', async () => {
  stack.mock.reset();
  const { outcome, visible, seen } = await runInPage(`http://127.0.0.1:${pages.port}`);
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.equal(outcome.job.status, 'completed');
  assert.equal(outcome.job.response.images[0].width, 4096);
  const apiCalls = seen.filter((s) => s.url.startsWith(stack.workerUrl) && s.method);
  assert.ok(apiCalls.some((s) => s.method === 'OPTIONS' || s.method === 'POST'), 'the page called the proxy');
  assert.ok(apiCalls.filter((s) => s.method === 'GET').length >= 1, 'and polled it');
  for (const s of apiCalls) assert.equal(s.headers.authorization, undefined, `${s.method} ${s.url}`);
  const everything = JSON.stringify(seen) + visible;
  for (const needle of [TOKEN, encodeURIComponent(TOKEN), '12345-sandbox']) {
    assert.ok(!everything.includes(needle), `"${needle}" appears in what the page saw`);
  }
  // The mock did get the token, from the worker.
  const reqs = stack.mock.requests();
  assert.ok(reqs.length >= 2);
  for (const r of reqs) assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
});

test('a page on an origin the proxy does not allow is blocked by CORS and creates no job', async () => {
  stack.mock.reset();
  // localhost and 127.0.0.1 are different origins; only the latter is allowed.
  const { outcome, seen } = await runInPage(`http://localhost:${pages.port}`);
  assert.equal(outcome.job, undefined);
  assert.equal(outcome.error.kind, 'network', JSON.stringify(outcome.error));
  const preflight = seen.find((s) => s.url.startsWith(stack.workerUrl) && s.status !== undefined);
  assert.ok(preflight === undefined || preflight.headers['access-control-allow-origin'] === undefined);
  assert.equal(stack.mock.jobsCreated(), 0);
  assert.equal(stack.mock.requests().length, 0);
});
