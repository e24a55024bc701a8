// Small shared helpers of the runtime, type and pack checks: named checks with timings and a
// summary (exit code 1 if any failed), and child processes that cannot outlive the run.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const results = [];

/** Runs one named check; a thrown error marks it failed and the run goes on. */
export async function check(name, fn) {
  const t0 = performance.now();
  try {
    const note = await fn();
    results.push({ name, ok: true, ms: performance.now() - t0 });
    console.log(`ok   ${name} (${ms(t0)})${note ? ` — ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false, ms: performance.now() - t0 });
    console.log(`FAIL ${name} (${ms(t0)})\n${indent(e?.stack ?? String(e))}`);
  }
}

/** Prints the summary and sets the exit code; returns true when every check passed. */
export function summary(title) {
  const failed = results.filter((r) => !r.ok);
  console.log(`${title}: ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length || results.length === 0) process.exitCode = 1;
  return failed.length === 0;
}

/**
 * Runs a program to completion without blocking this process's event loop (the mock API
 * serves from it). Rejects on a non-zero exit, with its output; killed after `timeoutMs`.
 */
export function run(cmd, args, { cwd, env, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: env ?? process.env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

/** The last line of a program's stdout, parsed as JSON. */
export function lastJsonLine(stdout) {
  const lines = stdout.trim().split('\n');
  try {
    return JSON.parse(lines.at(-1));
  } catch {
    throw new Error(`expected a JSON line at the end of stdout, got:\n${stdout}`);
  }
}

/** npm's environment for a temp dir: its own cache, so a run never touches ~/.npm. */
export function npmEnv(tmp) {
  return { ...process.env, npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' };
}

/** `npm pack pkgDir` into `dest`; returns npm's report plus the tarball path and file list. */
export async function npmPack(pkgDir, dest, env) {
  const { stdout } = await run('npm', ['pack', pkgDir, '--json', '--pack-destination', dest], { cwd: dest, env });
  const [info] = JSON.parse(stdout);
  return { ...info, files: info.files.map((f) => f.path).sort(), tarball: path.join(dest, info.filename) };
}

/** Installs a tarball into a new empty ESM project `app`, offline (the package has no deps). */
export async function npmInstall(tarball, app, env) {
  fs.mkdirSync(app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, env, timeoutMs: 120000 });
}

const ms = (t0) => `${Math.round(performance.now() - t0)} ms`;
const indent = (s) => s.split('\n').map((l) => `     ${l}`).join('\n');
