// The Worker as it deploys: `wrangler deploy --dry-run` bundles src/worker.mjs with the package's
// workerd build and its .wasm as a module, and reads every binding from wrangler.toml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wranglerBuild, wranglerBindings } from './harness.mjs';

test('wrangler deploy --dry-run: bundles, picks the workerd entry, keeps the .wasm a module, binds the Queue and the Durable Object', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-deploy-'));
  try {
    const stdout = await wranglerBuild('src/worker.mjs', out);
    assert.match(stdout, /env\.LEDGER \(Ledger\)\s+Durable Object/);
    assert.match(stdout, /env\.QUEUE \(dreamina-batch-items\)\s+Queue/);
    assert.match(stdout, /env\.PICTURES \(dreamina-batch-pictures\)\s+Queue/);
    assert.match(stdout, /env\.RESULTS \(dreamina-batch-results\)\s+R2 Bucket/);
    const files = fs.readdirSync(out);
    assert.ok(files.some((f) => f.endsWith('-dreamina_upscale_edge_bg.wasm')), `the edge build's wasm, as a module: ${files}`);
    const js = fs.readFileSync(path.join(out, 'worker.js'), 'utf8');
    // (assert.ok, not match: a failure should not print the whole bundle)
    assert.ok(/import \w+ from "\.\/[0-9a-f]+-dreamina_upscale_edge_bg\.wasm"/.test(js), 'the .wasm is imported as a module');
    assert.ok(/initSync\(\{ module: \w+ \}\)/.test(js), 'the workerd entry (instantiates from a WebAssembly.Module)');
    assert.ok(/Ledger = class extends DurableObject|class Ledger extends DurableObject/.test(js), 'the Durable Object class is in the bundle');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('wrangler.toml, as wrangler reads it: what the tests run is what deploys (consumer limits within Cloudflare\'s)', () => {
  const b = wranglerBindings();
  assert.deepEqual(Object.keys(b.queueConsumers).sort(), ['dreamina-batch-items', 'dreamina-batch-pictures']);
  for (const consumer of Object.values(b.queueConsumers)) {
    assert.ok(consumer.maxRetries <= 100 && consumer.maxBatchSize <= 100 && consumer.maxBatchTimeout <= 60, JSON.stringify(consumer));
  }
  assert.ok(b.queueConsumers['dreamina-batch-pictures'].maxRetries >= 20, 'room for STORE_TRIES (at most 20)');
  assert.deepEqual(b.durableObjects, { LEDGER: { className: 'Ledger', useSQLite: true } });
  assert.equal(b.vars.MAX_JOBS, '10');
  assert.deepEqual(Object.keys(b.r2Buckets), ['RESULTS']);
  assert.deepEqual(Object.keys(wranglerBindings({ r2: false }).r2Buckets), []);
});
