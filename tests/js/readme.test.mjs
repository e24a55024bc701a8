// The README's copy-paste examples run as written against the mock API, with only what a test
// must change: the client points at the mock, the job ids are the mock's, and polling is fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mockPerFile, SEEDED, TOKEN } from '../helpers/mock.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const README = fs.readFileSync(path.join(HERE, '../../README.md'), 'utf8');
const mock = mockPerFile({ completeAfterMs: 200 });
let runs = 0;

/** The first ```js block after `marker`. */
function example(marker) {
  const at = README.indexOf(marker);
  assert.ok(at >= 0, `README has no "${marker}"`);
  const start = README.indexOf('```js\n', at) + 6;
  return README.slice(start, README.indexOf('```\n', start));
}

/** Runs an example as a module next to this file (so 'dreamina-upscale' resolves), with
 * `substitutions` applied; each must match, so the test breaks when the README changes. */
async function run(code, substitutions) {
  for (const [from, to] of substitutions) {
    assert.ok(code.includes(from), `example no longer contains ${from}`);
    code = code.replaceAll(from, to);
  }
  const logged = [];
  // A new name each time: a module URL is imported only once.
  const file = path.join(HERE, `.readme-example-${process.pid}-${++runs}.mjs`);
  fs.writeFileSync(file, code);
  const original = console.log;
  console.log = (...args) => logged.push(args.join(' '));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = original;
    fs.rmSync(file, { force: true });
  }
  return logged;
}

const client = `new DreaminaClient({ token: '${TOKEN}', baseUrl: '${'BASE'}' })`;

test('README top example: generate → upscale one → upscale all', async () => {
  const logged = await run(example('An upscale starts from a completed generation'), [
    ['new DreaminaClient({ token: process.env.USEAPI_TOKEN })', client.replace('BASE', mock.baseUrl)],
    ["{ onUpdate: (j) => console.log('generation', j.status) }", "{ pollIntervalMs: 100, onUpdate: (j) => console.log('generation', j.status) }"],
    ["upscaleResolution: '4k' });", "upscaleResolution: '4k' }, { pollIntervalMs: 100 });"],
    ["{ upscaleResolution: '4k' })", "{ upscaleResolution: '4k', pollIntervalMs: 100 })"],
  ]);
  assert.equal(logged[0], 'generation created');
  assert.ok(logged.includes('generation completed'));
  const urls = logged.filter((l) => l.startsWith('http'));
  assert.equal(urls.length, 5, logged.join('\n'));
});

test('README batch example: every item of upscaleMany completes', async () => {
  const created = mock.jobsCreated();
  const logged = await run(example('**Batches.**'), [
    ['new DreaminaClient({ token: process.env.USEAPI_TOKEN })', client.replace('BASE', mock.baseUrl)],
    ["'j0302140530123456789i-u12345-US:user@example.com:dreamina'", `'${SEEDED.square}', '${SEEDED.wide}'`],
    ['concurrency: 10,', 'concurrency: 10, pollIntervalMs: 100,'],
  ]);
  assert.equal(mock.jobsCreated() - created, 8);
  assert.equal(logged.filter((l) => / fulfilled$/.test(l)).length, 8);
  assert.equal(logged.filter((l) => /^\d+ http/.test(l)).length, 8, logged.join('\n'));
});
