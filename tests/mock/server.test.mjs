// Tests of the mock as the demo's dev server: static files, and its command line.
// Run: node --test tests/mock/
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMock, SEEDED, parseArgs } from './server.mjs';
import { rawRequest, waitFor } from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const enc = encodeURIComponent;

describe('static files', () => {
  let mock;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-static-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<h1>demo</h1>');
    fs.writeFileSync(path.join(dir, 'app.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    fs.writeFileSync(path.join(dir, 'app.mjs'), 'export {}');
    mock = await startMock({ static: [{ dir, prefix: '/demo' }] });
  });
  after(async () => {
    await mock.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('serves index, wasm and js with the right types', async () => {
    const idx = await rawRequest(mock.port, 'GET', '/demo/');
    assert.equal(idx.status, 200);
    assert.match(idx.headers['content-type'], /^text\/html/);
    assert.equal(idx.headers['cache-control'], 'no-store');
    assert.equal(idx.body.toString(), '<h1>demo</h1>');
    assert.equal((await rawRequest(mock.port, 'GET', '/demo/app.wasm')).headers['content-type'], 'application/wasm');
    assert.match((await rawRequest(mock.port, 'GET', '/demo/app.mjs')).headers['content-type'], /^text\/javascript/);
    assert.equal((await rawRequest(mock.port, 'GET', '/demo')).status, 301);
    assert.equal((await rawRequest(mock.port, 'GET', '/demo/missing.js')).status, 404);
  });

  test('no directory traversal', async () => {
    for (const p of ['/demo/../etc/passwd', '/demo/%2e%2e/%2e%2e/etc/passwd', '/demo/..%2f..%2fetc%2fpasswd']) {
      const r = await rawRequest(mock.port, 'GET', p);
      assert.ok([403, 404].includes(r.status), `${p} → ${r.status}`);
    }
  });
});

describe('CLI', () => {
  test('parseArgs', () => {
    const o = parseArgs(['--port', '0', '--static', 'www', '--static', 'pkg:/pkg/', '--token', 'x', '--complete-after-ms=10']);
    assert.deepEqual(o.static, [{ dir: 'www', prefix: '/' }, { dir: 'pkg', prefix: '/pkg/' }]);
    assert.deepEqual(o.tokens, ['user:12345-sandbox', 'x']);
    assert.equal(o.completeAfterMs, 10);
    assert.throws(() => parseArgs(['--bogus']));
  });

  test('runs, writes port and pid files, stops on SIGTERM', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mock-cli-'));
    const portFile = path.join(tmp, 'port');
    const pidFile = path.join(tmp, 'pid');
    const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--port', '0', '--port-file', portFile, '--pid-file', pidFile, '--token', 'cli-token'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      const port = Number(await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(portFile, 'utf8')));
      assert.ok(port > 0);
      assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), child.pid);
      const res = await fetch(`http://127.0.0.1:${port}/v1/dreamina/images/${enc(SEEDED.square)}`, { headers: { Authorization: 'Bearer cli-token' } });
      assert.equal(res.status, 200);
      await res.text();
      await waitFor(() => out.includes(`mock Dreamina API listening on http://127.0.0.1:${port}/v1/dreamina`));
    } finally {
      child.kill('SIGTERM');
    }
    assert.deepEqual(await exited, { code: 0, signal: null });
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
