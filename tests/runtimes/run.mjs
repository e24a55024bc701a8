// `node tests/runtimes/run.mjs`: the package `dreamina-upscale` (built into pkg/ by
// scripts/build.sh) imported as users import it, in every runtime it claims: Node ESM and
// require(), Deno, Bun, a Vite build and native ES modules in headless Chromium, and workerd
// through Miniflare (bundled by esbuild as wrangler does, and unbundled). Each runs the same
// flow (flow.mjs) against one in-process mock API; then the browser/workerd entries' module
// graphs are checked for Node-only or window-only globals. Prints one line per check, exits 1
// on any failure. Needs `bash scripts/build.sh` first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock, SEEDED } from '../mock/server.mjs';
import { check, summary, run, lastJsonLine, npmEnv, npmPack, npmInstall } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PKG = path.join(ROOT, 'pkg');
const BIN = (name) => path.join(ROOT, 'node_modules/.bin', name);
const TOKEN = 'user:12345-sandbox';
// workerd refuses a compatibility date newer than its build (miniflare 4.20260426.0).
const COMPAT_DATE = '2026-04-01';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function main() {
  assertPackageBuilt();
  const mock = await startMock({ completeAfterMs: 300 });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-runtimes-'));
  const flowArgs = [mock.baseUrl, TOKEN, SEEDED.square];
  const query = new URLSearchParams({ api: mock.baseUrl, token: TOKEN, jobid: SEEDED.square });
  try {
    await check('Node ESM: import { DreaminaClient } from "dreamina-upscale"', async () => {
      await expectFlow(mock, () => cliFlow('node', [path.join(HERE, 'cli-flow.mjs'), ...flowArgs]));
      return `Node ${process.version}`;
    });
    await check('Node CommonJS: require("dreamina-upscale")', () => checkRequire(mock, flowArgs));
    await check('Deno: import from "dreamina-upscale" (node_modules, "deno" condition)', async () => {
      await expectFlow(mock, () => cliFlow(BIN('deno'), denoArgs(mock.port, flowArgs), denoEnv()));
      return (await run(BIN('deno'), ['--version'], { env: denoEnv() })).stdout.split('\n')[0];
    });
    await check('Bun: import from "dreamina-upscale"', async () => {
      await expectFlow(mock, () => cliFlow(BIN('bun'), ['--no-install', path.join(HERE, 'cli-flow.mjs'), ...flowArgs]));
      return `bun ${(await run(BIN('bun'), ['--version'])).stdout.trim()}`;
    });
    await browserChecks(mock, tmp, query);
    await check('workerd (Miniflare): worker bundled by esbuild, imports "dreamina-upscale"', () =>
      checkBundledWorker(mock, path.join(tmp, 'worker'), query));
    await check('workerd (Miniflare): unbundled, pkg/workerd.mjs by path', () => checkRawWorker(mock, query));
    await check('browser + workerd entry graphs: no Node built-ins, no unguarded window/process', () =>
      checkEntryGraphs(path.join(tmp, 'graphs')));
  } finally {
    await mock.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  summary('runtimes');
}

/** Fails fast, with the fix, when the package was not built or not linked by name. */
function assertPackageBuilt() {
  const linked = path.join(ROOT, 'node_modules/dreamina-upscale/package.json');
  if (!fs.existsSync(path.join(PKG, 'package.json')) || !fs.existsSync(linked)) {
    console.log('FAIL pkg/ is not built or node_modules/dreamina-upscale is missing: run `bash scripts/build.sh`');
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------
// The flow's expected outcome, whatever the runtime

/** Runs `produce` (which makes some runtime run flow.mjs) and checks what it reports. */
async function expectFlow(mock, produce) {
  const before = mock.jobsCreated();
  const result = await produce();
  assertFlow(result);
  // The job really reached this mock (and the invalid request never did).
  assert.equal(mock.jobsCreated(), before + 1, 'exactly one upscale job created on the mock');
  return result;
}

function assertFlow(r) {
  assert.ok(!r.failed, `flow failed: ${r.failed}`);
  assert.equal(r.createdStatus, 'created');
  assert.equal(r.status, 'completed');
  assert.equal(r.sameJob, true, 'waitForJob returned the job upscale created');
  assert.equal(r.imageLongSide, 2048, 'the 2k upscale has a 2048 px long side');
  assert.ok(r.updates >= 1, 'onUpdate saw at least one snapshot');
  assert.deepEqual(r.error, {
    thrown: true, name: 'DreaminaError', kind: 'validation', field: 'imageIndex', isError: true, isDreaminaError: true,
  });
}

// ---------------------------------------------------------------------------------------
// Node, Deno, Bun: cli-flow.mjs in a child process, importing the package by name

/**
 * Runs cli-flow.* and checks which entry the runtime resolved: Node's own resolver the one that
 * reads the .wasm file (`node-addons` condition), Deno and Bun the one that embeds it.
 */
async function cliFlow(cmd, args, env) {
  const { stdout, stderr } = await run(cmd, args, { cwd: ROOT, env });
  const result = lastJsonLine(stdout);
  const entry = cmd === 'node' ? 'node.mjs' : 'server.mjs';
  assert.ok(String(result.entry).endsWith(`/pkg/${entry}`), `resolved to the package's ${entry}, got ${result.entry}`);
  assert.equal(stderr.trim(), '', 'nothing on stderr (no warning)');
  return result;
}

async function checkRequire(mock, flowArgs) {
  const r = await expectFlow(mock, () => cliFlow('node', [path.join(HERE, 'cli-flow.cjs'), ...flowArgs]));
  assert.deepEqual(r.requireExports, ['DreaminaClient', 'DreaminaError', 'createProxyHandler', 'handleWebhook', 'ready']);
  return `Node ${process.version}`;
}

/** Deno with the least permissions the package needs: reach the mock (no --allow-read: the
 * server entry carries its .wasm). */
function denoArgs(port, flowArgs) {
  return ['run', '--quiet', '--no-lock', '--no-prompt',
    `--allow-net=127.0.0.1:${port}`, path.join(HERE, 'cli-flow.mjs'), ...flowArgs];
}

function denoEnv() {
  return { ...process.env, DENO_DIR: path.join(ROOT, '.cache/deno'), DENO_NO_UPDATE_CHECK: '1' };
}

// ---------------------------------------------------------------------------------------
// Chromium: a Vite build, and the published files as native ES modules

async function browserChecks(mock, tmp, query) {
  const viteOut = path.join(tmp, 'vite-dist');
  const esbuildOut = path.join(tmp, 'esbuild-app/dist');
  // A second mock instance used only as the static web server: another origin than the API,
  // so the browser makes real cross-origin (CORS) requests, as against api.useapi.net.
  const web = await startMock({ static: [
    { dir: viteOut, prefix: '/vite/' },
    { dir: esbuildOut, prefix: '/esbuild/' },
    { dir: PKG, prefix: '/pkg/' },
    { dir: path.join(HERE, 'native'), prefix: '/' },
    { dir: HERE, prefix: '/' },
  ] });
  let browser;
  try {
    await check('Chromium starts (Debian /usr/bin/chromium via playwright-core)', async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
      return `Chromium ${browser.version()}`;
    });
    if (!browser) return;
    await check('Vite 8 build (default target) → Chromium: import from "dreamina-upscale"', async () => {
      await viteBuild(viteOut, tmp);
      const wasmUrls = await flowInPage(mock, browser, `${web.url}/vite/index.html?${query}`);
      assert.ok(wasmUrls.some((u) => /\/vite\/assets\/dreamina_upscale_bg-[\w-]+\.wasm$/.test(u)),
        `the .wasm came from Vite's hashed asset, got ${wasmUrls}`);
    });
    await check('Chromium native ES modules: import from "/pkg/browser.mjs"', async () => {
      let stubs;
      const wasmUrls = await flowInPage(mock, browser, `${web.url}/?${query}`, (r) => { stubs = r.stubs; });
      // Pages download the client-only build; the edge helpers there explain themselves.
      assert.deepEqual(wasmUrls, [`${web.url}/pkg/dreamina_upscale_bg.wasm`]);
      assert.deepEqual(stubs, ['true:validation:createProxyHandler', 'true:validation:handleWebhook']);
    });
    await check('esbuild, the README\'s one-line command (ESM bundle + the .wasm copied) → Chromium', async () => {
      await esbuildApp(esbuildOut);
      const wasmUrls = await flowInPage(mock, browser, `${web.url}/esbuild/index.html?${query}`);
      assert.deepEqual(wasmUrls, [`${web.url}/esbuild/dreamina_upscale_bg.wasm`]);
    });
    await check('Vite 8 dev server (deps pre-bundled, real install) → Chromium', () =>
      checkViteDev(mock, browser, path.join(tmp, 'vite-dev'), query));
  } finally {
    await browser?.close();
    await web.close();
  }
}

/** Runs the page's flow, checks it; returns the URLs the .wasm was fetched from. */
async function flowInPage(mock, browser, url, seeResult = () => {}) {
  let wasmUrls;
  await expectFlow(mock, async () => {
    const page = await inPage(browser, url);
    wasmUrls = page.wasmUrls;
    seeResult(page.result);
    return page.result;
  });
  return wasmUrls;
}

async function viteBuild(outDir, tmp) {
  const { build } = await import('vite');
  // No build.target: Vite 8's default (baseline-widely-available) has top-level await.
  await build({
    root: path.join(HERE, 'vite-app'), configFile: false, logLevel: 'warn', base: './',
    cacheDir: path.join(tmp, 'vite-cache'), build: { outDir, emptyOutDir: true },
  });
}

/** The command README "Frameworks" gives for esbuild, which does not follow `new URL(…)`. */
const ESBUILD_COMMAND = 'npx esbuild src/main.js --bundle --format=esm --outdir=dist && cp node_modules/dreamina-upscale/dreamina_upscale_bg.wasm dist/';

/** A user's project (src/main.js, the package in node_modules) built by ESBUILD_COMMAND. */
async function esbuildApp(dist) {
  const app = path.dirname(dist);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(ESBUILD_COMMAND), 'README gives this exact command');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.mkdirSync(path.join(app, 'node_modules/.bin'), { recursive: true });
  fs.symlinkSync(PKG, path.join(app, 'node_modules/dreamina-upscale'));
  fs.symlinkSync(BIN('esbuild'), path.join(app, 'node_modules/.bin/esbuild'));
  fs.copyFileSync(path.join(HERE, 'vite-app/main.js'), path.join(app, 'src/main.js'));
  fs.copyFileSync(path.join(HERE, 'flow.mjs'), path.join(app, 'flow.mjs'));
  await run('sh', ['-c', ESBUILD_COMMAND], { cwd: app, env: { ...process.env, npm_config_update_notifier: 'false' } });
  fs.copyFileSync(path.join(HERE, 'vite-app/index.html'), path.join(dist, 'index.html'));
}

/**
 * `vite dev` pre-bundles dependencies from node_modules (moving the code away from its .wasm),
 * which the linked pkg/ is exempt from: so this installs the packed tarball for real.
 */
async function checkViteDev(mock, browser, dir, query) {
  const app = path.join(dir, 'app');
  fs.mkdirSync(dir, { recursive: true });
  await npmInstall((await npmPack(PKG, dir, npmEnv(dir))).tarball, app, npmEnv(dir));
  fs.cpSync(path.join(HERE, 'vite-app'), path.join(app, 'vite-app'), { recursive: true });
  fs.copyFileSync(path.join(HERE, 'flow.mjs'), path.join(app, 'flow.mjs'));
  const { createServer } = await import('vite');
  const server = await createServer({
    root: path.join(app, 'vite-app'), configFile: false, logLevel: 'warn', cacheDir: path.join(dir, 'vite-cache'),
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  });
  try {
    await server.listen();
    const wasmUrls = await flowInPage(mock, browser, `${server.resolvedUrls.local[0]}?${query}`);
    assert.equal(wasmUrls.length, 1, `one .wasm fetched: ${wasmUrls}`);
    assert.match(wasmUrls[0], /node_modules\/dreamina-upscale\/dreamina_upscale_bg\.wasm$/);
    const optimized = fs.readdirSync(path.join(dir, 'vite-cache/deps')).filter((f) => f.startsWith('dreamina-upscale'));
    assert.ok(optimized.length > 0, 'Vite pre-bundled the package (the path users hit)');
  } finally {
    await server.close();
  }
}

/** Opens `url`, waits for the page's `window.__result`, returns it and the .wasm URLs fetched. */
async function inPage(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  const wasmUrls = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.url().endsWith('.wasm') && r.ok() && wasmUrls.push(r.url()));
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(() => window.__result, null, { timeout: 30000 });
    return { result: await handle.jsonValue(), wasmUrls };
  } catch (e) {
    e.message += `\n${problems.join('\n')}`;
    throw e;
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------
// workerd through Miniflare

/**
 * Bundles worker/worker.mjs as wrangler does: esbuild with the workerd conditions, the .wasm
 * kept as a separate module next to the bundle (workerd compiles it; it may not compile
 * bytes at run time). Returns the esbuild metafile.
 */
async function bundleWorker(entry, outdir, conditions = ['workerd', 'worker', 'browser']) {
  const esbuild = await import('esbuild');
  fs.mkdirSync(outdir, { recursive: true });
  const { metafile } = await esbuild.build({
    entryPoints: [entry], outfile: path.join(outdir, 'worker.mjs'), bundle: true, format: 'esm',
    platform: 'neutral', conditions, metafile: true, logLevel: 'silent', plugins: [wasmAsModule(outdir)],
  });
  return metafile;
}

/** esbuild plugin: `import m from './x.wasm'` stays an import of a copied x.wasm. */
function wasmAsModule(outdir) {
  return {
    name: 'wasm-as-module',
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const src = path.resolve(args.resolveDir, args.path);
        fs.copyFileSync(src, path.join(outdir, path.basename(src)));
        return { path: `./${path.basename(src)}`, external: true };
      });
    },
  };
}

async function checkBundledWorker(mock, outdir, query) {
  const metafile = await bundleWorker(path.join(HERE, 'worker/worker.mjs'), outdir);
  const entries = Object.keys(metafile.inputs).filter((f) => /(node|browser|workerd)\.mjs$/.test(f));
  assert.deepEqual(entries.map((f) => path.basename(f)), ['workerd.mjs'], 'the "workerd" export was picked');
  await inWorkerd({ scriptPath: path.join(outdir, 'worker.mjs'), modulesRoot: outdir }, mock, query);
}

async function checkRawWorker(mock, query) {
  // Miniflare takes `.js` for CommonJS unless told otherwise; the package's glue is ESM.
  const esm = { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] };
  await inWorkerd({ scriptPath: path.join(HERE, 'worker/raw.mjs'), modulesRoot: ROOT }, mock, query, [esm]);
}

async function inWorkerd(where, mock, query, moreRules = []) {
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    ...where, modules: true, compatibilityDate: COMPAT_DATE,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }, ...moreRules],
  });
  try {
    await expectFlow(mock, async () => (await mf.dispatchFetch(`http://worker.test/?${query}`)).json());
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// Module graphs of the browser and workerd entries

// Globals that do not exist in browsers or workerd (window: not in workers/workerd). A use is
// tolerated only behind `typeof X` (wasm-bindgen's global lookup does `typeof window`).
// (`module`/`exports` are left out: wasm-bindgen's glue uses `module` as a local name.)
const NOT_EVERYWHERE = ['window', 'document', 'process', 'Buffer', 'require', '__dirname', '__filename',
  'global', 'setImmediate'];

async function checkEntryGraphs(outdir) {
  const found = [];
  for (const [entry, conditions] of [['browser.mjs', ['browser']], ['workerd.mjs', ['workerd', 'worker', 'browser']]]) {
    const dir = path.join(outdir, entry);
    // platform "neutral" with no externals: a node: import would fail the bundle here.
    const metafile = await bundleWorker(path.join(PKG, entry), dir, conditions);
    const files = Object.keys(metafile.inputs).map((f) => path.basename(f)).sort();
    const code = fs.readFileSync(path.join(dir, 'worker.mjs'), 'utf8');
    for (const hit of unguardedGlobals(code)) found.push(`${entry}: ${hit}`);
    if (/\bfrom\s*["']node:|import\(\s*["']node:/.test(code)) found.push(`${entry}: imports a node: module`);
    // The browser entry loads the client-only build; workerd the one with the edge helpers.
    const glue = entry === 'browser.mjs' ? 'dreamina_upscale.js' : 'dreamina_upscale_edge.js';
    assert.ok(files.includes(entry) && files.includes(glue) && files.includes('error.js'), `graph of ${entry}: ${files}`);
  }
  assert.deepEqual(found, [], 'no reference to a global that these runtimes lack');
  return `checked ${NOT_EVERYWHERE.join(', ')}`;
}

/** Free uses of NOT_EVERYWHERE names (not `.x`, not `x:` keys) without a nearby `typeof x`. */
function unguardedGlobals(code) {
  const hits = [];
  const re = new RegExp(`(?<![.\\w$])(${NOT_EVERYWHERE.join('|')})(?![\\w$]|\\s*:(?!:))`, 'g');
  for (const m of code.matchAll(re)) {
    const before = code.slice(Math.max(0, m.index - 80), m.index);
    if (!new RegExp(`typeof\\s+${m[1]}\\b`).test(before + m[0])) hits.push(code.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' '));
  }
  return hits;
}

await main();
