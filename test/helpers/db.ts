import { randomBytes } from 'node:crypto';
import { Db, migrate, openDb } from '../../src/store/db';

// Tests on a real PostgreSQL: migrate a template database once per test run, clone it for each
// test file (CREATE DATABASE ... TEMPLATE), drop the clones and the template at the end.

const SERVER = process.env.FRESCO_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const TEMPLATE = `fresco_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
let templateReady: Promise<void> | undefined;
const created = new Set<string>();

function admin(): Db {
  return openDb({ connection: `${SERVER}/postgres`, maxPoolSize: 1 });
}

async function buildTemplate(): Promise<void> {
  const a = admin();
  try {
    await a.raw(`CREATE DATABASE ${TEMPLATE}`);
  } finally {
    await a.destroy();
  }
  const t = openDb({ connection: `${SERVER}/${TEMPLATE}`, maxPoolSize: 1 });
  try {
    await migrate(t);
  } finally {
    await t.destroy();
  }
}

export interface TestDb {
  db: Db;
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database of its own. Fails (never skips) if PostgreSQL is down. */
export async function createTestDb(): Promise<TestDb> {
  templateReady ??= buildTemplate();
  await templateReady;
  const name = `fresco_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const a = admin();
  try {
    await a.raw(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
  } finally {
    await a.destroy();
  }
  created.add(name);
  const url = `${SERVER}/${name}`;
  const db = openDb({ connection: url, maxPoolSize: 5 });
  return {
    db, url, name,
    drop: async () => {
      await db.destroy();
      await dropDatabase(name);
    },
  };
}

/** A fresh, migrated in-memory PGlite database (the embedded default). */
export async function createPgliteDb(): Promise<{ db: Db; drop(): Promise<void> }> {
  const db = openDb({});
  await migrate(db);
  return { db, drop: () => db.destroy() };
}

async function dropDatabase(name: string): Promise<void> {
  const a = admin();
  try {
    await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    created.delete(name);
  } finally {
    await a.destroy();
  }
}

/** Drops whatever this test run created and left behind (root hook). */
export async function dropLeftovers(): Promise<void> {
  for (const name of [...created]) await dropDatabase(name);
  if (templateReady) await dropDatabase(TEMPLATE);
}
