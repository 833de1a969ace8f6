import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Middleware } from 'koa';
import { createApi } from './api/app';
import { alarmRoutes } from './api/handlers/alarms';
import { callRoutes } from './api/handlers/calls';
import { triggerRoutes } from './api/handlers/triggers';
import { runRoutes } from './api/handlers/runs';
import { createMetrics } from './api/metrics';
import type { Config } from './config/config';
import type { Executor } from './domain/executor';
import type { Authorizer } from './domain/identity';
import type { CallQueue } from './domain/models';
import { Lifecycle } from './lifecycle';
import { log } from './log';
import { AppService } from './services/app-service';
import { AsyncEngine } from './services/async-engine';
import { triggerRules } from './events';
import { CallService } from './services/call-service';
import { EventService } from './services/event-service';
import { LocalCallQueue, PollingDispatcher, Sweeper } from './services/dispatch';
import { RouteResolver } from './services/route-resolver';
import { ScheduleTicker } from './services/schedule-ticker';
import { RouteService } from './services/route-service';
import { RunService } from './services/run-service';
import { TriggerService } from './services/trigger-service';
import { KnexAppStore } from './store/app-store';
import { KnexCallStore } from './store/call-store';
import { Db, migrate, openDb } from './store/db';
import { KnexRouteStore } from './store/route-store';
import { KnexTriggerStore } from './store/trigger-store';

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

/** Adapters a deployment (or a test) plugs in. */
export interface Adapters {
  executor?: Executor;
  queue?: CallQueue;
}

/** Stores and services shared by every role. */
export function buildServices(db: Db, config: Config, adapters: Adapters = {}) {
  const appStore = new KnexAppStore(db);
  const routeStore = new KnexRouteStore(db);
  const callStore = new KnexCallStore(db);
  const resolver = new RouteResolver({ routeStore, appStore });
  const queue = adapters.queue ?? new LocalCallQueue();
  const engine = adapters.executor && new AsyncEngine({ calls: callStore, executor: adapters.executor, resolver }, {
    engineId: config.engine.engine_id, leaseMs: config.engine.call_lease * 1000, concurrency: config.engine.async_prefetch,
  });
  const calls = new CallService({ callStore, onCancel: (id) => engine?.abort(id) });
  const onChange = () => resolver.invalidate();
  const triggerStore = new KnexTriggerStore(db);
  const runs = new RunService({ calls: callStore, queue, executor: adapters.executor });
  return {
    apps: new AppService({ appStore, onChange }),
    routes: new RouteService({
      routeStore, onChange, limits: { maxTimeout: config.DEFAULT.max_timeout, maxMemory: config.DEFAULT.max_memory },
    }),
    calls, callStore, resolver, queue, engine, runs,
    triggers: new TriggerService({ triggerStore, routeStore, rules: triggerRules }),
    events: new EventService({ triggerStore, resolver, runs, maxMessageBytes: config.notifications.max_message_size }),
  };
}

export type Services = ReturnType<typeof buildServices>;

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

/** The Koa application with every resource, as served by the api role. */
export function buildApi(config: Config, services: Services, checkHealth: () => Promise<void>) {
  const auth = buildAuth(config);
  const maxBodySize = config.DEFAULT.max_body_size;
  const publicUrl = config.DEFAULT.public_url;
  return createApi({
    ...services, ...auth, maxBodySize, publicUrl, version: VERSION, metrics: createMetrics(), checkHealth,
    extraRoutes: [
      (r) => runRoutes(r, { resolver: services.resolver, runs: services.runs, authorizer: auth.authorizer, maxBodySize, publicUrl }),
      (r) => callRoutes(r, { calls: services.calls, authorizer: auth.authorizer }),
      (r) => triggerRoutes(r, { triggers: services.triggers, authorizer: auth.authorizer, publicUrl }),
      (r) => alarmRoutes(r, { events: services.events, authenticate: auth.authenticate, maxBodySize }),
    ],
  });
}

export interface Running {
  /** The API server's address when the api role runs. */
  address?: { host: string; port: number };
  services: Services;
  stop(): Promise<void>;
}

async function startApi(config: Config, services: Services, db: Db, life: Lifecycle): Promise<Running['address']> {
  const api = buildApi(config, services, async () => { await db.raw('select 1'); });
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

function startEngine(config: Config, services: Services, life: Lifecycle): void {
  const engine = services.engine;
  if (!engine) throw new Error('the engine role needs an executor');
  const sweeper = new Sweeper({ calls: services.callStore, queue: services.queue }, {
    intervalMs: Math.max(1000, (config.engine.call_lease * 1000) / 2), maxAttempts: 3,
    retentionMs: config.DEFAULT.call_retention * 1000,
    republishAfterMs: config.DEFAULT.transport_url ? 30_000 : undefined,
  });
  sweeper.start();
  life.add('sweeper', sweeper, (s) => s.stop());
  if (services.queue instanceof LocalCallQueue) {
    const dispatcher = new PollingDispatcher(engine, services.queue);
    dispatcher.start();
    life.add('dispatcher', dispatcher, (d) => d.stop());
  }
  life.add('async engine', engine, (e) => e.releaseAll());
}

function startListener(services: Services, life: Lifecycle): void {
  const ticker = new ScheduleTicker(services.events);
  ticker.start();
  life.add('schedule ticker', ticker, (t) => t.stop());
}

/** Starts the given role(s); the database is migrated first when it is the embedded one. */
export async function start(config: Config, role: Role, adapters: Adapters = {}): Promise<Running> {
  const life = new Lifecycle();
  try {
    const db = life.add('database', openConfiguredDb(config), (d) => d.destroy());
    if (!config.database.connection) await migrate(db);
    else await db.raw('select 1');
    if (adapters.executor) {
      await adapters.executor.start();
      life.add('executor', adapters.executor, (e) => e.stop());
    }
    const services = buildServices(db, config, adapters);
    let address: Running['address'];
    if (role === 'engine' || role === 'all') startEngine(config, services, life);
    if (role === 'api' || role === 'all') address = await startApi(config, services, db, life);
    if (role === 'listener' || role === 'all') startListener(services, life);
    return { address, services, stop: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}
