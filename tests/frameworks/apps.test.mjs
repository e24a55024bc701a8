// SvelteKit 2 (adapter-node), React Router 7 (framework mode) and webpack 5 apps, each in its
// own folder with the packed package installed as users install it. SvelteKit and React Router:
// built with no USEAPI_TOKEN, then their production server on 127.0.0.1, and Chromium upscales
// from the page through the README's proxy route against the mock API. webpack: the README's
// command with no config file, and the bundle upscales in Chromium against the mock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMock, SEEDED } from '../mock/server.mjs';
import { run } from '../runtimes/harness.mjs';
import { HERE, TOKEN, launchChromium, installPackage, appEnv, freePort, serve, upscaleInPage, assertReadmeShows } from './helpers.mjs';

const SVELTEKIT = path.join(HERE, 'sveltekit-app');
const REACT_ROUTER = path.join(HERE, 'react-router-app');
const WEBPACK = path.join(HERE, 'webpack-app');
const bin = (app, name) => path.join(app, 'node_modules/.bin', name);
/** The command README "Frameworks" gives for webpack (run in the app folder). */
const WEBPACK_COMMAND = 'npx webpack --mode=production';

let mock;
let browser;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-apps-'));
  await installPackage(tmp, [SVELTEKIT, REACT_ROUTER, WEBPACK]);
  mock = await startMock({ completeAfterMs: 300 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await mock?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The server's environment: the token, the mock as upstream, 127.0.0.1:port. */
const serverEnv = (port) => appEnv({ USEAPI_TOKEN: TOKEN, USEAPI_UPSTREAM: mock.baseUrl, HOST: '127.0.0.1', PORT: String(port) });

test('SvelteKit 2 (adapter-node): vite build without USEAPI_TOKEN, node build, upscale from 127.0.0.1', async () => {
  await run(bin(SVELTEKIT, 'vite'), ['build'], { cwd: SVELTEKIT, env: appEnv(), timeoutMs: 240_000 });
  const port = await freePort();
  const server = await serve('node', ['build'], { cwd: SVELTEKIT, env: serverEnv(port), port });
  try {
    await upscaleInPage(browser, mock, server.origin, () => document.querySelector('form')?.dataset.hydrated === 'true');
  } finally {
    await server.stop();
  }
  assertReadmeShows(SVELTEKIT, 'src/routes/api/dreamina/[...path]/+server.js', 'SvelteKit: src/routes/api/dreamina/[...path]/+server.js');
});

test('React Router 7: react-router build without USEAPI_TOKEN, react-router-serve, upscale from 127.0.0.1', async () => {
  // The page is the Next.js app's upscaler component, minus its 'use client' line.
  const upscaler = fs.readFileSync(path.join(HERE, 'next-app/app/upscaler.tsx'), 'utf8');
  fs.writeFileSync(path.join(REACT_ROUTER, 'app/routes/home.tsx'), upscaler.replace("'use client';\n", ''));
  await run(bin(REACT_ROUTER, 'react-router'), ['build'], { cwd: REACT_ROUTER, env: appEnv(), timeoutMs: 240_000 });
  const port = await freePort();
  const server = await serve(bin(REACT_ROUTER, 'react-router-serve'), ['./build/server/index.js'], { cwd: REACT_ROUTER, env: serverEnv(port), port });
  try {
    await upscaleInPage(browser, mock, server.origin);
  } finally {
    await server.stop();
  }
  assertReadmeShows(REACT_ROUTER, 'app/routes/api.dreamina.$.ts', 'React Router 7: app/routes/api.dreamina.$.ts');
});

test('webpack 5, no config file: the README command, then the bundle upscales in Chromium', async () => {
  const readme = fs.readFileSync(path.join(HERE, '../../README.md'), 'utf8');
  assert.ok(readme.includes(WEBPACK_COMMAND), 'README gives this exact command');
  fs.rmSync(path.join(WEBPACK, 'dist'), { recursive: true, force: true });
  await run('sh', ['-c', WEBPACK_COMMAND], { cwd: WEBPACK, env: { ...appEnv(), npm_config_update_notifier: 'false' }, timeoutMs: 240_000 });
  const dist = path.join(WEBPACK, 'dist');
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="main.js"></script>');
  const web = await startMock({ static: [{ dir: dist, prefix: '/' }] });
  const page = await browser.newPage();
  const wasm = [];
  page.on('response', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  try {
    const before = mock.jobsCreated();
    const query = new URLSearchParams({ api: mock.baseUrl, token: TOKEN, jobid: SEEDED.square });
    await page.goto(`${web.url}/index.html?${query}`);
    const result = await (await page.waitForFunction(() => window.__result, null, { timeout: 30_000 })).jsonValue();
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(mock.jobsCreated(), before + 1);
    assert.equal(wasm.length, 1, `the .wasm webpack emitted was fetched: ${wasm}`);
    assert.match(wasm[0], new RegExp(`^${web.url}/[0-9a-f]+\\.wasm$`));
  } finally {
    await page.close();
    await web.close();
  }
});
