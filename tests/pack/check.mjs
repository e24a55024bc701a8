// `node tests/pack/check.mjs`: the tarball users download. `npm pack ./pkg`, check what it
// holds and its package.json, install it into an empty project (offline: it has no
// dependencies), then run the Node flow (import and require) and `tsc --strict` from there.
// Needs `bash scripts/build.sh` first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock, SEEDED } from '../mock/server.mjs';
import { check, summary, run, lastJsonLine, npmEnv, npmPack, npmInstall } from '../runtimes/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const TOKEN = 'user:12345-sandbox';

// What a user needs: the entries, the wasm-bindgen glue and module, types, docs. Nothing else.
const EXPECTED_FILES = [
  'LICENSE', 'README.md', 'browser.mjs', 'dreamina_upscale.d.ts', 'dreamina_upscale.js',
  'dreamina_upscale_bg.wasm', 'dreamina_upscale_bg.wasm.d.ts',
  // The build with the edge helpers, for Node, Deno, Bun and workerd.
  'dreamina_upscale_edge.d.ts', 'dreamina_upscale_edge.js', 'dreamina_upscale_edge_bg.wasm',
  'dreamina_upscale_edge_bg.wasm.d.ts', 'edge-light.mjs', 'error.js', 'index.d.ts',
  'node.mjs', 'package.json', 'server.mjs', 'workerd.mjs',
];

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-pack-'));
  const env = npmEnv(tmp);
  const mock = await startMock({ completeAfterMs: 300 });
  try {
    let packed;
    await check('npm pack ./pkg: only what users need', async () => {
      packed = await pack(tmp, env);
      return `${packed.filename}: ${packed.files.length} files, ${kb(packed.size)} packed, ${kb(packed.unpackedSize)} unpacked`;
    });
    await check('package.json: metadata, exports, files', () => checkManifest(packed));
    const app = path.join(tmp, 'app');
    await check('npm install <tarball> --offline into an empty project', () => install(app, packed, env));
    await check('installed: Node ESM import runs the flow', () => flowFrom(app, mock, 'cli-flow.mjs'));
    await check('installed: Node require() runs the flow', () => flowFrom(app, mock, 'cli-flow.cjs'));
    await check('installed: the explicit subpaths resolve (dreamina-upscale/node, /browser, /workerd, /edge-light)', () => subpaths(app));
    await check('installed: tsc --strict (node16) over the usage example', () => typesFrom(app));
  } finally {
    await mock.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  summary('pack');
}

async function pack(tmp, env) {
  if (!fs.existsSync(path.join(ROOT, 'pkg/package.json'))) throw new Error('pkg/ is not built: run `bash scripts/build.sh`');
  const packed = await npmPack(path.join(ROOT, 'pkg'), tmp, env);
  // No wasm-bindgen snippets: fetch, timers and conversions are all done from Rust.
  assert.deepEqual(packed.files, EXPECTED_FILES);
  return packed;
}

function checkManifest(packed) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'pkg/package.json'), 'utf8'));
  const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'dreamina-upscale');
  assert.equal(pkg.version, root.version, 'version comes from the root package.json');
  assert.match(pkg.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assert.equal(pkg.license, 'MIT');
  assert.match(pkg.repository?.url ?? '', /^git\+https:\/\//);
  assert.ok(pkg.description?.length > 20, 'description');
  assert.equal(pkg.type, 'module');
  assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects lists the entries (they instantiate the wasm)');
  assert.ok(Array.isArray(pkg.files) && pkg.files.includes('README.md') && pkg.files.includes('LICENSE'));
  assert.ok(!pkg.dependencies && !pkg.peerDependencies && !pkg.scripts, 'zero dependencies, no install scripts');
  assert.ok(fs.statSync(path.join(ROOT, 'pkg/README.md')).size > 500, 'a real README');
  const dot = pkg.exports['.'];
  assert.equal(Object.keys(dot)[0], 'types', '"types" must come first for TypeScript');
  assert.equal(Object.keys(dot).at(-1), 'default');
  for (const target of [pkg.types, pkg.main, pkg.module, ...Object.values(dot), ...Object.values(pkg.exports).filter((v) => typeof v === 'string')]) {
    assert.ok(packed.files.includes(target.replace(/^\.\//, '')), `${target} is in the tarball`);
  }
  const order = Object.keys(dot);
  // Edge platforms get the build that imports the .wasm as a module; `worker` comes after
  // `browser`, so a browser web worker bundle (webpack adds both) keeps the browser entry.
  assert.equal(dot.workerd, './workerd.mjs');
  assert.equal(dot['edge-light'], './edge-light.mjs');
  assert.equal(dot.worker, './workerd.mjs');
  // Node's own resolver (node-addons, which bundlers do not set) reads the .wasm file; the rest
  // (Deno, Bun, server bundles) get server.mjs with the .wasm embedded.
  assert.equal(dot['node-addons'], './node.mjs');
  for (const c of ['node', 'deno', 'bun']) assert.equal(dot[c], './server.mjs', c);
  assert.ok(order.indexOf('node-addons') < order.indexOf('node'));
  assert.ok(order.indexOf('edge-light') < order.indexOf('browser') && order.indexOf('browser') < order.indexOf('worker'));
  // Explicit subpaths for tools that pick the wrong condition, each with its types first.
  for (const [sub, file] of [['./node', './server.mjs'], ['./browser', './browser.mjs'], ['./workerd', './workerd.mjs'], ['./edge-light', './edge-light.mjs']]) {
    assert.deepEqual(pkg.exports[sub], { types: './index.d.ts', default: file }, sub);
  }
  // The server entry carries its .wasm (bundlers need not find one): the edge build's bytes.
  const node = fs.readFileSync(path.join(ROOT, 'pkg/server.mjs'), 'utf8');
  const wasm = fs.readFileSync(path.join(ROOT, 'pkg/dreamina_upscale_edge_bg.wasm')).toString('base64');
  assert.ok(node.includes(JSON.stringify(wasm)), 'server.mjs embeds dreamina_upscale_edge_bg.wasm');
  const code = node.split('\n').filter((l) => !/^\s*(\/\/|\/\*\*|\*)/.test(l)).join('\n');
  assert.doesNotMatch(code, /import\.meta\.url|readFileSync|node:fs/, 'server.mjs reads no file');
  return `v${pkg.version}, conditions ${Object.keys(dot).join(' > ')}`;
}

async function install(app, packed, env) {
  await npmInstall(packed.tarball, app, env);
  const installed = path.join(app, 'node_modules/dreamina-upscale');
  assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'a real copy, not a link');
  for (const f of ['flow.mjs', 'cli-flow.mjs', 'cli-flow.cjs']) fs.copyFileSync(path.join(ROOT, 'tests/runtimes', f), path.join(app, f));
  for (const f of ['usage.ts', 'assert.ts']) fs.copyFileSync(path.join(ROOT, 'tests/types', f), path.join(app, f));
}

async function flowFrom(app, mock, script) {
  const before = mock.jobsCreated();
  const { stdout, stderr } = await run('node', [script, mock.baseUrl, TOKEN, SEEDED.square], { cwd: app });
  const r = lastJsonLine(stdout);
  assert.equal(r.status, 'completed');
  assert.equal(r.imageLongSide, 2048);
  assert.equal(r.error?.isDreaminaError, true);
  assert.equal(mock.jobsCreated(), before + 1);
  assert.match(String(r.entry), /\/app\/node_modules\/dreamina-upscale\/node\.mjs$/, 'Node itself reads the .wasm file');
  assert.equal(stderr.trim(), '', 'no warning');
}

/** Node resolves each subpath to its file; the node one runs. */
async function subpaths(app) {
  const script = `
    const r = (s) => import.meta.resolve(s).replace(/^.*node_modules\\/dreamina-upscale\\//, '');
    const node = await import('dreamina-upscale/node');
    console.log(JSON.stringify({ node: r('dreamina-upscale/node'), browser: r('dreamina-upscale/browser'),
      workerd: r('dreamina-upscale/workerd'), edge: r('dreamina-upscale/edge-light'), ready: typeof node.createProxyHandler }));`;
  const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: app });
  assert.deepEqual(lastJsonLine(stdout), { node: 'server.mjs', browser: 'browser.mjs', workerd: 'workerd.mjs', edge: 'edge-light.mjs', ready: 'function' });
}

async function typesFrom(app) {
  const config = {
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', module: 'node16',
      moduleResolution: 'node16', lib: ['es2022', 'dom'], types: [],
    },
    files: ['usage.ts'],
  };
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(config));
  await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', app], { cwd: app, timeoutMs: 120000 });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

await main();
