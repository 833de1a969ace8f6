import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './db';

// The hot paths' statements (the batched call writes) run many times a second with the same text.
// Sent as unnamed statements, PostgreSQL parsed and planned each one again: measured during an
// async burst (log_min_duration_statement), parse and bind took 45% of the database's time for
// them. As named prepared statements each connection parses a text once (they are still planned
// for their parameters on each run: db.ts sets plan_cache_mode). pg keeps the statements per
// connection (a new connection prepares again); the name is the text's hash, so a text always
// has one name and two texts never share one. Only fixed texts go here (a bounded set of them):
// every text stays prepared for the connection's life. PGlite ignores the name.

const names = new Map<string, string>();

/** `db.raw(sql, bindings)` as a named prepared statement (see above). */
export function prepared(db: Db, sql: string, bindings: readonly unknown[]): Knex.Raw {
  let name = names.get(sql);
  if (name === undefined) {
    name = `fresco_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    names.set(sql, name);
  }
  return db.raw(sql, bindings as Knex.RawBinding[]).options({ name });
}
