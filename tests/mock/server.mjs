// Local mock of the Dreamina image API of useapi.net (contract: /work/shared/dreamina-api.md),
// and the demo's dev server. A real HTTP server on node:http, zero dependencies. Use in-process:
//   const mock = await startMock({ completeAfterMs: 200 }); ...; await mock.close();
// or as a CLI:
//   node tests/mock/server.mjs --port 0 --port-file /tmp/port [--static www:/]
// This file wires the parts together; README.md next to it lists them, the options and the
// control API (/__mock/...).

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createStore } from './store.mjs';
import { API_PREFIX, handleApi, jobidOf } from './routes.mjs';
import { handleControl } from './control.mjs';
import { pictureRoute, servePicture } from './files.mjs';
import { normaliseStatic, serveStatic } from './static.mjs';
import { takeFault, applyFault, faultLabel } from './faults.mjs';
import { error, send, readBody, MAX_BODY_BYTES } from './reply.mjs';
import { isUpload, MAX_UPLOAD_BYTES } from './assets.mjs';
import { main } from './cli.mjs';

export { validateUpscale, validateGenerate, promptMarkers, delayRange, RATIOS, GEN_RESOLUTIONS, MAX_PROMPT } from './rules.mjs';
export { MODELS, KNOWN_MODELS, DEFAULT_MODEL, pictureSize, nearestRatio } from './models.mjs';
export { DEFAULT_TOKENS, DEFAULT_COMPLETE_AFTER_MS, DEFAULT_CAPACITY, CAPACITY_ERROR } from './store.mjs';
export { DEFAULT_ACCOUNT, LINKED_ACCOUNTS } from './accounts.mjs';
export { MAX_UPLOAD_BYTES } from './assets.mjs';
export { CANCELLED } from './job.mjs';
export { SEEDED } from './seeds.mjs';
export { API_PREFIX } from './routes.mjs';
export { MAX_BODY_BYTES } from './reply.mjs';
export { parseArgs } from './cli.mjs';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Mock-Complete-After-Ms',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Retry-After',
};

/**
 * Start the mock. Options:
 *   host ('127.0.0.1'), port (0 = any free port), tokens (accepted bearer tokens),
 *   completeAfterMs (1500), static ([{dir, prefix}]), faults (initial rules), quiet.
 * Returns { url, baseUrl, port, server, state, close(), addFault(), clearFaults(), reset(),
 *           requests(), jobsCreated(), webhooks(), setConfig() }.
 */
export async function startMock(options = {}) {
  const store = createStore(options);
  const { state } = store;
  const statics = (options.static ?? []).map(normaliseStatic);
  const sockets = new Set();
  let closing = false;

  async function onRequest(req, res) {
    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
    const method = (req.method ?? 'GET').toUpperCase();
    // Raw path: split at the first literal '?' only; an encoded %3F stays inside the segment.
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const base = req.headers.host ? `http://${req.headers.host}` : store.url;

    if (method === 'OPTIONS') return send(res, { status: 204, headers: { 'Access-Control-Max-Age': '600' } });

    const isApi = rawPath === API_PREFIX || rawPath.startsWith(`${API_PREFIX}/`);
    const upload = isApi && isUpload(method, rawPath.slice(API_PREFIX.length));
    const { bytes, tooLarge } = await readBody(req, upload ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES);
    if (tooLarge) res.setHeader('Connection', 'close');

    if (rawPath === '/__mock' || rawPath.startsWith('/__mock/')) {
      return send(res, tooLarge ? error(413, 'Request body too large') : handleControl(store, method, rawPath, bytes.toString('utf8')));
    }

    const ctx = { req, method, rawPath, query, base, bytes, tooLarge, jobid: isApi ? jobidOf(rawPath) : undefined };
    if (isApi) {
      const body = upload ? `<${bytes.length} bytes${tooLarge ? ', cut at the limit' : ''}>` : bytes.toString('utf8');
      const entry = { method, path: rawPath, headers: { ...req.headers }, body, time: Date.now() };
      if (typeof ctx.jobid === 'string') entry.jobid = ctx.jobid;
      state.requests.push(entry);
    }
    if (tooLarge && !upload) return send(res, error(413, 'Request body too large'));

    const real = async () => {
      if (isApi) return handleApi(store, ctx);
      const ext = pictureRoute(method, rawPath);
      if (ext) return servePicture(store, method, query, ext);
      return serveStatic(statics, method, rawPath) ?? error(404, 'Not found');
    };

    const rule = takeFault(state.faults, method, rawPath);
    if (!rule) return send(res, await real());
    if (isApi) state.requests.at(-1).fault = faultLabel(rule);
    if (rule.delayMs > 0) await new Promise((r) => store.later(rule.delayMs, r));
    if (closing) return;
    return applyFault(rule, req, res, real);
  }

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    onRequest(req, res).catch((e) => {
      // Never crash: report a 500 if we still can.
      try {
        send(res, error(500, `Mock error: ${e?.message ?? e}`));
      } catch {
        req.socket.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = server.address().port;
  const host = options.host ?? '127.0.0.1';
  const urlHost = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  store.url = url;

  /** Stop: clear timers, stop listening, destroy open sockets. */
  function close() {
    closing = true;
    store.stopTimers();
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
    });
  }

  return {
    url,
    baseUrl: url + API_PREFIX,
    port,
    server,
    state,
    close,
    addFault: store.addFault,
    clearFaults: store.clearFaults,
    reset: store.reset,
    setConfig: store.setConfig,
    requests: () => [...state.requests],
    jobsCreated: () => state.jobsCreated,
    maxRunning: () => state.maxRunning,
    running: (account) => store.running(account),
    webhooks: () => [...state.webhooks],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(startMock);
}
