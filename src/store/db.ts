import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { log } from '../log';

// The database handle: real PostgreSQL through pg, or an embedded PGlite when no connection is
// configured. Both speak PostgreSQL, so the stores and migrations are the same for both.

export type Db = Knex;

export interface DbOptions {
  /** postgresql://... ; unset: embedded PGlite. */
  connection?: string;
  /** Directory for the PGlite data; unset with no connection: in memory. */
  pglitePath?: string;
  maxPoolSize?: number;
}

// knex's own messages (e.g. "Connection Error" while PostgreSQL restarts) as Fresco's JSON log lines.
const knexLog = {
  warn: (message: unknown) => log.warn({ component: 'knex' }, String(message)),
  error: (message: unknown) => log.error({ component: 'knex' }, String(message)),
  deprecate: (method: string, alternative: string) => log.warn({ component: 'knex' }, `${method} is deprecated; use ${alternative}`),
  debug: (message: unknown) => log.debug({ component: 'knex' }, String(message)),
};

/** Opens (lazily) a knex instance for PostgreSQL or PGlite. */
export function openDb(opts: DbOptions): Db {
  if (opts.connection) {
    return knexFactory({
      client: 'pg',
      connection: opts.connection,
      pool: {
        min: 0, max: opts.maxPoolSize ?? 10,
        // The named statements (prepared.ts) are planned for their parameters on each run: a generic plan made
        // while the calls table was small (a fresh database) stayed in use as it grew (sequential scans).
        afterCreate: (conn: { query(sql: string, cb: (err?: Error) => void): void }, done: (err?: Error) => void) => {
          conn.query('SET plan_cache_mode = force_custom_plan', (err) => done(err));
        },
      },
      acquireConnectionTimeout: 30_000,
      log: knexLog,
    });
  }
  if (opts.pglitePath) fs.mkdirSync(opts.pglitePath, { recursive: true });
  // Loaded only here: a Fresco on PostgreSQL never pays for PGlite's module.
  const ClientPgLite = require('knex-pglite') as typeof import('knex-pglite');
  return knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: opts.pglitePath ? { filename: opts.pglitePath } : {},
  } as Knex.Config);
}

const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

// Names are stored without their extension so that a database migrated from the TypeScript
// sources (tests) and one migrated from the compiled JavaScript (production) agree.
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    const files = fs.readdirSync(MIGRATIONS_DIR)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => f.replace(/\.(ts|js)$/, ''));
    return [...new Set(files)].sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(MIGRATIONS_DIR, name));
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource: new DirectoryMigrationSource() });
  return applied as string[];
}
