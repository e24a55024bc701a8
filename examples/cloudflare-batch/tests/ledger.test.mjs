// The ledger Durable Object for real (workerd, SQLite on disk): ledgers created by the earlier,
// unversioned schemas are migrated and keep working; an alarm whose sendBatch throws still
// frees stale leases and re-arms itself.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { startBatchStack, requests, waitFor, SEEDED } from './harness.mjs';
import { LEGACY_SCHEMAS, legacyWorker } from './legacy.mjs';

const FAST = { POLL_AFTER_MS: '1500', POLL_EVERY_MS: '500', UNKNOWN_HOLD_MS: '3000', SUBMIT_LEASE_MS: '1000', ORPHAN_MS: '2000' };
const settled = (s) => s.queued === 0 && s.running === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const OLD = '6d0c5b1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e'; // a batch the old code stored

/** What that version's code wrote for a batch of 4: one completed, one refused, one queued, one
 * whose job is running (the mock's seeded job that never ends: it keeps its slot). */
function oldRows(columns, now) {
  const has = (c) => columns.includes(c);
  const batchCols = has('digest') ? '(id, total, created_at, digest)' : '(id, total, created_at)';
  const rows = [[`INSERT INTO batches ${batchCols} VALUES (?, ?, ?${has('digest') ? ', ?' : ''})`, OLD, 4, now - 60_000, ...(has('digest') ? [null] : [])]];
  rows.push(['INSERT INTO items (batch, idx, request, status, jobid, image_url, width, height, granted_at, created_at, done_at) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    OLD, JSON.stringify(requests(1)[0]), 'completed', 'j0101000000000000001I-u12345-US:user@example.com:dreamina', 'https://cdn.example/old.png', 2048, 2048, now - 50_000, now - 49_000, now - 40_000]);
  rows.push(['INSERT INTO items (batch, idx, status, error, done_at) VALUES (?, 1, ?, ?, ?)', OLD, 'failed', JSON.stringify({ kind: 'validation', field: 'imageIndex', message: 'bad' }), now - 60_000]);
  // A queued item whose message the old queue held (this test's queue never delivers it: lost).
  if (has('due_at')) rows.push(['INSERT INTO items (batch, idx, request, status, due_at) VALUES (?, 2, ?, ?, ?)', OLD, JSON.stringify(requests(2)[1]), 'queued', now - 1]);
  else rows.push(['INSERT INTO items (batch, idx, request, status) VALUES (?, 2, ?, ?)', OLD, JSON.stringify(requests(2)[1]), 'queued']);
  rows.push(['INSERT INTO items (batch, idx, request, status, jobid, granted_at, created_at, next_poll_at) VALUES (?, 3, ?, ?, ?, ?, ?, ?)',
    OLD, JSON.stringify(requests(1)[0]), 'created', SEEDED.running, now - 30_000, now - 29_000, now + 600_000]);
  rows.push(['INSERT INTO meta (k, v) VALUES (?, ?)', 'slotMs', '45000']);
  return rows;
}

/** Creates a legacy ledger database in `dir` with the old schema, as the old code would have. */
async function legacyLedger(schema, dir) {
  const mf = new Miniflare({
    modules: true, script: legacyWorker(schema), compatibilityDate: '2026-04-01',
    durableObjects: { LEDGER: { className: 'Ledger', useSQLite: true } }, durableObjectsPersist: dir,
  });
  try {
    // The first call learns the columns (the schema is created then), the second writes the rows.
    const columns = await (await mf.dispatchFetch('http://x/', { method: 'POST', body: '[]' })).json();
    await (await mf.dispatchFetch('http://x/', { method: 'POST', body: JSON.stringify(oldRows(columns, Date.now())) })).json();
    return columns;
  } finally {
    await mf.dispose();
  }
}

for (const [commit, schema] of Object.entries(LEGACY_SCHEMAS)) {
  test(`a ledger created by the schema of ${commit} is migrated (version 0 → 2) and keeps working`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-legacy-'));
    let st;
    try {
      const columns = await legacyLedger(schema, dir);
      assert.equal(columns.includes('due_at'), commit !== '2691e5c', 'the old database is the old shape');
      st = await startBatchStack({ completeAfterMs: 300, vars: FAST, persist: dir });
      const old = await st.api('GET', `/batches/${OLD}`);
      assert.equal(old.status, 200, `the old batch is readable: ${old.text}`);
      assert.deepEqual(old.json.items.slice(0, 2).map((i) => [i.status, i.jobid ?? null, i.imageUrl ?? null]),
        [['completed', 'j0101000000000000001I-u12345-US:user@example.com:dreamina', 'https://cdn.example/old.png'], ['failed', null, null]]);
      // Its queued item lost its message with the old queue: the alarm takes it over and it runs.
      const done = await waitFor(st.api, OLD, (x) => x.queued === 0 && x.completed === 2, 30_000);
      assert.deepEqual([done.completed, done.failed, done.unknown, done.running], [2, 1, 0, 1], JSON.stringify(done));
      const stats = (await st.api('GET', '/__test/stats')).json;
      assert.equal(stats.version, 2);
      assert.equal(stats.running, 1, 'the job that was running before the migration still holds its slot');
      // A new batch on the migrated ledger, pictures stored.
      const { id } = (await st.api('POST', '/batches', { items: requests(3) })).json;
      const s = await waitFor(st.api, id, (x) => settled(x) && x.storage.pending === 0, 30_000);
      assert.deepEqual([s.completed, s.storage.stored], [3, 3], JSON.stringify(s));
      assert.ok(!st.logs().some((l) => /no such column/.test(l)), 'no "no such column"');
    } finally {
      await st?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

describe('the alarm when Queue.sendBatch throws', () => {
  let st;
  before(async () => { st = await startBatchStack({ completeAfterMs: 300, vars: FAST }); });
  after(() => st?.close());

  test('it frees the stale lease first, logs the failure, re-arms, and sends once the queue works again', async () => {
    await st.api('POST', '/__test/fault', { sendBatch: -1 });
    const posted = await st.api('POST', '/batches', { items: requests(3) });
    assert.equal(posted.status, 503, 'stored, not enqueued');
    const id = posted.json.id;
    // Item 0 looks like one whose consumer died mid-POST 10 s ago, its message gone.
    await st.api('POST', '/__test/stale', { batch: id, index: 0, agoMs: 10_000 });
    let stats;
    for (const t0 = Date.now(); Date.now() - t0 < 15_000; await sleep(200)) {
      stats = (await st.api('GET', '/__test/stats')).json;
      if (stats.faults.thrown >= 3) break; // the POST, then at least two alarms' sends
    }
    assert.ok(stats.faults.thrown >= 3, JSON.stringify(stats.faults));
    const mid = (await st.api('GET', `/batches/${id}`)).json;
    assert.deepEqual(mid.items.map((i) => i.status), ['unknown', 'queued', 'queued'], 'the stale lease ended (unknown: its job may exist)');
    assert.equal(stats.running, 0, 'its slot is free (hold over), and the failed sends gave their reservations back');
    assert.ok(stats.alarm !== null && stats.alarm > Date.now() - 5_000, `the alarm is set again (${stats.alarm})`);
    // Anomalies at error level (stderr); decisions at debug level only.
    const errors = st.errors().join('\n');
    for (const event of ['send_failed', 'lease_expired', 'message_lost']) assert.match(errors, new RegExp(`level: 'error',\\s+event: '${event}'`));

    await st.api('POST', '/__test/fault', { sendBatch: 0 });
    const done = await waitFor(st.api, id, settled, 30_000);
    assert.deepEqual([done.completed, done.unknown], [2, 1], JSON.stringify(done));
    assert.equal(st.mock.jobsCreated(), 2, 'the stale item was never posted again');
    assert.match(st.logs().join('\n'), /level: 'debug',\s+event: 'delivery'/, 'decisions at debug level');
    assert.doesNotMatch(st.errors().join('\n'), /event: 'delivery'/);
  });
});
