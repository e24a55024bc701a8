// Shared set-up of the proxy suites: the mock API, the worker in workerd (Miniflare, on a real
// 127.0.0.1 port), a collector for the worker's webhook reports, and the package in Node.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startMock, SEEDED } from '../mock/server.mjs';

export { SEEDED };
export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const TOKEN = 'user:12345-sandbox';
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
export async function startStack({ allowedOrigin = 'https://app.example.com', completeAfterMs = 300 } = {}) {
  const mock = await startMock({ completeAfterMs });
  const collector = await startCollector();
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
      UPSTREAM: mock.baseUrl,
      DEAD_UPSTREAM: `http://127.0.0.1:${await deadPort()}/v1/dreamina`,
      ALLOWED_ORIGIN: allowedOrigin,
      MAX_BODY: String(MAX_BODY),
      REPORT_URL: collector.url,
    },
  });
  const workerUrl = (await mf.ready).href.replace(/\/$/, '');
  return {
    mock, collector, mf, workerUrl,
    async close() {
      await mf.dispose();
      await collector.close();
      await mock.close();
    },
  };
}

/** Every string the worker's responses or the mock's log could carry, joined for searching. */
export const dump = (v) => JSON.stringify(v);
