// Figure 3: per-call overhead of getJob against the mock API (started in a separate process),
// package vs plain-JS baseline, plus the same with an in-memory fetch to isolate client CPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, OUT, PKG, ROOT, runJson, startMockProcess, summary, verdict } from './lib.mjs';
import { SEEDED } from '../tests/mock/server.mjs';

const CHILD = path.join(BENCH, 'child/calls.mjs');
/** Budgets (issue 10): package/plain-JS ratios of the median and of the upper quartile. */
export const TARGETS = { sequential: 1.10, concurrent: 1.5, inMemoryFetch: 1.5 };
const FLOOR = path.join(OUT, 'floor');
const env = (pkg = PKG) => ({ BENCH_PKG: pkg, BENCH_PLAIN: path.join(BENCH, 'baseline/plain.mjs'), BENCH_GUARDED: path.join(BENCH, 'baseline/guarded.mjs'), BENCH_FLOOR: FLOOR, BENCH_JOBID: SEEDED.square });

/** Builds bench/floor (plain JS's steps in Rust through wasm-bindgen-futures) into bench/out/floor. */
function buildFloor() {
  const r = spawnSync('wasm-pack', ['--log-level', 'warn', 'build', 'bench/floor', '--release', '--target', 'web', '--no-pack', '--no-gitignore', '--out-dir', FLOOR], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: path.join(ROOT, 'target/floor'), PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` },
  });
  if (r.status !== 0) throw new Error('wasm-pack build bench/floor failed');
}

function compare(res) {
  const pkg = summary(res.pkg);
  const plain = summary(res.plain);
  const guarded = res.guarded?.length ? summary(res.guarded) : undefined;
  const floor = res.floor?.length ? summary(res.floor) : undefined;
  return {
    pkg, plain, guarded, floor,
    guardedRatio: guarded && guarded.median / plain.median,
    floorRatio: floor && floor.median / plain.median,
    medianRatio: pkg.median / plain.median,
    p75Ratio: pkg.p75 / plain.p75,
    p99Ratio: pkg.p99 / plain.p99,
    extraMicrosPerCall: (pkg.median - plain.median) * 1000,
  };
}

export async function runOverhead() {
  buildFloor();
  const mock = await startMockProcess();
  try {
    const loop = await runJson([CHILD, 'loopback', mock.baseUrl], { env: env(), timeoutMs: 240_000 });
    const mem = await runJson([CHILD, 'memory', mock.baseUrl], { env: env(), timeoutMs: 240_000 });
    const callsPerSec = (walls, n) => (n / walls.reduce((a, b) => a + b, 0)) * 1000;
    const seq = compare(loop.seq);
    const result = {
      server: 'tests/mock/server.mjs in a separate child process; client in its own process',
      sequential: seq,
      concurrent: {
        ...compare(loop.conc),
        width: 100,
        throughput: { pkg: callsPerSec(loop.concWallMs.pkg, loop.conc.pkg.length), plain: callsPerSec(loop.concWallMs.plain, loop.conc.plain.length) },
      },
      inMemoryFetch: compare(mem.seq),
    };
    const each = Object.entries(TARGETS).map(([mode, limit]) => {
      const { medianRatio: value, p75Ratio: upper } = result[mode];
      const judged = verdict(limit, value, upper);
      return { mode, limit, value, upper, verdict: judged, met: judged === 'met' };
    });
    result.targets = each;
    result.target = {
      what: `getJob ratio to plain JS of the median and of the upper quartile: sequential loopback ≤ ${TARGETS.sequential}×, ${result.concurrent.width} in flight ≤ ${TARGETS.concurrent}×, in-memory fetch ≤ ${TARGETS.inMemoryFetch}×`,
      value: Object.fromEntries(each.map((t) => [t.mode, t.value])),
      limit: TARGETS,
      met: each.every((t) => t.met),
    };
    return result;
  } finally {
    await mock.close();
  }
}

/** CPU profiles of the in-memory loop (package, then baseline), summarised by self time. */
export async function profileOverhead(pkgDir = PKG) {
  const mock = await startMockProcess();
  const dir = path.join(OUT, 'prof');
  fs.rmSync(dir, { recursive: true, force: true });
  const out = {};
  try {
    for (const who of ['pkg', 'plain']) {
      const d = path.join(dir, who);
      const run = await runJson(['--cpu-prof', '--cpu-prof-dir', d, CHILD, `profile-${who}`, mock.baseUrl], { env: env(pkgDir) });
      const file = path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.cpuprofile')));
      out[who] = { ...run, usPerCall: (run.ms * 1000) / run.calls, ...summariseProfile(JSON.parse(fs.readFileSync(file, 'utf8'))) };
    }
  } finally {
    await mock.close();
  }
  return out;
}

/** Where the time went: self time per function and per category (wasm, glue, runtime, GC). */
export function summariseProfile(p) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  const fns = new Map();
  const cats = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const name = `${cf.functionName || '(anonymous)'} ${path.basename(cf.url || '')}`.trim();
    fns.set(name, (fns.get(name) ?? 0) + us);
    const cat = category(cf);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    total += us;
  }
  const pct = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ name: k, pct: (100 * v) / total }));
  return { totalMs: total / 1000, categories: pct(cats), top: pct(fns).slice(0, 15) };
}

function category(cf) {
  const u = cf.url || '';
  if (cf.functionName === '(garbage collector)') return 'GC';
  if (cf.functionName === '(idle)' || cf.functionName === '(program)') return cf.functionName;
  if (u.startsWith('wasm://') || /^\$?wasm-function|::/.test(cf.functionName)) return 'wasm (Rust)';
  if (/dreamina_upscale(_edge)?\.js$/.test(u)) return 'wasm-bindgen glue (JS)';
  if (u.endsWith('plain.mjs')) return 'baseline client (JS)';
  if (u.endsWith('calls.mjs')) return 'benchmark loop';
  if (u.startsWith('node:') || u === '' || u.includes('internal/')) return 'Node runtime (fetch Response, streams, promises)';
  return 'other';
}
