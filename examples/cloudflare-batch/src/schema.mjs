// The ledger's SQLite schema as numbered migration steps, and the row <-> item mapping.
// A ledger is never edited in place: each change is a new step that takes the previous
// version's real database to the next one, in one transaction. The version is kept in the meta
// table (`schema_version`): workerd refuses `PRAGMA user_version` in a Durable Object
// (SQLITE_AUTH), so the meta row plays its part.
import * as D from './decide.mjs';

const S = D.STATUS;
const VERSION_KEY = 'schema_version';

const columns = (sql, table) => new Set(sql.exec(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));

/** Each step: from version i to i + 1. ctx: {now, cfg}. */
export const STEPS = [
  {
    // v1: the ledger as the example shipped it before versioning (main up to this change). Its
    // tables were created with CREATE TABLE IF NOT EXISTS and edited in place twice: `due_at`
    // (cfcad94) and `digest` (d2e9937) are missing from ledgers created before those commits.
    name: 'baseline: the unversioned ledger, with due_at and digest',
    up(sql, { now, cfg }) {
      sql.exec(`CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, total INTEGER NOT NULL, created_at INTEGER NOT NULL, digest TEXT);
        CREATE TABLE IF NOT EXISTS items (
          batch TEXT NOT NULL, idx INTEGER NOT NULL, request TEXT, status TEXT NOT NULL,
          jobid TEXT, image_url TEXT, width INTEGER, height INTEGER, error TEXT,
          granted_at INTEGER, created_at INTEGER, done_at INTEGER, wait_until INTEGER, waits INTEGER NOT NULL DEFAULT 0,
          next_poll_at INTEGER, polls INTEGER NOT NULL DEFAULT 0, hold_until INTEGER, reconciled INTEGER NOT NULL DEFAULT 0, extra TEXT, due_at INTEGER,
          PRIMARY KEY (batch, idx));`);
      if (!columns(sql, 'batches').has('digest')) sql.exec('ALTER TABLE batches ADD COLUMN digest TEXT');
      if (!columns(sql, 'items').has('due_at')) {
        sql.exec('ALTER TABLE items ADD COLUMN due_at INTEGER');
        // Queued items of that version had their message in the queue: give it ORPHAN_MS to come.
        sql.exec('UPDATE items SET due_at = ? WHERE status = ?', now + cfg.orphanMs, S.QUEUED);
      }
      sql.exec(`DROP INDEX IF EXISTS items_status;
        CREATE INDEX items_status ON items (status, wait_until);
        CREATE INDEX IF NOT EXISTS items_due ON items (status, due_at);
        CREATE INDEX IF NOT EXISTS items_jobid ON items (jobid);`);
    },
  },
  {
    // v2: slots handed out by the ledger (dispatched_at), the one slot rule stored per row
    // (slot_until, from decide.slotUntil), every image of a job, pictures stored in R2, and
    // deleted batches whose R2 objects are still to be removed (purges).
    name: 'dispatch, slot_until, images, R2 store state',
    up(sql, { cfg }) {
      for (const c of ['dispatched_at INTEGER', 'slot_until INTEGER', 'images TEXT', 'store TEXT', 'store_due_at INTEGER', 'store_info TEXT']) {
        sql.exec(`ALTER TABLE items ADD COLUMN ${c}`);
      }
      sql.exec(`DROP INDEX IF EXISTS items_status;
        CREATE INDEX items_poll ON items (status, next_poll_at);
        CREATE INDEX items_slot ON items (slot_until);
        CREATE INDEX items_store ON items (store, store_due_at);
        CREATE TABLE purges (batch TEXT PRIMARY KEY, at INTEGER NOT NULL);`);
      sql.exec('DELETE FROM meta WHERE k = ?', 'slotMs'); // the guessed slot time of v1 (job times are learned anew)
      const holding = sql.exec('SELECT * FROM items WHERE status IN (?, ?, ?)', S.SUBMITTING, S.CREATED, S.UNKNOWN).toArray();
      for (const r of holding) sql.exec(UPDATE, ...toColumns(fromRow(r), cfg), r.batch, r.idx);
    },
  },
];
export const VERSION = STEPS.length;

/** Brings the ledger's database to VERSION, one step (one transaction) at a time. Returns
 * {from, to}. A database newer than this code is refused rather than misread. */
export function migrate(storage, ctx) {
  const sql = storage.sql;
  sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  const from = Number(sql.exec('SELECT v FROM meta WHERE k = ?', VERSION_KEY).toArray()[0]?.v ?? 0);
  if (from > VERSION) throw new Error(`the ledger's schema is version ${from}, newer than this code's ${VERSION}: deploy the newer code`);
  for (let v = from; v < VERSION; v++) {
    storage.transactionSync(() => {
      STEPS[v].up(sql, ctx);
      sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', VERSION_KEY, String(v + 1));
    });
  }
  return { from, to: VERSION };
}

// ---------------------------------------------------------------------------------------
// Row <-> item: the pure code sees camelCase records, SQLite holds columns.

const json = (text, dflt = null) => (text ? JSON.parse(text) : dflt);

export const fromRow = (r) => r && ({
  batch: r.batch, index: r.idx, status: r.status, request: json(r.request),
  jobid: r.jobid, imageUrl: r.image_url, width: r.width, height: r.height, error: json(r.error),
  grantedAt: r.granted_at, createdAt: r.created_at, doneAt: r.done_at, waitUntil: r.wait_until, waits: r.waits,
  nextPollAt: r.next_poll_at, polls: r.polls, holdUntil: r.hold_until, reconciled: !!r.reconciled,
  extraJobids: json(r.extra, []), dueAt: r.due_at ?? null, dispatchedAt: r.dispatched_at ?? null,
  images: json(r.images, r.image_url ? [{ imageUrl: r.image_url, width: r.width, height: r.height }] : []),
  store: r.store ?? null, storeDueAt: r.store_due_at ?? null, storeInfo: json(r.store_info),
});

const COLUMNS = ['status', 'jobid', 'image_url', 'width', 'height', 'error', 'granted_at', 'created_at', 'done_at', 'wait_until', 'waits',
  'next_poll_at', 'polls', 'hold_until', 'reconciled', 'extra', 'due_at', 'dispatched_at', 'slot_until', 'images', 'store', 'store_due_at', 'store_info'];

/** The columns of an item; `slot_until` is always decide.slotUntil's answer for it. */
export const toColumns = (i, cfg) => [i.status, i.jobid ?? null, i.imageUrl ?? null, i.width ?? null, i.height ?? null, i.error ? JSON.stringify(i.error) : null,
  i.grantedAt ?? null, i.createdAt ?? null, i.doneAt ?? null, i.waitUntil ?? null, i.waits ?? 0, i.nextPollAt ?? null, i.polls ?? 0,
  i.holdUntil ?? null, i.reconciled ? 1 : 0, i.extraJobids?.length ? JSON.stringify(i.extraJobids) : null, i.dueAt ?? null,
  i.dispatchedAt ?? null, D.slotUntil(i, cfg), i.images?.length ? JSON.stringify(i.images) : null,
  i.store ?? null, i.storeDueAt ?? null, i.storeInfo ? JSON.stringify(i.storeInfo) : null];

/** Parked items (args: STATUS.QUEUED, now): queued, no message on its way (due_at null), no slot
 * reserved for it (the reservation, if any, lapsed). The ledger hands them freed slots. */
export const PARKED = 'status = ? AND due_at IS NULL AND COALESCE(slot_until, 0) <= ?';

export const UPDATE = `UPDATE items SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE batch = ? AND idx = ?`;
