// `npm test` with a build that fails: scripts/test.sh must stop after the build with the build's
// own error, run no suite against the pkg/ left from before, and exit non-zero. Runs the real
// scripts/test.sh (and setup.sh, build.sh) in a temporary copy of the sources whose Cargo.toml
// has a syntax error: cargo and wasm-pack refuse it at once, so this costs seconds, not a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { copyTree, breakManifest, fakePackage } from './tree.mjs';

test('a failed build stops npm test with its error; no suite runs against the old pkg/', { timeout: 300_000 }, () => {
  const dir = copyTree();
  try {
    fakePackage(dir); // the package of an earlier build: what the suites would wrongly test
    breakManifest(dir);
    const run = spawnSync('bash', ['scripts/test.sh'], { cwd: dir, encoding: 'utf8', timeout: 280_000, env: { ...process.env, NO_COLOR: '1' } });
    const out = `${run.stdout}\n${run.stderr}`;
    assert.notEqual(run.status, 0, `test.sh exited ${run.status}:\n${out.slice(-3000)}`);
    assert.match(out, /=== build pkg\//, 'the build ran');
    // The build's own error, repeated under the summary.
    const stop = out.slice(out.indexOf('STOPPED'));
    assert.ok(out.includes('STOPPED'), out.slice(-3000));
    assert.match(stop, /scripts\/build\.sh failed/);
    assert.match(stop, /manifest|TOML|Cargo\.toml/i, `the build's error is quoted:\n${stop}`);
    assert.match(out, /FAIL build pkg\//);
    // Nothing after the build started, so nothing read the old pkg/.
    const after = out.slice(out.indexOf('=== build pkg/'));
    const headers = after.match(/^=== .*/gm);
    assert.deepEqual(headers, ['=== build pkg/', '=== summary'], `suites after a failed build:\n${headers.join('\n')}`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'pkg', 'package.json'), 'utf8')).version, '0.0.0-old');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
