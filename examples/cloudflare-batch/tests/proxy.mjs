// A plain HTTP proxy in front of the mock API, as the Worker's UPSTREAM. Requests pass through
// unchanged with their Host header, so the mock writes this proxy's address into every imageUrl
// and the picture downloads come here too. For those, the proxy
//  - has them drawn by a second mock in a child process (same code, same bytes, this process's
//    event loop never blocked) and keeps each one (the mock draws it again on every request, a
//    second or two of CPU for an upscale: a picture is fixed by its w, h, scene and theme),
//  - can fail the next downloads on purpose (`failPictures(n, status)`), as a CDN can.
// A reset or a cut answer from the mock is passed on as a reset or a cut answer.
import { spawn } from 'node:child_process';
import http from 'node:http';

const MOCK = new URL('../../../tests/mock/server.mjs', import.meta.url).href;
let painter; // one more mock, in its own process, that only draws pictures (see startProxy)

/** A second instance of the mock in a child process: a picture is a pure function of its URL, so
 * it draws the very bytes the in-process mock would, without blocking this process for the
 * second or two each drawing takes (the Worker's and the test's connections stall meanwhile).
 * It exits when this process goes, however it goes (its IPC channel closes). */
function startPainter() {
  painter ??= new Promise((resolve, reject) => {
    const code = `import { startMock } from ${JSON.stringify(MOCK)};
      const mock = await startMock({ quiet: true });
      process.on('disconnect', () => process.exit(0));
      process.send(mock.url);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the picture mock exited (${code})`)));
    child.once('message', (url) => {
      child.unref();
      child.channel.unref();
      resolve(url);
    });
  });
  return painter;
}

const reset = (socket) => (typeof socket.resetAndDestroy === 'function' ? socket.resetAndDestroy() : socket.destroy());

/** The cache key of a mock picture URL: its drawing (w, h, scene, theme), or the whole URL. */
function pictureKey(rawUrl) {
  const u = new URL(rawUrl, 'http://x');
  if (!u.pathname.startsWith('/files/') || !u.searchParams.has('scene')) return rawUrl;
  return ['w', 'h', 'scene', 'theme'].map((k) => u.searchParams.get(k)).join(',');
}

export async function startProxy(target) {
  const cache = new Map(); // picture key -> {status, headers, body}
  const pending = new Map(); // picture key -> promise of its entry

  const pictures = await startPainter();
  /** The mock's answer for a picture URL (drawn by the painter); kept when it is a picture. */
  const draw = (rawUrl) => new Promise((resolve, reject) => {
    http.get(pictures + rawUrl, { agent: false, headers: { connection: 'close' } }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('error', reject);
      r.on('end', () => {
        const body = Buffer.concat(chunks);
        const entry = { status: r.statusCode, headers: { 'content-type': r.headers['content-type'], 'content-length': String(body.length) }, body };
        if (r.statusCode === 200) cache.set(pictureKey(rawUrl), entry);
        resolve(entry);
      });
    }).on('error', reject);
  });
  const proxy = { target, faults: [], pictures: [] };

  /** The next `n` picture downloads answer `status` (default 503). */
  proxy.failPictures = (n, status = 503) => proxy.faults.push({ n, status });

  const forward = (req, res, body) => {
    // A fresh connection per request: a reused one that the mock closes as it idles would come
    // back as a reset, which the Worker must take for an ambiguous POST.
    const up = http.request(target + req.url, { method: req.method, headers: { ...req.headers, connection: 'close' }, agent: false }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.on('data', (c) => res.write(c));
      ur.on('end', () => res.end());
      ur.on('aborted', () => reset(req.socket));
      ur.on('error', () => reset(req.socket));
    });
    up.on('error', () => reset(req.socket));
    up.end(body);
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (req.method !== 'GET' || !req.url.startsWith('/files/')) return forward(req, res, body);
    const fault = proxy.faults[0];
    if (fault) {
      if (--fault.n <= 0) proxy.faults.shift();
      proxy.pictures.push({ url: req.url, status: fault.status, failed: true });
      return res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('failed by the test proxy');
    }
    const key = pictureKey(req.url);
    let entry = cache.get(key);
    proxy.pictures.push({ url: req.url, cached: !!entry });
    if (!entry) {
      // One drawing per picture, however many downloads ask for it at once.
      if (!pending.has(key)) pending.set(key, draw(req.url).finally(() => pending.delete(key)));
      try {
        entry = await pending.get(key);
      } catch {
        return reset(req.socket);
      }
    }
    res.writeHead(entry.status, entry.headers).end(entry.body);
  });
  server.keepAliveTimeout = 60_000; // longer than any pause in a test: the Worker's idle connections stay usable
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return proxy;
}
