// Helpers shared by the benchmark figures: paths, statistics, child processes, the mock server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH, '..');
export const OUT = path.join(BENCH, 'out');
/** The package as measured: a snapshot of pkg/ taken at the start of the run, so a rebuild by
 * someone else in the same tree mid-run cannot mix two versions into one set of figures. */
export const PKG = path.join(OUT, 'pkg');

/** The two wasm builds the package ships. `client` (the client alone) is what browser.mjs loads;
 * `edge` (client + createProxyHandler/handleWebhook) is what node.mjs and workerd.mjs load.
 * `raw` is cargo's output before wasm-bindgen and wasm-opt (scripts/build.sh), `snapshot` its
 * copy in bench/out taken at the start of a run. */
export const BUILDS = {
  client: {
    glue: 'dreamina_upscale.js', wasm: 'dreamina_upscale_bg.wasm',
    raw: 'target/wasm32-unknown-unknown/release/dreamina_upscale.wasm', snapshot: 'raw-client.wasm',
  },
  edge: {
    glue: 'dreamina_upscale_edge.js', wasm: 'dreamina_upscale_edge_bg.wasm',
    raw: 'target/edge/wasm32-unknown-unknown/release/dreamina_upscale.wasm', snapshot: 'raw-edge.wasm',
  },
};
/** The build an entry of the package really loads, read from the entry itself (so the figures
 * follow the package if an entry switches builds). */
export function buildOfEntry(entry, pkgDir = PKG) {
  const src = fs.readFileSync(path.join(pkgDir, entry), 'utf8');
  const wasm = src.match(/\.\/([\w.-]+_bg\.wasm)/)?.[1];
  const found = Object.entries(BUILDS).find(([, b]) => b.wasm === wasm);
  if (!found) throw new Error(`${entry}: cannot tell which .wasm it loads (found ${wasm})`);
  return { id: found[0], ...found[1] };
}

export const sorted = (xs) => Float64Array.from(xs).sort();
export function quantile(xs, q) {
  const s = xs instanceof Float64Array ? xs : sorted(xs);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** n, mean, and the spread of a list of numbers: min, p25, median, p75, p95, p99, max. */
export function summary(xs) {
  const s = sorted(xs);
  return {
    n: s.length, mean: mean(xs),
    min: s[0], p25: quantile(s, 0.25), median: quantile(s, 0.5), p75: quantile(s, 0.75),
    p95: quantile(s, 0.95), p99: quantile(s, 0.99), max: s[s.length - 1],
  };
}

/**
 * A timed target, judged on two numbers of its samples: `met` when the median and the upper
 * quartile are both within `limit`, `borderline` when only the median is (a quarter of the
 * samples or more are over), `missed` when the median is over.
 */
export function verdict(limit, median, upper) {
  if (!(median <= limit)) return 'missed';
  return upper <= limit ? 'met' : 'borderline';
}

/** Deterministic PRNG (mulberry32) so the polling simulation is the same on every run. */
export { prng as rng } from '../tests/mock/png.mjs';

/** Runs `node args...`; resolves with stdout (throws with stderr on a non-zero exit). */
export function runNode(args, { env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${args.join(' ')} exited ${code ?? signal}\n${err.slice(-4000)}`));
    });
  });
}

/** Runs a child script that prints one JSON line last, and parses it. */
export async function runJson(args, opts) {
  const out = await runNode(args, opts);
  const last = out.trim().split('\n').pop();
  return JSON.parse(last);
}

/** Starts the mock API in its own process (so its CPU is not the client's) on a free port;
 * `args` are more CLI options (later ones win). */
export async function startMockProcess(args = []) {
  const dir = fs.mkdtempSync(path.join(OUT, 'mock-'));
  const portFile = path.join(dir, 'port');
  const child = spawn(process.execPath, [path.join(ROOT, 'tests/mock/server.mjs'), '--port', '0', '--host', '127.0.0.1', '--port-file', portFile, '--complete-after-ms', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 200 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 25));
  if (!fs.existsSync(portFile)) {
    child.kill('SIGKILL');
    throw new Error('mock server did not start');
  }
  await new Promise((r) => setTimeout(r, 20)); // the file is written, let its content land
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1/dreamina`,
    pid: child.pid,
    /** Clears the request log so the server's own memory does not grow during a long run. */
    reset: () => fetch(`${url}/__mock/reset`, { method: 'POST' }).then((r) => r.text()),
    async close() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
