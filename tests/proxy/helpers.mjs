// Shared set-up of the proxy suites: the mock API, the worker in workerd (Miniflare, on a real
// 127.0.0.1 port), a collector for the worker's webhook reports, and the package in Node.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startMock, SEEDED, TOKEN } from '../helpers/mock.mjs';

export { SEEDED, TOKEN };
export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const MAX_BODY = 2048;

/** The package's exports in Node: the real entry once it exports the proxy, else the glue. */
export async function loadPackage() {
  const entry = await import('dreamina-upscale');
  if (entry.createProxyHandler) return entry;
  const glue = await import('../../pkg/dreamina_upscale.js');
  return { ...entry, createProxyHandler: glue.createProxyHandler, handleWebhook: glue.handleWebhook };
}

/** A node:http server on 127.0.0.1 that records JSON POST bodies; `next(pred)` awaits one. */
export async function startCollector() {
  const seen = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const item = JSON.parse(body || 'null');
      seen.push(item);
      for (const w of [...waiting]) if (w.pred(item)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(item); }
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const next = (pred, ms = 10_000) => {
    const found = seen.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching report within ${ms} ms; saw ${JSON.stringify(seen)}`)), ms);
      waiting.push({ pred, resolve: (v) => { clearTimeout(t); resolve(v); } });
    });
  };
  return {
    url: `http://127.0.0.1:${server.address().port}/report`,
    seen, next,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/**
 * A transparent node:http relay in front of `target` (the mock's origin) that records the
 * method and raw request target of every request reaching it, whatever the path: what the
 * mock would see, including paths its own log leaves out (`/__mock/...`, `/files/...`).
 */
export async function startWire(target) {
  const seen = [];
  const { hostname, port } = new URL(target);
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url });
    const out = http.request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    out.on('error', () => { res.writeHead(502).end(); });
    req.pipe(out);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    seen,
    reset: () => { seen.length = 0; },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/**
 * Sends a request with `path` exactly as given on the wire (fetch would normalize it first:
 * `%2e%2e` segments resolved, `\` turned into `/`). Resolves with status, headers and body.
 */
export function rawRequest(origin, method, path, headers = {}, body = undefined) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: an answer sent before the body was read may close it.
    const req = http.request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A port with nothing listening (bound, then closed). */
async function deadPort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Starts the mock, the collector and the worker. `allowedOrigin` is the one cross-origin page
 * the main handler accepts. Returns URLs and a `close()` that stops everything.
 */
export async function startStack({ allowedOrigin = 'https://app.example.com', completeAfterMs = 300, wire = false } = {}) {
  const mock = await startMock({ completeAfterMs });
  const collector = await startCollector();
  // With `wire`, the worker reaches the mock through a recording relay (`stack.wire.seen`).
  const relay = wire ? await startWire(mock.baseUrl) : null;
  const upstream = relay ? `${relay.origin}${new URL(mock.baseUrl).pathname}` : mock.baseUrl;
  const mf = new Miniflare({
    scriptPath: path.join(HERE, 'worker/worker.mjs'),
    modulesRoot: ROOT,
    modules: true,
    // The wasm-bindgen glue is ESM in a `.js` file; Miniflare would take it for CommonJS.
    modulesRules: [
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
    ],
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: 0,
    bindings: {
      TOKEN,
      UPSTREAM: upstream,
      DEAD_UPSTREAM: `http://127.0.0.1:${await deadPort()}/v1/dreamina`,
      ALLOWED_ORIGIN: allowedOrigin,
      MAX_BODY: String(MAX_BODY),
      REPORT_URL: collector.url,
    },
  });
  const workerUrl = (await mf.ready).href.replace(/\/$/, '');
  return {
    mock, collector, mf, workerUrl, wire: relay, upstream,
    async close() {
      await mf.dispose();
      await relay?.close();
      await collector.close();
      await mock.close();
    },
  };
}

/** Every string the worker's responses or the mock's log could carry, joined for searching. */
export const dump = (v) => JSON.stringify(v);
