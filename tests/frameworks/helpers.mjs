// Shared set-up of the framework suites: the packed package installed into an app as users
// install it, an app's server started on 127.0.0.1, and the upscaler page driven in Chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SEEDED } from '../mock/server.mjs';
import { rawRequest } from '../proxy/helpers.mjs';
import { run, npmEnv, npmPack } from '../runtimes/harness.mjs';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const TOKEN = 'user:12345-sandbox';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const launchChromium = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

/**
 * `npm pack ./pkg` into `tmp` and install the tarball into each app (--no-save: the app's
 * package.json and lock stay as committed). Fails with the fix when something is missing.
 */
export async function installPackage(tmp, apps) {
  assert.ok(fs.existsSync(path.join(ROOT, 'pkg/package.json')), 'pkg/ is built (bash scripts/build.sh)');
  const env = npmEnv(tmp);
  const packed = await npmPack(path.join(ROOT, 'pkg'), tmp, env);
  for (const app of apps) {
    assert.ok(fs.existsSync(path.join(app, 'node_modules/.bin')), `${app} has its node_modules (bash scripts/setup.sh --test)`);
    await run('npm', ['install', '--no-save', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', packed.tarball],
      { cwd: app, env, timeoutMs: 120_000 });
  }
}

/** The environment of an app's build or server: no token unless given (builds never get one). */
export function appEnv(extra = {}) {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...extra };
  if (!extra.USEAPI_TOKEN) delete env.USEAPI_TOKEN;
  delete env.NODE_OPTIONS;
  return env;
}

export async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Starts a server (`cmd args`, in its own process group so its workers stop with it) that
 * listens on `port`; resolves once `/` answers 200.
 */
export async function serve(cmd, args, { cwd, env, port }) {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited early:\n${log}`);
    const r = await rawRequest(origin, 'GET', '/').catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`${cmd} ${args.join(' ')} never served /:\n${log}`); }
    await new Promise((res) => setTimeout(res, 300));
  }
  return { origin, port, stop, log: () => log };
}

/** True once React controls the page's input (typing into server HTML alone does nothing). */
export const reactHydrated = () => {
  const input = document.querySelector('input[name=jobid]');
  return Boolean(input && Object.keys(input).some((k) => k.startsWith('__reactProps')));
};

/**
 * Opens the upscaler page at `origin` (on 127.0.0.1), waits for `hydrated`, submits the form,
 * and checks the job went through the app's own /api/dreamina proxy to the mock.
 */
export async function upscaleInPage(browser, mock, origin, hydrated = reactHydrated) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r); });
  try {
    const before = mock.jobsCreated();
    await page.goto(`${origin}/`);
    await page.waitForFunction(hydrated, null, { timeout: 120_000 });
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

/** README.md holds `// <label>\n<file's code>`: the snippet is the file the suite builds. */
export function assertReadmeShows(app, file, label = file) {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const code = fs.readFileSync(path.join(app, file), 'utf8').trim();
  assert.ok(readme.includes(`// ${label}\n${code}`), `README shows ${file} as built here`);
}
