// Load and memory test of the built package against the in-process mock API.
// Run: node --test tests/load/   (GC is exposed by the file itself; --expose-gc also works)
//
// 1. One client, 500 concurrent waitForJob calls on jobs that complete at random times.
// 2. wasm linear memory and JS heap before and after 10 000 getJob calls, after a warm-up.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { DreaminaClient } from 'dreamina-upscale';
// The package's own glue module for Node, the edge build (same file, so the same instance, as the one 'dreamina-upscale'
// loads): initSync returns the already-initialised instance's exports, memory included.
import { initSync, DreaminaClient as GlueClient } from '../../pkg/dreamina_upscale_edge.js';
import { mockPerFile, SEEDED, TOKEN } from '../helpers/mock.mjs';

const JOBS = 500;
const MAX_COMPLETE_MS = 3000;
const POLL_MS = 100;
const CALLS = 10_000;
const WARMUP = 1_000;
const CONCURRENCY = 50;
const MiB = 1024 * 1024;
// Bounds after the warm-up, over 11 000 calls: a leak of ~95 bytes of wasm memory or ~1 KB of
// JS heap per call would break them.
const WASM_GROWTH_LIMIT = 1 * MiB;
const HEAP_GROWTH_LIMIT = 10 * MiB;

const mock = mockPerFile({ completeAfterMs: 0, capacity: null }); // 500 jobs at once: no maxJobs limit
let client;

/** global.gc, exposed here when node was started without --expose-gc. */
function getGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}
const gc = getGc();

function measure(memory) {
  mock.state.requests.length = 0; // the in-process mock's request log is not the client's memory
  for (let i = 0; i < 3; i++) gc();
  return { wasm: memory.buffer.byteLength, heap: process.memoryUsage().heapUsed };
}

/** Runs `n` calls of `fn(i)`, `width` at a time. */
async function pool(n, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

before(async () => {
  await mock.started;
  client = new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, retryBaseDelayMs: 10, retryMaxDelayMs: 50 });
});


test(`${JOBS} concurrent waitForJob calls on one client all resolve with their own job`, async () => {
  // Each job gets its own completion delay (the mock reads it when the job is created).
  const ids = [];
  const doneAt = new Map();
  for (let i = 0; i < JOBS; i++) {
    const ms = Math.floor(Math.random() * MAX_COMPLETE_MS);
    mock.setConfig({ completeAfterMs: ms });
    const job = await client.upscale({ jobid: SEEDED.square, imageIndex: i % 4 });
    ids.push(job.jobid);
    doneAt.set(job.jobid, mock.state.jobs.get(job.jobid).completeAt);
  }
  assert.equal(new Set(ids).size, JOBS);
  assert.equal(mock.jobsCreated(), JOBS);

  const from = mock.requests().length;
  const started = Date.now();
  const results = await Promise.allSettled(
    ids.map((id) => client.waitForJob(id, { pollIntervalMs: POLL_MS, timeoutMs: 30_000 }).then((job) => ({ job, at: Date.now() }))),
  );
  const elapsed = Date.now() - started;
  const polls = mock.requests().length - from;

  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason?.message);
  assert.deepEqual(failures, [], 'every wait resolves');
  let maxLate = 0;
  results.forEach(({ value: { job, at } }, i) => {
    assert.equal(job.jobid, ids[i], 'each wait resolves with its own job');
    assert.equal(job.status, 'completed');
    assert.equal(job.response.images.length, 1);
    assert.ok(at >= doneAt.get(ids[i]), 'not resolved before the job completed');
    maxLate = Math.max(maxLate, at - doneAt.get(ids[i]));
  });
  console.log(`${JOBS} waits resolved in ${elapsed} ms with ${polls} polls; latest resolution ${maxLate} ms after completion`);
  // Polling every 100 ms for at most 3 s: about 15 polls per job on average, not a storm.
  assert.ok(polls <= JOBS * (MAX_COMPLETE_MS / POLL_MS + 5), `${polls} polls`);
  assert.equal(mock.jobsCreated(), JOBS, 'waiting creates no job');
});

test(`memory stays flat over ${CALLS} getJob calls`, async () => {
  const exports = initSync();
  assert.ok(exports.memory instanceof WebAssembly.Memory, 'the glue exposes the wasm memory');
  assert.equal(GlueClient, DreaminaClient, 'measuring the instance the package uses');
  mock.setConfig({ completeAfterMs: 0 });
  const { jobid } = await client.upscale({ jobid: SEEDED.square });

  const call = async () => {
    const job = await client.getJob(jobid);
    if (job.jobid !== jobid) throw new Error(`wrong job ${job.jobid}`);
  };
  // Warm-up: lets the allocator, V8's caches and undici's connection pool reach steady state.
  await pool(WARMUP, CONCURRENCY, call);
  const before = measure(exports.memory);
  const started = Date.now();
  await pool(CALLS, CONCURRENCY, call);
  const elapsed = Date.now() - started;
  // Errors go through the same path: 1 000 rejections must not leak either.
  await pool(1000, CONCURRENCY, () => client.getJob('j-missing').then(() => assert.fail('resolved'), (e) => assert.equal(e.kind, 'not_found')));
  const afterCalls = measure(exports.memory);

  const wasmGrowth = afterCalls.wasm - before.wasm;
  const heapGrowth = afterCalls.heap - before.heap;
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`${CALLS} getJob + 1000 not_found calls in ${elapsed} ms (${Math.round(CALLS / (elapsed / 1000))}/s)`);
  console.log(`wasm memory: ${kib(before.wasm)} -> ${kib(afterCalls.wasm)} (growth ${kib(wasmGrowth)}, limit ${kib(WASM_GROWTH_LIMIT)})`);
  console.log(`JS heap used: ${kib(before.heap)} -> ${kib(afterCalls.heap)} (growth ${kib(heapGrowth)}, limit ${kib(HEAP_GROWTH_LIMIT)})`);
  assert.ok(wasmGrowth <= WASM_GROWTH_LIMIT, `wasm memory grew by ${wasmGrowth} bytes`);
  assert.ok(heapGrowth <= HEAP_GROWTH_LIMIT, `JS heap grew by ${heapGrowth} bytes`);
});
