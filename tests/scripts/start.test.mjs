// `npm start` and the scripts around it, run for real in a temporary copy of the sources:
// setup.sh remakes the node_modules/dreamina-upscale link that `npm ci` removes; start.sh skips
// the build while pkg/ was built from the current sources (whoever built it, however old the
// files' times), and rebuilds when a source changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyTree, breakManifest, fakePackage } from './tree.mjs';

/** What scripts/build.sh records once pkg/ is in place: the fingerprint of its inputs. */
function recordBuild(dir) {
  fs.mkdirSync(path.join(dir, '.cache'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.cache/pkg.inputs'), execFileSync('bash', ['scripts/pkg-inputs.sh'], { cwd: dir, encoding: 'utf8' }));
}

/** Runs `npm start`'s script until the demo answers (then stops it) or it exits. */
function start(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/start.sh'], { cwd: dir, env: { ...process.env, PORT: '0' }, detached: true });
    let out = '';
    const timer = setTimeout(() => { process.kill(-child.pid, 'SIGKILL'); reject(new Error(`start.sh: no answer in 120 s\n${out}`)); }, 120_000);
    const onData = (d) => {
      out += d;
      // The mock prints its address once it listens (PORT=0: a free port).
      const url = out.match(/listening on (http:\/\/[\d.:]+)/)?.[1];
      if (url && !child.answered) {
        child.answered = true;
        fetch(`${url}/pkg/package.json`).then((r) => r.json()).then((pkg) => {
          process.kill(-child.pid, 'SIGTERM');
          clearTimeout(timer);
          resolve({ out, served: pkg, exited: false });
        }, reject);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (child.answered) return;
      clearTimeout(timer);
      resolve({ out, code, exited: true });
    });
  });
}

test('setup.sh makes the package link that npm ci removes, pointing at pkg/', () => {
  const dir = copyTree();
  try {
    const link = path.join(dir, 'node_modules/dreamina-upscale');
    assert.equal(fs.existsSync(link), false, 'as after npm ci: no link');
    const run = spawnSync('bash', ['scripts/setup.sh'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(fs.readlinkSync(link), '../pkg');
    // It stays valid when pkg/ is built (or swapped in) after it.
    fakePackage(dir, '1.2.3');
    assert.equal(JSON.parse(fs.readFileSync(path.join(link, 'package.json'), 'utf8')).version, '1.2.3');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start serves pkg/ as built while the sources are unchanged, even with newer file times', { timeout: 300_000 }, async () => {
  const dir = copyTree(['tests/mock', 'www']);
  try {
    fakePackage(dir, '1.2.3');
    recordBuild(dir);
    const first = await start(dir);
    assert.equal(first.exited, false, first.out);
    assert.match(first.out, /no rebuild/);
    assert.doesNotMatch(first.out, /\[build\]|wasm-pack/);
    assert.equal(first.served.version, '1.2.3');
    // A checkout, or `npm test` rebuilding the same sources, leaves newer times: no rebuild.
    const later = new Date(Date.now() + 60_000);
    for (const f of ['src/lib.rs', 'js/node.mjs', 'Cargo.toml']) fs.utimesSync(path.join(dir, f), later, later);
    const second = await start(dir);
    assert.match(second.out, /no rebuild/);
    assert.equal(second.served.version, '1.2.3');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start rebuilds when a source changed (here a Cargo.toml the build refuses: it stops with that error)', { timeout: 300_000 }, async () => {
  const dir = copyTree(['tests/mock', 'www']);
  try {
    fakePackage(dir, '1.2.3');
    recordBuild(dir);
    breakManifest(dir);
    const run = await start(dir);
    assert.equal(run.exited, true, 'the demo must not start on the old pkg/');
    assert.notEqual(run.code, 0);
    assert.doesNotMatch(run.out, /no rebuild/);
    assert.match(run.out, /unclosed inline table/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
