// The README's promise that createProxyHandler runs in Deno and Bun: each runtime serves the
// proxy with its own server (tests/proxy/servers/), importing 'dreamina-upscale' by name through
// node_modules as a user would (Deno through the README's own `npm:` specifier), in front of the
// mock API. From Node, a client with no token goes through it; the mock must see only the
// server's token. `deno check` also type-checks the Deno example against the package's types.
// Needs `bash scripts/build.sh` first.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { startMock, SEEDED } from '../mock/server.mjs';
import { loadPackage, HERE, ROOT, TOKEN } from './helpers.mjs';

const BIN = (name) => path.join(ROOT, 'node_modules/.bin', name);
const FORGED = 'user:99999-forged-by-caller';
const START_TIMEOUT_MS = 10_000;
const DENO_ENV = { DENO_DIR: path.join(ROOT, '.cache/deno'), DENO_NO_UPDATE_CHECK: '1' };

/** How each runtime starts its server script, with the least it needs. */
const RUNTIMES = {
  deno: (mock) => ({
    cmd: BIN('deno'),
    // No --allow-read (the server entry carries its .wasm); listen on a free 127.0.0.1 port;
    // reach only the mock. --cached-only: the package must come from node_modules, never npm.
    args: ['run', '--quiet', '--no-lock', '--no-prompt', '--cached-only',
      `--allow-net=127.0.0.1:0,127.0.0.1:${mock.port}`, '--allow-env=USEAPI_TOKEN,DREAMINA_UPSTREAM',
      path.join(HERE, 'servers/deno.ts')],
    env: DENO_ENV,
  }),
  bun: () => ({
    cmd: BIN('bun'),
    args: ['--no-install', path.join(HERE, 'servers/bun.mjs')],
    env: {},
  }),
};

/**
 * Spawns a server script and resolves with `{child, port, entry, url, stderr()}` once it prints
 * its JSON line; rejects (and kills it) if it exits or stays silent too long.
 */
function startServer(name, mock) {
  const { cmd, args, env } = RUNTIMES[name](mock);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, USEAPI_TOKEN: TOKEN, DREAMINA_UPSTREAM: mock.baseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const fail = (why) => { child.kill('SIGKILL'); reject(new Error(`${name} server ${why}\n--- stdout\n${out}\n--- stderr\n${err}`)); };
    const timer = setTimeout(() => fail(`printed no port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('exit', (code, signal) => { clearTimeout(timer); fail(`exited early (code ${code}, signal ${signal})`); });
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const { port, entry } = JSON.parse(line);
      resolve({ child, port, entry, url: `http://127.0.0.1:${port}`, stderr: () => err });
    });
  });
}

/** SIGTERM, then SIGKILL if the runtime lingers; resolves once the process has exited. */
function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(force); resolve(); });
    child.kill('SIGTERM');
  });
}

/** The client's encoding of a job id path segment (RFC 3986 unreserved kept). */
const encodeSegment = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

test("deno check: the README's Deno server type-checks against the package's own types", async () => {
  // `deno run` does not type-check; a README snippet that does not compile would still run here.
  await promisify(execFile)(BIN('deno'), ['check', '--quiet', '--no-lock', '--cached-only', path.join(HERE, 'servers/deno.ts')],
    { cwd: ROOT, env: { ...process.env, ...DENO_ENV }, timeout: 20_000, killSignal: 'SIGKILL' });
});

for (const name of Object.keys(RUNTIMES)) {
  describe(`createProxyHandler served by ${name} (the README's example)`, () => {
    let mock;
    let server;
    let pkg;
    const answers = []; // every raw proxy answer, searched for the token at the end

    before(async () => {
      pkg = await loadPackage();
      mock = await startMock({ completeAfterMs: 300 });
      server = await startServer(name, mock);
    });
    // A safety net only: the last test stops the server and checks that it is gone.
    after(async () => {
      if (server) await stopServer(server.child);
      await mock?.close();
    });

    const call = async (p, init) => {
      const res = await fetch(`${server.url}${p}`, init);
      const text = await res.text();
      answers.push(text, JSON.stringify([...res.headers]));
      return { status: res.status, headers: res.headers, text };
    };

    test('imports the package by name through node_modules, to its Deno/Bun entry (the .wasm embedded)', () => {
      assert.match(server.entry, /\/pkg\/server\.mjs$/);
    });

    test('a client with no token completes upscaleAndWait through the proxy', async () => {
      mock.reset();
      const client = new pkg.DreaminaClient({ baseUrl: `${server.url}/api/dreamina` });
      const statuses = [];
      const job = await client.upscaleAndWait({ jobid: SEEDED.wide, upscaleResolution: '2k' },
        { pollIntervalMs: 100, timeoutMs: 8000, onUpdate: (j) => statuses.push(j.status) });
      assert.equal(job.status, 'completed');
      assert.equal(job.response.images[0].width, 2304); // the provider's 2k 4:3 size
      assert.ok(statuses.length >= 2, `polled through the proxy: ${statuses}`);
      assert.equal(mock.jobsCreated(), 1);
      const reqs = mock.requests();
      assert.ok(reqs.some((r) => r.method === 'POST') && reqs.some((r) => r.method === 'GET'), 'both routes went through');
      for (const r of reqs) assert.equal(r.headers.authorization, `Bearer ${TOKEN}`, `${r.method} ${r.path}`);
    });

    test("a caller's forged Authorization never reaches the API; the server token replaces it", async () => {
      mock.reset();
      const r = await call(`/api/dreamina/images/${encodeSegment(SEEDED.square)}`, {
        headers: { authorization: `Bearer ${FORGED}`, cookie: 'session=stolen' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(JSON.parse(r.text).jobid, SEEDED.square);
      const reqs = mock.requests();
      assert.equal(reqs.length, 1);
      assert.equal(reqs[0].headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(reqs[0].headers.cookie, undefined);
      assert.ok(!JSON.stringify(reqs).includes('forged') && !JSON.stringify(reqs).includes('stolen'));
    });

    test('an unknown route gets 404 JSON and nothing is forwarded', async () => {
      mock.reset();
      const r = await call('/api/dreamina/accounts');
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(JSON.parse(r.text), { error: 'Not found', code: 404 });
      assert.equal(mock.requests().length, 0);
      // Deno's example sends only /api/dreamina/* to the proxy; Bun's sends everything to it.
      const outside = await call('/index.html');
      assert.equal(outside.status, 404);
      if (name === 'deno') assert.equal(outside.text, 'static files would be here');
      else assert.deepEqual(JSON.parse(outside.text), { error: 'Not found', code: 404 });
      assert.equal(mock.requests().length, 0);
    });

    test('no answer quotes the token', () => {
      assert.ok(answers.length > 0);
      for (const a of answers) assert.ok(!a.includes(TOKEN), a);
    });

    test('stops on SIGTERM, leaving no process and a closed port, with nothing on stderr', async () => {
      await stopServer(server.child);
      assert.ok(server.child.exitCode !== null || server.child.signalCode !== null, 'the process has exited');
      await assert.rejects(fetch(`${server.url}/api/dreamina/accounts`), 'nothing listens on the port any more');
      assert.equal(server.stderr().trim(), '', 'no warning or error from the runtime');
    });
  });
}
