// `npm run bench`: measures the package against its baselines in one run and writes
// bench/results.json and bench/RESULTS.md. Figures only: nothing here passes or fails on timings.
//   node bench/run.mjs [--only size,startup,calls,poll,memory,batch,cloudflare] [--no-diagnose] [--no-wait-quiet]
// With --only, the figures named replace theirs in results.json; the others stay as stored.
// Diagnosis (twiggy size breakdown of both wasm builds, CPU profile of getJob) runs every time
// unless --no-diagnose: it is what says where to cut, met target or not.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH, BUILDS, OUT, PKG, ROOT } from './lib.mjs';
import { runSize } from './size.mjs';
import { runStartup } from './startup.mjs';
import { runOverhead, profileOverhead } from './overhead.mjs';
import { runPoll } from './poll.mjs';
import { runMemory } from './memory.mjs';
import { runBatch } from './batch.mjs';
import { buildNamed, sizeBreakdown, sections, NAMED_PKG } from './diagnose.mjs';
import { renderMarkdown } from './report.mjs';
import { figuresToRun, mergeResults } from './results.mjs';
import { runCloudflare } from './cloudflare.mjs';

const args = process.argv.slice(2);
const only = figuresToRun(args);
const diagnose = !args.includes('--no-diagnose');
const waitQuiet = !args.includes('--no-wait-quiet');
/** Timed figures are only worth having on a quiet machine (others build in this tree too). */
const QUIET_LOAD = 1.5;
const QUIET_WAIT_S = 300;

function ensurePackage() {
  if (Object.values(BUILDS).every((b) => fs.existsSync(path.join(ROOT, 'pkg', b.wasm)))) return;
  console.log('[bench] pkg/ is missing: building it with scripts/build.sh');
  const r = spawnSync('bash', ['scripts/build.sh'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/build.sh failed');
}

/** Copies pkg/ (and both pre-wasm-opt .wasm files) so a rebuild by someone else mid-run
 * changes nothing. */
function snapshot() {
  fs.mkdirSync(OUT, { recursive: true });
  fs.rmSync(PKG, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'pkg'), PKG, { recursive: true, dereference: true });
  for (const b of Object.values(BUILDS)) {
    const raw = path.join(ROOT, b.raw);
    fs.rmSync(path.join(OUT, b.snapshot), { force: true });
    if (fs.existsSync(raw)) fs.copyFileSync(raw, path.join(OUT, b.snapshot));
  }
}

/** Waits (up to QUIET_WAIT_S) for the 1-minute load average to drop under QUIET_LOAD. */
async function untilQuiet() {
  const t = Date.now();
  while (waitQuiet && os.loadavg()[0] >= QUIET_LOAD && Date.now() - t < QUIET_WAIT_S * 1000) {
    console.log(`[bench] load average ${os.loadavg()[0].toFixed(2)} ≥ ${QUIET_LOAD}: waiting for a quiet machine`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}

function tryRun(cmd, cmdArgs) {
  try {
    return execFileSync(cmd, cmdArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    os: `${os.type()} ${os.release()} (${tryRun('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']) ?? os.platform()})`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    rustc: tryRun('rustc', ['--version']) ?? tryRun(path.join(os.homedir(), '.cargo/bin/rustc'), ['--version']),
    package: `${JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8')).name}@${JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8')).version}`,
    wasmSha256: Object.fromEntries(Object.entries(BUILDS).map(([id, b]) => [id, tryRun('sha256sum', [path.join(PKG, b.wasm)])?.split(' ')[0]])),
  };
}

async function step(name, fn) {
  const t = performance.now();
  process.stdout.write(`[bench] ${name} … `);
  const r = await fn();
  console.log(`${((performance.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

const started = performance.now();
ensurePackage();
snapshot();
const results = { machine: machine(), figures: {}, diagnosis: {} };
const f = results.figures;
if (only.has('size')) f.size = await step('size', runSize);
// Only timed figures wait for a quiet machine (size and the simulated polling do not depend on it).
const timed = ['startup', 'calls', 'memory', 'batch', 'cloudflare'].some((name) => only.has(name));
results.machine.loadAverageAtStart = timed ? await untilQuiet() : os.loadavg().map((x) => Number(x.toFixed(2)));
if (only.has('startup')) f.startup = await step('start-up', () => runStartup());
if (only.has('calls')) f.calls = await step('per-call overhead', runOverhead);
if (only.has('poll')) f.poll = await step('polling (simulated clock)', runPoll);
if (only.has('memory')) f.memory = await step('memory', runMemory);
if (only.has('batch')) f.batch = await step('batch (200 upscales, capacity 10, real clock)', runBatch);
if (only.has('cloudflare')) f.cloudflare = await step('cloudflare batch: three job times (1 s, 5 s, 30 s) in workerd, default settings', () => runCloudflare({ pkgDir: PKG }));

results.machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));

if (diagnose) {
  const named = await step('named builds for diagnosis', buildNamed);
  results.diagnosis.size = await step('size breakdown (twiggy)', () => Object.fromEntries(Object.keys(BUILDS).map((id) =>
    [id, { sections: sections(path.join(PKG, BUILDS[id].wasm)), ...(named[id].skipped ? named[id] : sizeBreakdown(named[id])) }])));
  // The profile runs the node entry, so it needs the named EDGE build (what node.mjs loads).
  if (only.has('calls')) {
    results.diagnosis.calls = await step('CPU profile (node --cpu-prof)', () => profileOverhead(named.edge.skipped ? PKG : NAMED_PKG));
  }
}
results.runSeconds = (performance.now() - started) / 1000;

const round = (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v);
const file = path.join(BENCH, 'results.json');
const stored = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
const merged = mergeResults(stored, results);
fs.writeFileSync(file, JSON.stringify(merged, round, 2) + '\n');
fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), renderMarkdown(merged));
const kept = Object.keys(merged.figures).filter((name) => !f[name]);
console.log(`[bench] wrote bench/results.json and bench/RESULTS.md in ${results.runSeconds.toFixed(0)} s (measured: ${Object.keys(f).join(', ')}${kept.length ? `; kept from earlier runs: ${kept.join(', ')}` : ''})`);
for (const [name, fig] of Object.entries(f)) {
  if (fig.target) console.log(`[bench] target ${name}: ${fig.target.verdict ?? (fig.target.met ? 'met' : 'MISSED')} — ${fig.target.what}`);
}
