// Job id segments that decode to a path, sent as an attacker would: raw on the wire to the
// proxy in workerd (Miniflare), and to the handler in Node both as a fetch `Request` and as a
// plain request object whose URL no parser normalized. A recording relay in front of the mock
// sees every request that leaves the proxy: nothing may reach it but `POST /images/upscale` and
// `GET /images/{one canonical segment}`. The same ids are refused by getJob and handleWebhook.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, loadPackage, rawRequest, SEEDED, TOKEN } from './helpers.mjs';

const BASE = '/api/dreamina';
let stack;
let pkg;

before(async () => {
  pkg = await loadPackage();
  stack = await startStack({ wire: true });
});
after(() => stack?.close());

/** The client's own encoding of a job id path segment (RFC 3986 unreserved kept). */
const encodeSegment = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Hand-written: every spelling of `.`, `..`, `/` and `\` tried against path routers. */
const HAND_WRITTEN = [
  '.', '..', '...', '%2e', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '..%2F..%2Fscheduler', '..%2f..%2faccounts',
  '%2e%2e%2f%2e%2e%2f__mock%2freset', 'j1%2F..%2F..%2F__mock%2Freset', 'j1%2F.%2Fx', '%252e%252e%252f__mock%252freset',
  '%25252e%25252e', 'j1%252F..', '..%5C..%5C__mock', 'j1%5Cx', '..\\..\\__mock', '%u002e%u002e%u2215__mock',
  'j1%00', 'j1%0d%0aX-Injected:%201', 'j1%7F', '%C2%85', '%C0%AE%C0%AE', '%EF%BC%8E%EF%BC%8E', '%E2%80%A5',
  '..%3B%2Fx', '..;x', '%2e%2e%20', 'j1%23..%2F..', 'j1%3F..%2F..%2Fx', '%zz', '%', '%C3', '../images/upscale',
  '..%2Fimages%2Fupscale', '%75pscale%2F..',
];

/** Generated: dot spellings × separator spellings, in two shapes. */
const DOTS = ['.', '%2e', '%2E', '%252e'];
const SEPS = ['%2F', '%2f', '%5C', '%252F'];
const GENERATED = DOTS.flatMap((d) => SEPS.flatMap((s) => [
  `${d}${d}${s}${d}${d}${s}__mock${s}reset`,
  `j1${s}${d}${d}${s}accounts`,
]));
const HOSTILE = [...HAND_WRITTEN, ...GENERATED];

/**
 * The answer the proxy must give for a path: 405 when it names the upscale route, 400 for any
 * other single segment under `{base}/images/`, 404 otherwise. `normalize`: what the runtime's
 * URL parser makes of the path before the handler sees it (workerd, `new Request`).
 */
function expected(path, normalize) {
  const seen = normalize ? new URL(path, 'http://proxy.local').pathname : path;
  const seg = seen.startsWith(`${BASE}/images/`) ? seen.slice(`${BASE}/images/`.length) : null;
  if (seg === null || seg === '' || seg.includes('/')) return 404;
  let decoded;
  try { decoded = decodeURIComponent(seg); } catch { decoded = null; }
  return decoded === 'upscale' ? 405 : 400;
}

/** What the relay saw, as `METHOD path`, minus the mock's base path. */
const wire = () => stack.wire.seen.map((r) => `${r.method} ${r.url}`);

/** Every request that left the proxy was one of the two routes, with a canonical segment. */
function assertOnlyTheTwoRoutes() {
  for (const r of stack.wire.seen) {
    const ok = (r.method === 'POST' && r.url === '/v1/dreamina/images/upscale')
      || (r.method === 'GET' && /^\/v1\/dreamina\/images\/([A-Za-z0-9._~-]|%[0-9A-F]{2})+$/.test(r.url)
        && !/^\/v1\/dreamina\/images\/(upscale|\.|\.\.)$/.test(r.url));
    assert.ok(ok, `forwarded outside the two routes: ${r.method} ${r.url}`);
  }
}

test(`${HOSTILE.length} hostile job id segments (${HAND_WRITTEN.length} hand-written, ${GENERATED.length} generated) through workerd: refused, nothing forwarded`, async () => {
  assert.ok(HOSTILE.length >= 30);
  stack.wire.reset();
  const statuses = {};
  for (const seg of HOSTILE) {
    const path = `${BASE}/images/${seg}`;
    const r = await rawRequest(stack.workerUrl, 'GET', path);
    const want = expected(path, true);
    assert.equal(r.status, want, `${seg}: ${r.text}`);
    assert.equal(r.json?.code, want, `${seg}: the API's error shape`);
    assert.equal(typeof r.json?.error, 'string', seg);
    statuses[want] = (statuses[want] ?? 0) + 1;
    // A POST of the same segment must not reach the API either (where the URL parser makes it
    // the upscale route, the empty body is refused).
    const post = await rawRequest(stack.workerUrl, 'POST', path, { 'content-type': 'application/json' }, '{}');
    assert.ok([400, 404, 405].includes(post.status), `POST ${seg}: ${post.status}`);
  }
  assert.ok(statuses[400] >= 30, `most arrive intact and are refused as job ids: ${JSON.stringify(statuses)}`);
  assert.deepEqual(wire(), [], 'nothing reached the mock');
});

test('legitimate ids still work end to end through workerd, forwarded as one canonical segment', async () => {
  stack.wire.reset();
  const client = new pkg.DreaminaClient({ baseUrl: `${stack.workerUrl}${BASE}` });
  assert.equal((await client.getJob(SEEDED.weird)).jobid, SEEDED.weird);
  const job = await client.upscaleAndWait({ jobid: SEEDED.weird, upscaleResolution: '2k' }, { pollIntervalMs: 100 });
  assert.equal(job.status, 'completed');
  // Lower-case escapes and raw sub-delimiters are re-encoded canonically, not passed through.
  const lower = encodeSegment(SEEDED.square).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
  const r = await rawRequest(stack.workerUrl, 'GET', `${BASE}/images/${lower}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.jobid, SEEDED.square);
  const seen = wire();
  assert.equal(seen[0], `GET /v1/dreamina/images/${encodeSegment(SEEDED.weird)}`);
  assert.ok(seen.includes('POST /v1/dreamina/images/upscale'));
  assert.ok(seen.includes(`GET /v1/dreamina/images/${encodeSegment(job.jobid)}`), `polled ${job.jobid}`);
  assert.equal(seen.at(-1), `GET /v1/dreamina/images/${encodeSegment(SEEDED.square)}`);
  assertOnlyTheTwoRoutes();
});

test(`the same ${HOSTILE.length} segments in Node: as a Request and as an unnormalized request object`, async () => {
  stack.wire.reset();
  const handler = pkg.createProxyHandler({ token: TOKEN, upstream: stack.upstream, basePath: BASE });
  for (const seg of HOSTILE) {
    const path = `${BASE}/images/${seg}`;
    const url = `http://proxy.local${path}`;
    // A plain object: the URL as some adapter may pass it, with no parser in between.
    const rawAnswer = await handler({ url, method: 'GET', headers: new Headers() });
    assert.equal(rawAnswer.status, expected(path, false), `raw ${seg}`);
    assert.equal((await rawAnswer.json()).code, rawAnswer.status, `raw ${seg}`);
    const parsed = await handler(new Request(url));
    assert.equal(parsed.status, expected(path, true), `Request ${seg}`);
  }
  assert.deepEqual(wire(), [], 'nothing reached the mock');
  const ok = await handler(new Request(`http://proxy.local${BASE}/images/${encodeSegment(SEEDED.weird)}`));
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).jobid, SEEDED.weird);
  assert.deepEqual(wire(), [`GET /v1/dreamina/images/${encodeSegment(SEEDED.weird)}`]);
});

/** Decoded job ids that read as a path: refused by getJob and by handleWebhook. */
const HOSTILE_IDS = ['.', '..', 'j1/../../__mock/reset', 'j1/./x', '../accounts', 'j1\\..\\x', '%2e%2e', 'j1%2F..',
  'j1%u002e', '\u2025', '\uFF0E\uFF0E', 'j1/.. /x', 'j1/..;x/y'];

test('getJob and handleWebhook refuse the same job ids as validation errors, and send nothing', async () => {
  stack.wire.reset();
  const client = new pkg.DreaminaClient({ token: TOKEN, baseUrl: stack.upstream, maxRetries: 0 });
  for (const id of HOSTILE_IDS) {
    const e = await client.getJob(id).then(() => null, (err) => err);
    assert.equal(e?.kind, 'validation', `getJob(${JSON.stringify(id)})`);
    assert.equal(e.field, 'jobid');
    for (const body of [JSON.stringify({ jobid: id }), JSON.stringify({ data: { jobId: id } }), `jobid=${encodeURIComponent(id)}`]) {
      const w = await pkg.handleWebhook(body, { client }).then(() => null, (err) => err);
      assert.equal(w?.kind, 'validation', `handleWebhook ${body}`);
      assert.equal(w.field, 'jobid', body);
    }
  }
  assert.deepEqual(wire(), [], 'nothing reached the mock');
  // The weird legitimate id is still confirmed.
  const confirmed = await pkg.handleWebhook(JSON.stringify({ jobid: SEEDED.weird }), { client });
  assert.equal(confirmed.jobid, SEEDED.weird);
  assert.deepEqual(wire(), [`GET /v1/dreamina/images/${encodeSegment(SEEDED.weird)}`]);
});
