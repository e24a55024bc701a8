// The README's copy-paste examples run as written against the mock API, with only what a test
// must change: the client points at the mock, the job ids are the mock's, polling is fast, and
// the cancel example aborts as soon as its job exists instead of after a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DreaminaClient } from 'dreamina-upscale';
import { mockPerFile, posts, SEEDED, TOKEN } from '../helpers/mock.mjs';

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

test('README generate example: a completed job\'s picture as imageRef_1, with imageStrength', async () => {
  const logged = await run(example('A generation `request` needs'), [
    ['new DreaminaClient({ token: process.env.USEAPI_TOKEN })', client.replace('BASE', mock.baseUrl)],
    ["resolution: '2k' });", "resolution: '2k' }, { pollIntervalMs: 100 });"],
    ['imageStrength: 0.7,\n});', 'imageStrength: 0.7,\n}, { pollIntervalMs: 100 });'],
  ]);
  const [first, second] = posts(mock, '/images').slice(-2).map((r) => JSON.parse(r.body));
  assert.equal(first.model, 'seedream-4.6');
  assert.equal(second.imageStrength, 0.7);
  assert.match(second.imageRef_1, /-image:w\d+:h\d+:/, 'the first job\'s assetRef');
  assert.equal(logged.filter((l) => /^\d+ \d+ http/.test(l)).length, 4, logged.join('\n'));
});

test('README cancel example: cancel() and cancelOnAbort both leave the job "Cancelled by user"', async () => {
  mock.setConfig({ completeAfterMs: 10_000 }); // the jobs must still run when they are cancelled
  const deletes = () => mock.requests().filter((r) => r.method === 'DELETE');
  const before = deletes().length;
  let logged;
  try {
    logged = await run(example('**Cancel.** `client.cancel(jobid)`'), [
      ['new DreaminaClient({ token: process.env.USEAPI_TOKEN })', client.replace('BASE', mock.baseUrl)],
      // Abort as soon as the job exists, not after a minute.
      ['setTimeout(() => controller.abort(), 60_000); // or your Cancel button', ''],
      ['{ signal: controller.signal, cancelOnAbort: true }', '{ signal: controller.signal, cancelOnAbort: true, onUpdate: () => controller.abort() }'],
    ]);
  } finally {
    mock.setConfig({ completeAfterMs: 200 });
  }
  const cancelled = deletes().slice(before);
  assert.equal(cancelled.length, 2, 'one cancel() and one after the abort');
  const direct = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl });
  for (const { jobid } of cancelled) {
    const job = await direct.getJob(jobid);
    assert.equal(job.status, 'failed');
    assert.equal(job.error, 'Cancelled by user');
  }
  assert.equal(logged.length, 1, logged.join('\n'));
  assert.match(logged[0], new RegExp(`^aborted ${escape(cancelled[1].jobid)} .*job .* was cancelled$`));
});

test('README accounts example: every linked account with its credits, then the running jobs', async () => {
  const logged = await run(example('### Accounts and running jobs'), [
    ['new DreaminaClient({ token: process.env.USEAPI_TOKEN })', client.replace('BASE', mock.baseUrl)],
  ]);
  const accounts = logged.filter((l) => / credits session ends in \d+ days /.test(l));
  assert.deepEqual(accounts.map((l) => l.split(' ')[0]), Object.keys(await new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl }).listAccounts()));
  assert.ok(accounts.some((l) => l.startsWith('CA:') && l.includes('gpt-image-2')), logged.join('\n'));
  assert.ok(logged.some((l) => l.startsWith(`US:user@example.com ${SEEDED.running} (`)), logged.join('\n'));
});

/** `s` as a literal inside a RegExp. */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
