// Per-call latency of getJob: the package's client vs the plain-JS baseline, in this one
// process, against the mock API running in ANOTHER process (its CPU is not counted here).
// Modes: `loopback` (real fetch over 127.0.0.1), `memory` (a fake fetch answering from memory:
// the client's own CPU per call), `profile-pkg` / `profile-plain` (a loop to run under --cpu-prof).
// Prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, baseUrl] = process.argv.slice(2);
const { BENCH_PKG: PKG, BENCH_PLAIN: PLAIN, BENCH_GUARDED: GUARDED, BENCH_FLOOR: FLOOR, BENCH_JOBID: JOBID } = process.env;
const SEQ = Number(process.env.BENCH_SEQ ?? 5000);
const CONC = Number(process.env.BENCH_CONC ?? 5000);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 100);
const ROUNDS = 5;
const token = 'user:12345-sandbox';

const { DreaminaClient } = await import(pathToFileURL(path.join(PKG, 'node.mjs')).href);
const { createClient } = await import(pathToFileURL(PLAIN).href);
const guardedModule = GUARDED ? await import(pathToFileURL(GUARDED).href) : null;

/** Real body of the job from the mock, served from memory by the fake fetch. */
const body = await (await fetch(`${baseUrl}/images/${encodeURIComponent(JOBID)}`, { headers: { Authorization: `Bearer ${token}` } })).text();
const memoryFetch = async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
const fetchOpt = mode === 'loopback' ? {} : { fetch: memoryFetch };

const pkg = new DreaminaClient({ token, baseUrl, ...fetchOpt });
const plain = createClient({ token, baseUrl, ...fetchOpt });
const clients = { pkg: () => pkg.getJob(JOBID), plain: () => plain.getJob(JOBID) };
// Diagnosis only: plain JS plus the per-call JS objects of the package's fetch layer.
const guarded = guardedModule?.createClient({ token, baseUrl, ...fetchOpt });
if (guarded) clients.guarded = () => guarded.getJob(JOBID);
// Diagnosis only: plain JS's steps in Rust through wasm-bindgen-futures (bench/floor).
if (FLOOR) {
  const floor = await import(pathToFileURL(path.join(FLOOR, 'dreamina_bench_floor.js')).href);
  floor.initSync({ module: fs.readFileSync(path.join(FLOOR, 'dreamina_bench_floor_bg.wasm')) });
  const url = `${baseUrl}/images/${encodeURIComponent(JOBID)}`;
  clients.floor = () => floor.getJob(fetchOpt.fetch, url, `Bearer ${token}`);
}

// Both clients must return the same job, or the comparison means nothing.
const [a, b] = [await clients.pkg(), await clients.plain()];
if (JSON.stringify(a) !== JSON.stringify(b) || a.jobid !== JOBID) throw new Error('clients disagree on the job');
for (const name of ['guarded', 'floor']) {
  if (clients[name] && JSON.stringify(await clients[name]()) !== JSON.stringify(b)) throw new Error(`${name} disagrees on the job`);
}

async function sequential(call, n, out) {
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
}

/**
 * Both clients in alternation, one call each in turn, so drift in the machine, the server and
 * the event loop falls on both alike (blocks of thousands of calls each pick up their own).
 */
async function sequentialPaired(names, n, out) {
  for (let i = 0; i < n; i++) {
    for (const name of names) {
      const t = performance.now();
      await clients[name]();
      out[name].push(performance.now() - t);
    }
    if (i % 500 === 499) await reset();
  }
}

/**
 * Batches of `WIDTH` calls in flight; each call's latency is from the moment the batch is issued
 * to its own resolve: what a caller awaiting 100 calls sees. (Timing each call from its own
 * start would not be fair: plain JS builds its request synchronously inside the issuing loop,
 * so its 100th clock would start only after 99 request setups, while the package defers that
 * work to a microtask and all its clocks start at once. That is what made the earlier figure
 * 2.27×.)
 */
async function concurrent(call, n, out, walls) {
  for (let done = 0; done < n; done += WIDTH) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(WIDTH, n - done) }, () => call().then(() => out.push(performance.now() - t0))));
    walls.push(performance.now() - t0);
  }
}

const reset = () => (mode === 'loopback' ? fetch(baseUrl.replace(/\/v1\/dreamina$/, '/__mock/reset'), { method: 'POST' }).then((r) => r.text()) : null);

if (mode.startsWith('profile-')) {
  const call = clients[mode.slice('profile-'.length)];
  const t = performance.now();
  const n = Number(process.env.BENCH_PROFILE_CALLS ?? 20000);
  await sequential(call, n, []);
  console.log(JSON.stringify({ calls: n, ms: performance.now() - t }));
} else {
  // Warm-up: JIT, connection pool, wasm tiering.
  for (const c of Object.values(clients)) {
    await sequential(c, 500, []);
    await concurrent(c, 500, [], []);
  }
  const names = Object.keys(clients);
  const per = () => Object.fromEntries(names.map((n) => [n, []]));
  const res = { seq: per(), conc: per(), concWallMs: per() };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    await reset();
    await sequentialPaired(order, SEQ / ROUNDS, res.seq);
    if (mode === 'memory') continue;
    for (const name of order) {
      await reset();
      await concurrent(clients[name], CONC / ROUNDS, res.conc[name], res.concWallMs[name]);
    }
  }
  console.log(JSON.stringify(res));
}
