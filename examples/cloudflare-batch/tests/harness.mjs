// Runs the batch Worker locally in workerd (Miniflare) with a real Queue, a real SQLite Durable
// Object and a local R2 bucket, built by wrangler and configured from wrangler.toml, in front of
// the project's mock API (through proxy.mjs, which also serves the pictures and can fail them);
// webhooks go through a relay that can drop them (as a network can). Used by the tests and
// bench/cloudflare.mjs.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { startMock, SEEDED, API_PREFIX } from '../../../tests/mock/server.mjs';
import { startProxy } from './proxy.mjs';

export { SEEDED };
export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const EXAMPLE = path.resolve(HERE, '..');
export const TOKEN = 'user:12345-sandbox';
export const API_KEY = 'test-api-key';
const COMPAT_DATE = '2026-04-01'; // workerd refuses a date newer than its build

/**
 * Miniflare options for the bindings wrangler.toml declares, read by wrangler itself
 * (`unstable_getMiniflareWorkerOptions`, the reader `wrangler dev` uses): one copy of those facts.
 * `r2: false` leaves the R2 bucket out (the Worker without it).
 */
export function wranglerBindings({ r2 = true } = {}) {
  const { workerOptions: w } = unstable_getMiniflareWorkerOptions(path.join(EXAMPLE, 'wrangler.toml'));
  return JSON.parse(JSON.stringify({ // plain data (wrangler's objects have other prototypes)
    queueProducers: w.queueProducers, queueConsumers: w.queueConsumers, durableObjects: w.durableObjects,
    r2Buckets: r2 ? w.r2Buckets : {}, vars: w.bindings,
  }));
}

const WRANGLER = path.resolve(EXAMPLE, '../../node_modules/.bin/wrangler');

/**
 * Bundles `entry` with wrangler itself (`wrangler deploy --dry-run`: the same bundler, package
 * conditions and wasm handling as a real deploy, with this wrangler.toml). Returns its stdout.
 * `cwd` is the example folder to build (this one, or a copy: see `exampleWith`).
 */
export async function wranglerBuild(entry, outdir, { cwd = EXAMPLE } = {}) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, ['deploy', entry, '--dry-run', '--outdir', outdir], {
      cwd, timeout: 120_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      // `npm ci` (scripts/setup.sh runs it when package.json changes) empties node_modules, and
      // with it the link to pkg/ that scripts/build.sh made: say so beside wrangler's "Could not resolve".
      const missing = cwd === EXAMPLE && !fs.existsSync(path.join(EXAMPLE, '../../node_modules/dreamina-upscale/package.json'));
      const hint = missing ? '\n(node_modules/dreamina-upscale is missing, as after `npm ci`: scripts/build.sh links it to pkg/)' : '';
      reject(new Error(`wrangler: ${err.message}\n${stdout}\n${stderr}${hint}`));
    });
  });
}

/**
 * A copy of this example (wrangler.toml, package.json, src/, tests/) in a temporary folder whose
 * node_modules/dreamina-upscale links to the built package `pkgDir`: wrangler then resolves the
 * package exactly as in a user's install (its "exports" and their workerd condition), but from
 * that folder rather than from the workspace's node_modules link. (Wrangler 4's `deploy --alias`
 * is ignored by deploy, and an alias would skip the exports map anyway.)
 */
export function exampleWith(pkgDir, into) {
  fs.mkdirSync(into, { recursive: true });
  for (const f of ['wrangler.toml', 'package.json', 'src', 'tests']) fs.cpSync(path.join(EXAMPLE, f), path.join(into, f), { recursive: true });
  fs.mkdirSync(path.join(into, 'node_modules'));
  fs.symlinkSync(path.resolve(pkgDir), path.join(into, 'node_modules/dreamina-upscale'), 'dir');
  return into;
}

const built = new Map(); // one build of tests/entry.mjs per process and package
function bundle(pkgDir) {
  const key = pkgDir ? path.resolve(pkgDir) : '';
  if (!built.has(key)) {
    built.set(key, (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-batch-'));
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      const out = path.join(dir, 'out');
      let cwd = EXAMPLE;
      if (pkgDir) cwd = exampleWith(pkgDir, path.join(dir, 'example'));
      await wranglerBuild('tests/entry.mjs', out, { cwd });
      return { dir: out, script: path.join(out, 'entry.js') };
    })());
  }
  return built.get(key);
}

/** A relay in front of the Worker's /webhook: forwards, or drops (503) calls `drop(body)` picks. */
export async function startRelay() {
  const relay = { target: null, drop: () => false, forwarded: [], dropped: [] };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    let body = null;
    try { body = JSON.parse(text); } catch { /* forwarded as is */ }
    if (relay.drop(body)) {
      relay.dropped.push(body);
      return res.writeHead(503).end('dropped by the test relay');
    }
    try {
      const r = await fetch(relay.target + req.url, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, body: text });
      relay.forwarded.push({ body, status: r.status });
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  relay.url = `http://127.0.0.1:${server.address().port}`;
  relay.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return relay;
}

/** Overlap of the mock's upscale jobs (created → completeAt): the most running at once. */
export function mostRunning(mock) {
  if (typeof mock.maxRunning === 'function') return mock.maxRunning();
  const events = [];
  for (const j of mock.state.jobs.values()) if (j.type === 'upscale') events.push([j.createdAt, 1], [j.completeAt, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (n += d));
  return most;
}

/**
 * Starts mock + proxy + relay + the Worker in workerd. `vars` override wrangler.toml's [vars];
 * `r2: false` runs without the bucket; `persist` (a folder) keeps the Durable Object's SQLite
 * there (a later stack on the same folder sees the same ledger); `pkgDir` (optional) is a built
 * package folder to bundle instead of node_modules' (see `exampleWith`).
 * Returns { mock, proxy, relay, mf, url, api(method, path, body), logs(), errors(), close() }.
 */
export async function startBatchStack({ completeAfterMs = 300, vars = {}, mockOptions = {}, pkgDir, r2 = true, persist } = {}) {
  const { dir, script } = await bundle(pkgDir);
  const mock = await startMock({ completeAfterMs, ...mockOptions });
  const proxy = await startProxy(mock.url);
  const relay = await startRelay();
  const b = wranglerBindings({ r2 });
  const lines = []; // workerd's stdout and stderr (console.debug/log and console.warn/error)
  const errors = []; // stderr alone
  const collect = (stream, ...into) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const list of into) {
        list.push(...parts);
        if (list.length > 20_000) list.splice(0, list.length - 20_000);
      }
    });
  };
  const mf = new Miniflare({
    modules: true, scriptPath: script, modulesRoot: dir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }, { type: 'ESModule', include: ['**/*.js'] }],
    compatibilityDate: COMPAT_DATE, host: '127.0.0.1', port: 0,
    queueProducers: b.queueProducers, queueConsumers: b.queueConsumers, durableObjects: b.durableObjects, r2Buckets: b.r2Buckets,
    ...(persist ? { durableObjectsPersist: persist } : {}),
    bindings: { ...b.vars, USEAPI_TOKEN: TOKEN, API_KEY, UPSTREAM: proxy.url + API_PREFIX, PUBLIC_URL: relay.url, ...vars },
    handleRuntimeStdio(stdout, stderr) { collect(stdout, lines); collect(stderr, lines, errors); },
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  relay.target = url;
  const api = async (method, p, body, headers = { authorization: `Bearer ${API_KEY}` }) => {
    const r = await fetch(url + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text };
  };
  return {
    mock, proxy, relay, mf, url, api,
    /** The Worker's log lines so far (workerd's stdout and stderr), and those at error level. */
    logs: () => [...lines],
    errors: () => [...errors],
    async close() {
      await mf.dispose();
      await relay.close();
      await proxy.close();
      await mock.close();
    },
  };
}

/** Every item of a batch, through all pages. */
export async function allItems(api, id, limit = 1000) {
  const items = [];
  let summary;
  for (let offset = 0; offset !== undefined;) {
    const r = await api('GET', `/batches/${id}?offset=${offset}&limit=${limit}`);
    if (r.status !== 200) throw new Error(`GET /batches/${id}: ${r.status} ${r.text}`);
    summary = r.json;
    items.push(...r.json.items);
    offset = r.json.next;
  }
  return { ...summary, items };
}

/** Polls `GET /batches/{id}` (counters only) until `done(summary)` or `timeoutMs`. */
export async function waitFor(api, id, done, timeoutMs, everyMs = 250) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    last = (await api('GET', `/batches/${id}?limit=1`)).json;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`batch ${id} not done within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** `n` valid upscale requests over the mock's seeded sources. */
export const requests = (n) => Array.from({ length: n }, (_, i) => ({
  jobid: [SEEDED.square, SEEDED.wide, SEEDED.weird][i % 3], imageIndex: i % 4, upscaleResolution: ['2k', '4k'][i % 2],
}));
