import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Middleware } from 'koa';
import { createApi } from './api/app';
import { createMetrics } from './api/metrics';
import type { Config } from './config/config';
import type { Authorizer } from './domain/identity';
import { Lifecycle } from './lifecycle';
import { log } from './log';
import { AppService } from './services/app-service';
import { RouteService } from './services/route-service';
import { KnexAppStore } from './store/app-store';
import { Db, migrate, openDb } from './store/db';
import { KnexRouteStore } from './store/route-store';

// The composition root: config → adapters → services → roles. Only this file wires implementations.

export type Role = 'api' | 'engine' | 'listener' | 'all';

// package.json is one level up from src/ and two from dist/src/.
const VERSION: string = JSON.parse(fs.readFileSync(
  [path.resolve(__dirname, '../package.json'), path.resolve(__dirname, '../../package.json')]
    .find((p) => fs.existsSync(p)) as string, 'utf8')).version;

/** Opens the configured database (PGlite under state_path when no connection is set). */
export function openConfiguredDb(config: Config): Db {
  return openDb({
    connection: config.database.connection,
    pglitePath: config.database.connection ? undefined : path.resolve(config.DEFAULT.state_path, 'pgdata'),
    maxPoolSize: config.database.max_pool_size,
  });
}

/** Services shared by every role. */
export function buildServices(db: Db, config: Config) {
  const appStore = new KnexAppStore(db);
  const routeStore = new KnexRouteStore(db);
  return {
    apps: new AppService({ appStore }),
    routes: new RouteService({
      routeStore, limits: { maxTimeout: config.DEFAULT.max_timeout, maxMemory: config.DEFAULT.max_memory },
    }),
  };
}

/** Authentication and authorization for the configured auth_strategy. */
export function buildAuth(config: Config): { authenticate: Middleware; authorizer: Authorizer } {
  if (config.DEFAULT.auth_strategy !== 'noauth') throw new Error('auth_strategy keystone is not wired yet');
  return {
    authenticate: async (ctx, next) => {
      ctx.state.identity = { projectId: ctx.get('X-Project-Id') || '', roles: ['admin', 'member', 'reader'], noauth: true };
      await next();
    },
    authorizer: { authorize: () => undefined },
  };
}

export interface Running {
  /** The API server's address when the api role runs. */
  address?: { host: string; port: number };
  stop(): Promise<void>;
}

async function startApi(config: Config, db: Db, life: Lifecycle): Promise<Running['address']> {
  const services = buildServices(db, config);
  const api = createApi({
    ...services, ...buildAuth(config), maxBodySize: config.DEFAULT.max_body_size, publicUrl: config.DEFAULT.public_url,
    version: VERSION, metrics: createMetrics(), checkHealth: async () => { await db.raw('select 1'); },
  });
  const server = http.createServer(api.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.DEFAULT.bind_port, config.DEFAULT.bind_host, resolve);
  });
  life.add('http server', server, (s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }));
  const addr = server.address() as { address: string; port: number };
  log.info({ host: addr.address, port: addr.port }, 'Fresco API listening');
  return { host: addr.address, port: addr.port };
}

/** Starts the given role(s); the database is migrated first when it is the embedded one. */
export async function start(config: Config, role: Role): Promise<Running> {
  const life = new Lifecycle();
  try {
    const db = life.add('database', openConfiguredDb(config), (d) => d.destroy());
    if (!config.database.connection) await migrate(db);
    else await db.raw('select 1');
    let address: Running['address'];
    if (role === 'api' || role === 'all') address = await startApi(config, db, life);
    if (role === 'engine' || role === 'listener') log.warn({ role }, `the ${role} role has nothing to run yet`);
    return { address, stop: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}
