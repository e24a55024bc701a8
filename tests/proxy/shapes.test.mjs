// What the package hands to JS has the properties its declarations promise, read at run time:
// the DreaminaError properties listed by js/error.js, made by the Rust conversion and declared
// in js/index.d.ts; the route `authorize` sees and the webhook result, against src/edge.d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startMock, SEEDED } from '../mock/server.mjs';
import { loadPackage, ROOT, TOKEN } from './helpers.mjs';

let pkg;
let mock;
before(async () => {
  pkg = await loadPackage();
  mock = await startMock({ completeAfterMs: 100 });
});
after(() => mock?.close());

const read = (file) => readFileSync(path.join(ROOT, file), 'utf8');

/** Property names declared in a `class`/`interface` block of a .d.ts (methods and constructor left out). */
function declared(ts, opening) {
  const start = ts.indexOf(opening);
  assert.ok(start >= 0, `${opening} is declared`);
  const body = ts.slice(start + opening.length, ts.indexOf('\n}', start));
  return body.split('\n').map((l) => l.trim())
    .filter((l) => !l.startsWith('*') && !l.startsWith('/*') && !l.startsWith('constructor'))
    .map((l) => /^([A-Za-z]+)\??:/.exec(l)?.[1])
    .filter(Boolean)
    .sort();
}

const sorted = (o) => Object.keys(o).sort();

test('DreaminaError: js/error.js, the Rust conversion and the declarations (index.d.ts, DreaminaErrorProps) list the same properties', async () => {
  // The class declares `name`; its other properties are declared once, in DreaminaErrorProps.
  const fromDts = [
    ...declared(read('js/index.d.ts'), 'export declare class DreaminaError extends Error {'),
    ...declared(read('src/types.d.ts'), 'export interface DreaminaErrorProps {'),
  ].sort();
  const fromJs = sorted(new pkg.DreaminaError('m'));
  // Rust-made errors of several kinds, from the client and from handleWebhook.
  const validation = (() => { try { new pkg.DreaminaClient({}); } catch (e) { return e; } })();
  const client = new pkg.DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, maxRetries: 0 });
  const notFound = await client.getJob('j-missing').catch((e) => e);
  const webhook = await pkg.handleWebhook('{}', { client }).catch((e) => e);
  assert.deepEqual(fromJs, fromDts, 'js/error.js sets what index.d.ts declares');
  for (const [what, e] of [['validation', validation], ['not_found', notFound], ['webhook', webhook]]) {
    assert.ok(e instanceof pkg.DreaminaError, what);
    assert.deepEqual(sorted(e), fromDts, `${what}: the Rust conversion sets what index.d.ts declares`);
  }
  assert.equal(notFound.kind, 'not_found');
  assert.equal(notFound.status, 404);
});

test('the route authorize sees and the webhook result have the fields src/edge.d.ts declares', async () => {
  const edge = read('src/edge.d.ts');
  const routeFields = declared(edge, 'export interface ProxyRoute {');
  const resultFields = declared(edge, 'export interface WebhookResult {');
  const routes = [];
  const handler = pkg.createProxyHandler({
    token: TOKEN, upstream: mock.baseUrl, basePath: '/p',
    authorize: (_req, route) => { routes.push(route); return true; },
  });
  const id = encodeURIComponent(SEEDED.square);
  assert.equal((await handler(new Request(`http://proxy.local/p/images/${id}`))).status, 200);
  assert.deepEqual(sorted(routes[0]), routeFields, 'a getJob route has every field');
  const client = new pkg.DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl });
  const job = await client.upscaleAndWait({ jobid: SEEDED.square, replyRef: 'r-1' }, { pollIntervalMs: 100 });
  const result = await pkg.handleWebhook(JSON.stringify({ jobid: job.jobid, replyRef: 'r-1' }), { client });
  assert.deepEqual(sorted(result), resultFields, 'a result with a replyRef has every field');
  assert.equal(result.job.jobid, job.jobid);
  const bare = await pkg.handleWebhook(JSON.stringify({ jobid: SEEDED.square }), { client });
  assert.deepEqual(sorted(bare), ['confirmed', 'job', 'jobid'], 'absent optionals are left out, not undefined');
});
