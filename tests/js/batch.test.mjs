// upscaleMany / upscaleAll as users call them, against the mock API with its capacity enforced
// (429 when an account runs maxJobs jobs): the limit holds, back-pressure completes everything,
// one bad item fails alone, and an abort keeps every created job's id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DreaminaError } from 'dreamina-upscale';
import { startMock, SEEDED, posts } from '../helpers/mock.mjs';
import { clientOf } from '../helpers/client.mjs';

/** A fresh mock per test, so its counters (jobs created, most running) are this test's. */
async function withMock(options, body) {
  const mock = await startMock({ completeAfterMs: '200-400', ...options });
  try {
    return await body(mock, (extra = {}) => clientOf(mock, { retryBaseDelayMs: 20, retryMaxDelayMs: 100, ...extra }));
  } finally {
    await mock.close();
  }
}

const upscalePosts = (mock) => posts(mock, '/images/upscale');

/** 40 upscales of the seeded generations' images, each distinguishable by its fields. */
const forty = () => Array.from({ length: 40 }, (_, i) => ({
  jobid: [SEEDED.square, SEEDED.wide][i % 2], imageIndex: i % 4, replyRef: `item-${i}`,
}));

/** The job id a settled result holds, fulfilled or not. */
const jobidOf = (r) => (r.status === 'fulfilled' ? r.value.jobid : r.reason.jobid);

test('40 upscales at concurrency 10: 40 completed, exactly 40 jobs created, never more than 10 running', async () => {
  await withMock({}, async (mock, client) => {
    const requests = forty();
    const results = await client().upscaleMany(requests, { concurrency: 10, pollIntervalMs: 100 });
    assert.equal(results.length, 40);
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 'fulfilled', r.reason?.message);
      assert.equal(r.value.status, 'completed');
      // In input order: item i is the upscale of request i.
      assert.equal(r.value.request.jobid, requests[i].jobid);
      assert.equal(r.value.request.imageIndex, requests[i].imageIndex);
    }
    assert.equal(new Set(results.map(jobidOf)).size, 40);
    assert.equal(mock.jobsCreated(), 40);
    assert.equal(upscalePosts(mock).length, 40, 'no 429 and no repeat at capacity 10');
    assert.ok(mock.maxRunning() <= 10, `most running ${mock.maxRunning()}`);
    assert.ok(mock.maxRunning() >= 8, `the capacity was used (${mock.maxRunning()})`);
  });
});

test('capacity 3 with concurrency 10: every item completes through 429 back-pressure, 40 jobs created', async () => {
  await withMock({ capacity: 3 }, async (mock, client) => {
    const results = await client().upscaleMany(forty(), { concurrency: 10, pollIntervalMs: 100 });
    assert.deepEqual(results.map((r) => r.status), Array(40).fill('fulfilled'));
    assert.equal(mock.jobsCreated(), 40, 'one job per item, never two');
    assert.ok(mock.maxRunning() <= 3, `most running ${mock.maxRunning()}`);
    assert.ok(upscalePosts(mock).length > 40, 'some submits were refused with 429 and sent again');
  });
});

test('a capacity 429 with Retry-After is waited out for that long', async () => {
  await withMock({ capacity: 1, capacityRetryAfterSec: 1, completeAfterMs: 300 }, async (mock, client) => {
    const requests = [0, 1, 2].map((i) => ({ jobid: SEEDED.square, imageIndex: i }));
    const results = await client().upscaleMany(requests, { concurrency: 3, pollIntervalMs: 100 });
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
    for (const i of [1, 2]) {
      const times = upscalePosts(mock).filter((p) => JSON.parse(p.body).imageIndex === i).map((p) => p.time);
      for (let k = 1; k < times.length; k++) assert.ok(times[k] - times[k - 1] >= 950, `item ${i}: ${times}`);
    }
    assert.equal(mock.jobsCreated(), 3);
  });
});

test('one failing item and one invalid item: the others complete, nothing is sent for the invalid one', async () => {
  await withMock({}, async (mock, client) => {
    const requests = [0, 1, 2, 3].map((i) => ({ jobid: SEEDED.partial, imageIndex: i })); // image 2 fails
    requests.push({ jobid: SEEDED.square, imageIndex: 7 }, { jobid: SEEDED.square, detailStrength: 0.3 });
    const settledOrder = [];
    const results = await client().upscaleMany(requests, {
      concurrency: 3, pollIntervalMs: 100, onResult: (index) => settledOrder.push(index),
    });
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    const failed = results[2].reason;
    assert.ok(failed instanceof DreaminaError);
    assert.equal(failed.kind, 'job_failed');
    assert.ok(failed.jobid, 'the failed job keeps its id');
    assert.equal(failed.job.jobid, failed.jobid);
    assert.equal(failed.job.status, 'failed');
    const invalid = results[4].reason;
    assert.equal(invalid.kind, 'validation');
    assert.equal(invalid.field, 'imageIndex');
    assert.equal(invalid.jobid, undefined);
    assert.equal(settledOrder[0], 4, 'an invalid item settles at once');
    assert.deepEqual([...settledOrder].sort(), [0, 1, 2, 3, 4, 5]);
    assert.ok(!upscalePosts(mock).some((p) => JSON.parse(p.body).imageIndex === 7), 'nothing sent for it');
    assert.equal(mock.jobsCreated(), 5);
  });
});

test('abort mid-batch: no submit after the abort, created items reject aborted with their jobid', async () => {
  await withMock({ completeAfterMs: 300 }, async (mock, client) => {
    const ac = new AbortController();
    let abortedAt = 0;
    let settled = 0;
    const started = Date.now();
    const results = await client().upscaleMany(forty(), {
      concurrency: 5, pollIntervalMs: 100, signal: ac.signal,
      onResult: () => { if (++settled === 7) { abortedAt = Date.now(); ac.abort(); } },
    });
    assert.ok(abortedAt > 0);
    assert.ok(Date.now() - abortedAt < 500, 'the batch ended promptly after the abort');
    assert.equal(results.length, 40);
    const late = upscalePosts(mock).filter((p) => p.time > abortedAt + 50);
    assert.equal(late.length, 0, 'no new submits after the abort');
    const created = mock.jobsCreated();
    assert.ok(created > 7 && created < 40, `${created} created`);
    const ids = results.map(jobidOf).filter(Boolean);
    assert.equal(ids.length, created, 'every created job is in a result');
    assert.equal(new Set(ids).size, created);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      assert.equal(r.reason.kind, 'aborted');
      if (r.reason.jobid) assert.match(r.reason.message, /may still complete/);
    }
    assert.ok(results.some((r) => r.status === 'rejected' && r.reason.jobid), 'some were aborted while running');
    assert.ok(results.some((r) => r.status === 'rejected' && !r.reason.jobid), 'some never started');
    assert.ok(Date.now() - started < 10_000);
  });
});

test('an already-aborted signal submits nothing', async () => {
  await withMock({}, async (mock, client) => {
    const results = await client().upscaleMany(forty().slice(0, 5), { signal: AbortSignal.abort() });
    assert.deepEqual(results.map((r) => r.reason.kind), Array(5).fill('aborted'));
    assert.equal(mock.requests().length, 0);
  });
});

test('onUpdate sees {index, job} for every poll of every item; onResult gets the final results', async () => {
  await withMock({}, async (mock, client) => {
    const requests = forty().slice(0, 12);
    const events = [];
    const byIndex = new Map();
    const results = await client().upscaleMany(requests, {
      concurrency: 4, pollIntervalMs: 100,
      onUpdate: (e) => events.push(e),
      onResult: (index, result) => { assert.ok(!byIndex.has(index)); byIndex.set(index, result); },
    });
    const gets = mock.requests().filter((r) => r.method === 'GET').length;
    assert.equal(events.length, gets + requests.length, 'every poll, plus each created job');
    for (const [i, r] of results.entries()) {
      const mine = events.filter((e) => e.index === i);
      assert.equal(mine[0].job.status, 'created');
      assert.ok(mine.every((e) => e.job.jobid === r.value.jobid), `item ${i} saw only its own job`);
      assert.equal(mine.at(-1).job.status, 'completed');
      assert.equal(byIndex.get(i), r, 'onResult received the very result object');
    }
    assert.deepEqual(Object.keys(events[0]).sort(), ['index', 'job']);
    assert.deepEqual(Object.keys(results[0]).sort(), ['status', 'value']);
  });
});

test('a throwing onUpdate or onResult does not stop the batch (errors go to the console)', async () => {
  await withMock({}, async (mock, client) => {
    const original = console.error;
    const logged = [];
    console.error = (...args) => logged.push(String(args[0]));
    try {
      const results = await client().upscaleMany(forty().slice(0, 3), {
        pollIntervalMs: 100,
        onUpdate: () => { throw new Error('UI broke'); },
        onResult: () => { throw new Error('UI broke again'); },
      });
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
      assert.ok(logged.some((l) => /onUpdate threw/.test(l)));
      assert.equal(logged.filter((l) => /onResult threw/.test(l)).length, 3);
    } finally {
      console.error = original;
    }
  });
});

test('bad batch options reject the call naming the field, and nothing is sent', async () => {
  await withMock({}, async (mock, client) => {
    const c = client();
    const cases = [
      [[], { concurrency: 0 }, 'concurrency'],
      [[], { concurrency: 51 }, 'concurrency'],
      [[], { concurrency: 2.5 }, 'concurrency'],
      [[], { concurrency: '3' }, 'concurrency'],
      [[], { onResult: 'x' }, 'onResult'],
      [[], { onUpdate: 1 }, 'onUpdate'],
      [[], { pollIntervalMs: 5 }, 'pollIntervalMs'],
      [[], { signal: {} }, 'signal'],
      [[], { concurency: 3 }, 'concurency'],
      [[], { upscaleResolution: '4k' }, 'upscaleResolution'],
      [{ jobid: SEEDED.square }, {}, 'requests'],
      [null, {}, 'requests'],
      [[], 'fast', 'options'],
    ];
    for (const [requests, options, field] of cases) {
      const err = await c.upscaleMany(requests, options).then(() => assert.fail(field), (e) => e);
      assert.ok(err instanceof DreaminaError);
      assert.equal(err.kind, 'validation');
      assert.equal(err.field, field, err.message);
    }
    assert.deepEqual(await c.upscaleMany([]), []);
    assert.equal(mock.requests().length, 0);
  });
});

test('upscaleAll: every image of the source (here 2), read once, same settings for each', async () => {
  await withMock({}, async (mock, client) => {
    const results = await client().upscaleAll(SEEDED.pair, { upscaleResolution: '2k', detailStrength: 0.7, pollIntervalMs: 100 });
    assert.equal(results.length, 2);
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 'fulfilled');
      assert.equal(r.value.request.imageIndex, i);
      assert.equal(r.value.request.resolution, '2k');
      assert.deepEqual([r.value.response.images[0].width, r.value.response.images[0].height], [2304, 1728]); // the provider's 2k 4:3 size
    }
    for (const p of upscalePosts(mock)) assert.equal(JSON.parse(p.body).detailStrength, 0.7);
    const sourceReads = mock.requests().filter((r) => r.method === 'GET' && r.jobid === SEEDED.pair);
    assert.equal(sourceReads.length, 1);
  });
});

test('upscaleAll of a fresh generation with one failing image: four results, one job_failed', async () => {
  await withMock({}, async (mock, client) => {
    const c = client();
    const gen = await c.generateAndWait({ prompt: 'harbour [mock:fail-upscale=1]' }, { pollIntervalMs: 100 });
    const results = await c.upscaleAll(gen.jobid, { pollIntervalMs: 100 });
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal(results[1].reason.kind, 'job_failed');
    assert.equal(mock.jobsCreated(), 5);
  });
});

test('upscaleAll refuses a source that is not completed or does not exist', async () => {
  await withMock({}, async (mock, client) => {
    const c = client();
    const running = await c.upscaleAll(SEEDED.running).then(() => assert.fail(), (e) => e);
    assert.equal(running.kind, 'validation');
    assert.equal(running.field, 'sourceJobid');
    assert.match(running.message, /is created/);
    const missing = await c.upscaleAll('j-missing').then(() => assert.fail(), (e) => e);
    assert.equal(missing.kind, 'not_found');
    assert.equal(missing.jobid, 'j-missing');
    const bad = await c.upscaleAll(SEEDED.pair, { upscaleResolution: '16k' }).then(() => assert.fail(), (e) => e);
    assert.equal(bad.field, 'upscaleResolution');
    const empty = await c.upscaleAll('').then(() => assert.fail(), (e) => e);
    assert.equal(empty.field, 'sourceJobid');
    assert.equal(mock.jobsCreated(), 0);
  });
});
