// The real Fresco for the bench: a database of its own (a fresh PostgreSQL database when the
// server answers, else embedded PGlite), `start(config, 'all')` as `fresco all` runs it, with
// bench- engine ids and, for RabbitMQ, bench- queues that are deleted afterwards.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config';
import { DockerExecutor } from '../src/executor';
import { Adapters, engineIdFor, executorForRole, executorOptions, Started, start } from '../src/main';
import { AmqpCallQueue, AmqpConnection } from '../src/queue';
import { migrate, openDb } from '../src/store/db';

const PG_SERVER = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const TRANSPORT_URL = process.env.BENCH_TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const TAG = `${process.pid}-${randomBytes(2).toString('hex')}`;

type Env = Record<string, string | undefined>;

/** The bench's database: FRESCO_* settings that select it, a description, and its remover. */
export interface BenchDb {
  description: string;
  env: Env;
  drop(): Promise<void>;
}

/** A fresh migrated PostgreSQL database on BENCH_PG_URL's server; PGlite under `stateDir` if it does not answer. */
export async function openBenchDb(stateDir: string): Promise<BenchDb> {
  const name = `bench_fresco_${TAG.replace(/-/g, '_')}`;
  const admin = openDb({ connection: `${PG_SERVER}/postgres`, maxPoolSize: 1 });
  try {
    await admin.raw(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.destroy();
    return {
      description: `embedded PGlite (PostgreSQL at ${PG_SERVER} unusable: ${(err as Error).message})`,
      env: { FRESCO_DATABASE_CONNECTION: undefined, FRESCO_STATE_PATH: stateDir }, drop: async () => undefined,
    };
  }
  await admin.destroy();
  const url = `${PG_SERVER}/${name}`;
  const db = openDb({ connection: url, maxPoolSize: 1 });
  await migrate(db).finally(() => db.destroy());
  return {
    description: `PostgreSQL ${url}`,
    env: { FRESCO_DATABASE_CONNECTION: url, FRESCO_STATE_PATH: stateDir },
    drop: async () => {
      const a = openDb({ connection: `${PG_SERVER}/postgres`, maxPoolSize: 1 });
      await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => a.destroy());
    },
  };
}

/** How one Fresco instance of the bench is set up. */
export interface FrescoSetup {
  /** Suffix of its engine id. */
  name: string;
  /** Pre-started containers per default-format route (Fresco's default is 1). */
  prestartPerRoute?: number;
  /** Runtime containers kept waiting per runtime (Fresco's default is 1). */
  prestartPerRuntime?: number;
  /** Async calls through RabbitMQ (BENCH_TRANSPORT_URL) instead of the in-process queue. */
  rabbit?: boolean;
}

/** A running Fresco (role all) and the Docker executor inside it. */
export interface BenchFresco {
  url: string;
  running: Started;
  executor: DockerExecutor;
  /** What carries async calls. */
  queue: string;
  /** Statements this Fresco sent to its database so far: all of them (BEGIN and COMMIT too), and the INSERT/UPDATE/DELETE ones. */
  statements(): { all: number; writes: number };
  stop(): Promise<void>;
}

/** Starts Fresco with `start(config, 'all')` on a free port of 127.0.0.1, noauth. Throws when RabbitMQ is wanted and unreachable. */
export async function startFresco(db: BenchDb, s: FrescoSetup): Promise<BenchFresco> {
  const { config } = loadConfig(undefined, {
    ...process.env, ...db.env, FRESCO_BIND_HOST: '127.0.0.1', FRESCO_BIND_PORT: '0', FRESCO_AUTH_STRATEGY: 'noauth',
    FRESCO_ENGINE_ENGINE_ID: `bench-${TAG}-${s.name}`,
    FRESCO_ENGINE_PRESTART_PER_ROUTE: s.prestartPerRoute === undefined ? undefined : String(s.prestartPerRoute),
    FRESCO_RUNTIMES_PRESTART_PER_RUNTIME: s.prestartPerRuntime === undefined ? undefined : String(s.prestartPerRuntime),
    FRESCO_TRANSPORT_URL: s.rabbit ? TRANSPORT_URL : undefined,
    FRESCO_NOTIFICATIONS_QUEUE: `bench-notifications-${TAG}`,
  });
  const executor = new DockerExecutor(executorOptions(config, engineIdFor(config, 'all')));
  await executor.start();
  // As start() wraps it for role all; we keep the inner one to read its pools and call it directly.
  const adapters: Adapters = { executor: executorForRole('all', () => executor) };
  let queue = 'in-process queue (no transport_url)';
  const amqp = s.rabbit ? await rabbit(adapters) : undefined;
  if (amqp) queue = `RabbitMQ ${amqp.display}, queue ${(adapters.queue as AmqpCallQueue).names.queue}`;
  let running: Started;
  try {
    running = await start(config, 'all', adapters);
  } catch (err) {
    await Promise.all([executor.stop(), amqp && removeQueues(amqp).finally(() => amqp.stop())]);
    throw err;
  }
  // Each statement is one round trip to the database (knex tells each, BEGIN and COMMIT included).
  const counts = { all: 0, writes: 0 };
  running.db.on('query', (q: { sql?: string }) => {
    counts.all++;
    if (/^\s*(with|insert|update|delete)\b/i.test(q.sql ?? '')) counts.writes++;
  });
  return {
    url: `http://127.0.0.1:${running.address!.port}`, running, executor, queue, statements: () => ({ ...counts }),
    stop: async () => {
      await running.stop();
      if (amqp) await removeQueues(amqp).finally(() => amqp.stop());
    },
  };
}

// The connection start() would make, with a bench- call queue so that no other Fresco on this
// broker takes our calls (and we none of theirs).
async function rabbit(adapters: Adapters): Promise<AmqpConnection> {
  const amqp = new AmqpConnection({
    transportUrl: TRANSPORT_URL, connectionName: `bench-fresco-all@${os.hostname()}`, publishTimeoutMs: 5_000,
  });
  await amqp.start();
  try {
    await amqp.waitConnected(5_000);
  } catch (err) {
    await amqp.stop();
    throw err;
  }
  adapters.amqp = amqp;
  adapters.queue = new AmqpCallQueue(amqp, { name: `bench-calls-${TAG}` });
  return amqp;
}

// Deletes the queues and exchanges named for this run (and only those).
async function removeQueues(amqp: AmqpConnection): Promise<void> {
  const model = amqp.model;
  if (!model) return;
  const ch = await model.createChannel();
  try {
    for (const base of [`bench-calls-${TAG}`, `bench-notifications-${TAG}`]) {
      await ch.deleteQueue(base);
      await ch.deleteQueue(`${base}.dlq`);
      await ch.deleteExchange(`${base}.dlx`);
    }
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** The project and app every bench route lives in. */
export const PROJECT = 'bench';
export const APP = `bench-${TAG}`;
export const HELLO = 'fresco-test/hello:1';
export const HOT_HTTP = 'fresco-test/hot-http:1';

/** Calls the Fresco API with a JSON body; resolves with the parsed answer, throws on a non-2xx status. */
export async function api<T = Record<string, unknown>>(base: string, method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Creates the bench app and its public routes through the API, once per database (a second call does nothing). */
export async function createRoutes(base: string): Promise<void> {
  const exists = await fetch(`${base}/v1/${PROJECT}/apps/${APP}`);
  if (exists.ok) return;
  await api(base, 'POST', `/v1/${PROJECT}/apps`, { app: { name: APP } });
  const common = { is_public: true, max_concurrency: 4 };
  const routes = [
    { path: '/cold', image: HELLO, format: 'default' },
    { path: '/pre', image: HELLO, format: 'default' },
    { path: '/hot', image: HOT_HTTP, format: 'http' },
    { path: '/async-local', image: HOT_HTTP, format: 'http', type: 'async' },
    { path: '/async-rabbit', image: HOT_HTTP, format: 'http', type: 'async' },
  ];
  for (const r of routes) await api(base, 'POST', `/v1/${PROJECT}/apps/${APP}/routes`, { route: { ...r, ...common } });
}

/** The public raw-output URL of route `p` (e.g. "/hot"). */
export function publicUrl(f: BenchFresco, p: string): string {
  return `${f.url}/r/${APP}${p}`;
}

/** The token-authenticated run URL of route `p` (noauth here). */
export function runUrl(f: BenchFresco, p: string): string {
  return `${f.url}/v1/r/${PROJECT}/${APP}${p}`;
}

/** A temporary directory for Fresco's state (PGlite data, hot containers' sockets). */
export function stateDirName(): string {
  // Hot containers' unix sockets live under state_path/run/<engine id>/<container name>/ and a
  // socket path longer than 107 bytes does not work: keep the prefix short.
  const tmp = os.tmpdir().length <= 16 ? os.tmpdir() : '/tmp';
  return path.join(tmp, `bench-${TAG}`);
}
