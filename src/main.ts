import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApi } from './api/app';
import { alarmRoutes } from './api/handlers/alarms';
import { callRoutes } from './api/handlers/calls';
import { triggerRoutes } from './api/handlers/triggers';
import { createMetrics } from './api/metrics';
import { authOptionsFromConfig, buildAuthFromConfig, createAuthorizer } from './auth';
import type { Config } from './config/config';
import type { Executor, RouteScope } from './domain/executor';
import type { CallQueue } from './domain/models';
import { RegistryPolicy } from './domain/registry-policy';
import { createDockerExecutor, DockerExecutorOptions } from './executor';
import { Lifecycle } from './lifecycle';
import { log } from './log';
import { AmqpCallQueue, AmqpConnection, declareNotificationQueue, isTransientFailure, PoisonMessageError } from './queue';
import { AppService } from './services/app-service';
import { AsyncEngine } from './services/async-engine';
import { triggerRules } from './events';
import { CallService } from './services/call-service';
import { EventService } from './services/event-service';
import { LocalCallQueue, PollingDispatcher, Sweeper } from './services/dispatch';
import { RouteResolver } from './services/route-resolver';
import { ScheduleTicker } from './services/schedule-ticker';
import { EngineStartupGate } from './services/engine-startup-gate';
import { RouteService } from './services/route-service';
import { RunService } from './services/run-service';
import { TriggerService } from './services/trigger-service';
import { KnexAppStore } from './store/app-store';
import { KnexCallStore } from './store/call-store';
import { Db, migrate, openDb } from './store/db';
import { isDatabaseUnavailable } from './store/pg-errors';
import { RecordJournal } from './store/record-journal';
import { KnexRouteStore } from './store/route-store';
import { KnexRuntimeStore } from './store/runtime-store';
import { KnexPackageStore } from './store/package-store';
import { runtimeRoutes } from './api/handlers/runtimes';
import { qinlingRoutes } from './api/qinling';
import { PackageLimits } from './runtimes/archive';
import { CodeExecutor } from './runtimes/code-executor';
import { CodeRoutes } from './runtimes/code-routes';
import { PackageCache } from './runtimes/package-cache';
import { RuntimeService } from './runtimes/runtime-service';
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

/** Adapters a deployment (or a test) plugs in; start() builds the configured ones when absent. */
export interface Adapters {
  executor?: Executor;
  queue?: CallQueue;
  /** The AMQP connection (transport_url); start() makes one when the URL is set. */
  amqp?: AmqpConnection;
  /** Where finished sync call records wait for their database write; start() keeps one under state_path. */
  journal?: RecordJournal;
}

/** This process's engine id: configured, else stable per host and role (so a restart finds its orphans). */
export function engineIdFor(config: Config, role: Role): string {
  return config.engine.engine_id ?? `${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 56)}-${role}`;
}

/** [docker] allowed_registries, or registry_server and Docker Hub when it is empty. */
function registryList(config: Config): string[] {
  const d = config.docker;
  return d.allowed_registries.length ? d.allowed_registries : ['docker.io', ...(d.registry_server ? [d.registry_server] : [])];
}

/** What a code package may be, from [runtimes]. */
function packageLimits(config: Config): PackageLimits {
  const r = config.runtimes;
  return { maxSize: r.package_max_size, maxUnpacked: r.package_max_unpacked, maxRatio: r.package_max_ratio, maxEntries: 10_000 };
}

/** The Docker executor's options from [docker] and [engine]. */
export function executorOptions(config: Config, engineId: string): DockerExecutorOptions {
  const d = config.docker;
  const e = config.engine;
  return {
    dockerHost: d.host, engineId, allowedRegistries: registryList(config), defaultNetwork: d.network, imageDiskBudgetBytes: d.image_disk_budget * 1024 * 1024,
    registryAuth: d.registry_username && d.registry_password ? {
      username: d.registry_username, password: d.registry_password, serveraddress: d.registry_server ?? '',
    } : undefined,
    outputCap: e.output_cap, logCap: e.log_cap, prestartPerRoute: e.prestart_per_route, prestartTotal: e.prestart_total,
    maxContainers: e.max_containers, maxMemoryMb: e.max_memory, maxWait: e.max_wait,
    cpuQuota: e.cpu_quota, pidsLimit: e.pids_limit, maxTimeout: config.DEFAULT.max_timeout,
    runDir: path.resolve(config.DEFAULT.state_path, 'run', engineId),
  };
}

/** Stores and services shared by every role. */
export function buildServices(db: Db, config: Config, adapters: Adapters = {}, engineId = engineIdFor(config, 'all')) {
  const appStore = new KnexAppStore(db);
  const routeStore = new KnexRouteStore(db);
  const callStore = new KnexCallStore(db, { journal: adapters.journal });
  const runtimeStore = new KnexRuntimeStore(db);
  const packages = new KnexPackageStore(db);
  const resolver = new RouteResolver({ routeStore, appStore, runtimes: runtimeStore });
  const limits = packageLimits(config);
  // Code routes' packages are unpacked on this engine's disk before their calls reach Docker.
  adapters = adapters.executor ? { ...adapters, executor: new CodeExecutor(adapters.executor, new PackageCache({
    packages, limits, budgetBytes: config.runtimes.package_cache_size * 1024 * 1024,
    dir: config.runtimes.package_cache_dir ?? path.resolve(config.DEFAULT.state_path, 'packages', engineId),
  })) } : adapters;
  const queue = adapters.queue ?? new LocalCallQueue();
  const leaseMs = config.engine.call_lease * 1000;
  const engine = adapters.executor && new AsyncEngine({ calls: callStore, executor: adapters.executor, resolver }, {
    engineId, leaseMs, concurrency: config.engine.async_prefetch,
  });
  const runs = new RunService({
    calls: callStore, queue, executor: adapters.executor, slow: { engineId, leaseMs, visibleAfterMs: 1000 },
    credentialHeaders: config.DEFAULT.credential_headers,
  });
  const calls = new CallService({ callStore, onCancel: (id) => { engine?.abort(id); runs.abort(id); } });
  // A changed or deleted route must not be run from caches: its lookups nor its kept containers.
  const onChange = (routes: RouteScope) => {
    resolver.invalidate();
    adapters.executor?.retireRoutes(routes);
  };
  const triggerStore = new KnexTriggerStore(db);
  // One authorizer for the API and the use cases that check policy themselves (alarm callbacks).
  const authorizer = createAuthorizer(authOptionsFromConfig(config).policyFile);
  const events = new EventService({
    triggerStore, resolver, runs, maxMessageBytes: config.notifications.max_message_size, authorizer,
  });
  return {
    apps: new AppService({ appStore, onChange }),
    routes: new RouteService({
      routeStore, appStore, onChange, registries: new RegistryPolicy(registryList(config)), limits: { maxTimeout: config.DEFAULT.max_timeout, maxMemory: config.DEFAULT.max_memory },
      code: new CodeRoutes({ packages, runtimes: runtimeStore, limits }), packages,
    }),
    runtimes: new RuntimeService({ store: runtimeStore, onChange: () => resolver.invalidate() }),
    calls, callStore, resolver, queue, engine, runs, authorizer, triggerStore,
    triggers: new TriggerService({ triggerStore, routeStore, rules: triggerRules, onChange: (p) => events.invalidate(p) }),
    events,
  };
}

export type Services = ReturnType<typeof buildServices>;

/** The Koa application with every resource, as served by the api role. */
export function buildApi(config: Config, services: Services, checkHealth: () => Promise<void>, port = config.DEFAULT.bind_port) {
  const auth = buildAuthFromConfig(config, services.authorizer);
  const maxBodySize = config.DEFAULT.max_body_size;
  const host = config.DEFAULT.bind_host;
  const publicUrl = config.DEFAULT.public_url ?? `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  return createApi({
    ...auth, ...services, maxBodySize, publicUrl, version: VERSION, metrics: createMetrics(), checkHealth,
    maxPackageSize: config.runtimes.package_max_size,
    run: { resolver: services.resolver, runs: services.runs, authorizer: services.authorizer, maxBodySize, publicUrl },
    extraRoutes: [
      (r) => callRoutes(r, { calls: services.calls, authorizer: services.authorizer }),
      (r) => runtimeRoutes(r, { runtimes: services.runtimes, authorizer: services.authorizer }),
      (r) => triggerRoutes(r, { triggers: services.triggers, authorizer: services.authorizer, publicUrl }),
      (r) => alarmRoutes(r, { events: services.events, authenticate: auth.authenticate, maxBodySize }),
      // The Qinling-compatible API (docs/qinling.md), catalog type function-engine.
      (r) => qinlingRoutes(r, {
        ...services, authenticate: auth.authenticate, maxBodySize, publicUrl, maxPackageSize: config.runtimes.package_max_size,
      }),
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
  // Listen first so that the default public_url carries the real port (bind_port 0 picks one).
  let handle: http.RequestListener = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = http.createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.DEFAULT.bind_port, config.DEFAULT.bind_host, resolve);
  });
  life.add('http server', server, (s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }));
  const addr = server.address() as { address: string; port: number };
  handle = buildApi(config, services, async () => { await db.raw('select 1'); }, addr.port).callback();
  log.info({ host: addr.address, port: addr.port }, 'Fresco API listening');
  return { host: addr.address, port: addr.port };
}

/** The engine role on `services`: sweeper, then the dispatcher (in-process queue) or the AMQP
 *  consumer; each registers its closer with `life`. Throws when the services have no executor. */
export function startEngine(config: Config, services: Services, life: Lifecycle, amqp?: AmqpConnection): void {
  const engine = services.engine;
  if (!engine) throw new Error('the engine role needs an executor');
  const sweeper = new Sweeper({ calls: services.callStore, queue: services.queue }, {
    intervalMs: Math.max(1000, (config.engine.call_lease * 1000) / 2), maxAttempts: 3,
    retentionMs: config.DEFAULT.call_retention * 1000,
    republishAfterMs: amqp ? 30_000 : undefined,
  });
  sweeper.start();
  life.add('sweeper', sweeper, (s) => s.stop());
  if (services.queue instanceof LocalCallQueue) {
    const dispatcher = new PollingDispatcher(engine, services.queue);
    dispatcher.start();
    life.add('dispatcher', dispatcher, (d) => d.stop());
  } else if (services.queue instanceof AmqpCallQueue) {
    // Acked once the outcome is recorded; a call put back (engine stopping, Docker down) is
    // nacked and redelivered. Consumers stop (closers run in reverse) after the engine released.
    const queue = services.queue;
    const consumer = queue.consumeCalls((id) => engine.runById(id).then(() => undefined), config.engine.async_prefetch);
    life.add('call consumer', consumer, async (c) => (await c).stop());
  }
  life.add('async engine', engine, (e) => e.releaseAll());
}

function startListener(config: Config, services: Services, life: Lifecycle, amqp?: AmqpConnection): void {
  const ticker = new ScheduleTicker(services.events);
  ticker.start();
  life.add('schedule ticker', ticker, (t) => t.stop());
  if (!amqp) {
    log.warn('no transport_url: the listener runs schedules only, no OpenStack notifications');
    return;
  }
  const n = config.notifications;
  const consuming = declareNotificationQueue(amqp, {
    queue: n.queue, exchanges: n.exchanges, routingKey: n.routing_key, exchangeDurable: n.exchange_durable,
  }).then((nq) => ({
    nq,
    consumer: nq.consumeNotifications(async (m) => {
      const r = await services.events.handleNotification(m.content, m);
      if (!r.ok) {
        log.warn({ exchange: m.exchange, reason: r.reason }, 'notification not usable; sent to the dead-letter queue');
        throw new PoisonMessageError(r.reason);
      }
    }, 16, { isTransient: (err) => isTransientFailure(err) || isDatabaseUnavailable(err) }),
  }));
  life.add('notification consumer', consuming, async (c) => {
    const { nq, consumer } = await c;
    await consumer.stop();
    nq.stop();
  });
}

/** Starts the given role(s); the database is migrated first when it is the embedded one. */
export async function start(config: Config, role: Role, adapters: Adapters = {}): Promise<Running> {
  const life = new Lifecycle();
  try {
    const db = life.add('database', openConfiguredDb(config), (d) => d.destroy());
    if (!config.database.connection) await migrate(db);
    else await db.raw('select 1');
    const engineId = engineIdFor(config, role);
    let amqp = adapters.amqp;
    if (!amqp && config.DEFAULT.transport_url) {
      // The API answers 202 only once the broker confirmed; a short wait keeps it from hanging on an
      // outage (the call is durable in the database, re-sent on reconnect, and swept up by the engines).
      amqp = new AmqpConnection({
        transportUrl: config.DEFAULT.transport_url, connectionName: `fresco-${role}@${os.hostname()}`,
        publishTimeoutMs: role === 'engine' ? 30_000 : 5_000,
      });
      await amqp.start();
      life.add('amqp connection', amqp, (c) => c.stop());
    }
    const queue = adapters.queue ?? (amqp ? new AmqpCallQueue(amqp) : undefined);
    let executor = adapters.executor;
    if (!executor && role !== 'listener') {
      const make = () => createDockerExecutor(executorOptions(config, engineId));
      // A dedicated engine must have Docker (its supervisor restarts it); the API still serves without.
      executor = role === 'engine' ? make() : new EngineStartupGate(make);
    }
    if (executor) {
      await executor.start();
      life.add('executor', executor, (e) => e.stop());
    }
    // Per engine id: a restarted process finds the records its killed predecessor had not written.
    const journal = adapters.journal ?? new RecordJournal({ dir: path.resolve(config.DEFAULT.state_path, 'journal'), name: engineId });
    const services = buildServices(db, config, { ...adapters, executor, queue, journal }, engineId);
    life.add('call records', services.callStore, (s) => s.close());
    const recovered = await services.callStore.recover();
    if (recovered) log.info({ records: recovered }, 'wrote the call records an earlier run left in its journal');
    let address: Running['address'];
    if (role === 'engine' || role === 'all') startEngine(config, services, life, amqp);
    if (role === 'api' || role === 'all') address = await startApi(config, services, db, life);
    if (role === 'listener' || role === 'all') startListener(config, services, life, amqp);
    return { address, services, stop: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}
