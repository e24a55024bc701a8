// The ledger's schema as the example shipped it before versioned migrations, copied verbatim
// from the commits that created or changed it (`git log -p examples/cloudflare-batch/src/ledger.mjs`).
// A test creates a real Durable Object database with one of them (legacyWorker), then runs
// today's Worker on it: src/schema.mjs must migrate it.
export const LEGACY_SCHEMAS = {
  // 2691e5c: the first ledger: no due_at, no digest
  '2691e5c': `
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, total INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  batch TEXT NOT NULL, idx INTEGER NOT NULL, request TEXT, status TEXT NOT NULL,
  jobid TEXT, image_url TEXT, width INTEGER, height INTEGER, error TEXT,
  granted_at INTEGER, created_at INTEGER, done_at INTEGER, wait_until INTEGER, waits INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER, polls INTEGER NOT NULL DEFAULT 0, hold_until INTEGER, reconciled INTEGER NOT NULL DEFAULT 0, extra TEXT,
  PRIMARY KEY (batch, idx));
CREATE INDEX IF NOT EXISTS items_status ON items (status);
CREATE INDEX IF NOT EXISTS items_jobid ON items (jobid);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`,
  // cfcad94: due_at added in place
  'cfcad94': `
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, total INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  batch TEXT NOT NULL, idx INTEGER NOT NULL, request TEXT, status TEXT NOT NULL,
  jobid TEXT, image_url TEXT, width INTEGER, height INTEGER, error TEXT,
  granted_at INTEGER, created_at INTEGER, done_at INTEGER, wait_until INTEGER, waits INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER, polls INTEGER NOT NULL DEFAULT 0, hold_until INTEGER, reconciled INTEGER NOT NULL DEFAULT 0, extra TEXT, due_at INTEGER,
  PRIMARY KEY (batch, idx));
CREATE INDEX IF NOT EXISTS items_status ON items (status, wait_until);
CREATE INDEX IF NOT EXISTS items_due ON items (status, due_at);
CREATE INDEX IF NOT EXISTS items_jobid ON items (jobid);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`,
  // d2e9937: digest added in place (the schema at main before this change)
  'd2e9937': `
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, total INTEGER NOT NULL, created_at INTEGER NOT NULL, digest TEXT);
CREATE TABLE IF NOT EXISTS items (
  batch TEXT NOT NULL, idx INTEGER NOT NULL, request TEXT, status TEXT NOT NULL,
  jobid TEXT, image_url TEXT, width INTEGER, height INTEGER, error TEXT,
  granted_at INTEGER, created_at INTEGER, done_at INTEGER, wait_until INTEGER, waits INTEGER NOT NULL DEFAULT 0,
  next_poll_at INTEGER, polls INTEGER NOT NULL DEFAULT 0, hold_until INTEGER, reconciled INTEGER NOT NULL DEFAULT 0, extra TEXT, due_at INTEGER,
  PRIMARY KEY (batch, idx));
CREATE INDEX IF NOT EXISTS items_status ON items (status, wait_until);
CREATE INDEX IF NOT EXISTS items_due ON items (status, due_at);
CREATE INDEX IF NOT EXISTS items_jobid ON items (jobid);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`,
};

/** A Worker whose `Ledger` Durable Object creates the legacy schema and runs the given
 * statements, as that version's code did ([sql, ...args] pairs, POSTed as JSON to any path). */
export function legacyWorker(schema) {
  return `import { DurableObject } from 'cloudflare:workers';
const SCHEMA = ${JSON.stringify(schema)};
export class Ledger extends DurableObject {
  seed(statements) {
    const sql = this.ctx.storage.sql;
    sql.exec(SCHEMA);
    for (const [q, ...args] of statements) sql.exec(q, ...args);
    return sql.exec('PRAGMA table_info(items)').toArray().map((c) => c.name);
  }
}
export default {
  async fetch(request, env) {
    const stub = env.LEDGER.get(env.LEDGER.idFromName('default'));
    return Response.json(await stub.seed(await request.json()));
  },
};`;
}
