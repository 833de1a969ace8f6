import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApi } from './api/app';
import { alarmRoutes } from './api/handlers/alarms';
import { engineRoutes } from './api/handlers/engines';
import { callRoutes } from './api/handlers/calls';
import { triggerRoutes } from './api/handlers/triggers';
import { createMetrics } from './api/metrics';
import { type Auth, authOptionsFromConfig, buildAuthFromConfig, createAuthorizer, KeystoneClient, resolveKeystoneOptions } from './auth';
import type { Config } from './config/config';
import type { Executor, RouteScope } from './domain/executor';
import type { CallQueue } from './domain/queue';
import { RegistryPolicy } from './domain/registry-policy';
import { ClusterService } from './cluster/cluster-service';
import { EngineDirectory } from './cluster/engine-directory';
import { forgetAfterMs, joinCluster } from './cluster/engine-node';
import { RemoteExecutor } from './cluster/remote-executor';
import { createDockerExecutor, DockerExecutorOptions } from './executor';
import { Lifecycle } from './lifecycle';
import { log } from './log';
import { AmqpCallQueue, AmqpConnection, declareNotificationQueue, isTransientFailure, PoisonMessageError } from './queue';
import { AppService } from './services/app-service';
import { AsyncCallRunner } from './services/async-call-runner';
import { CallChainer } from './services/call-chainer';
import { triggerRules } from './events';
import { CallService } from './services/call-service';
import { EventService } from './services/event-service';
import { LocalCallQueue } from './services/local-call-queue';
import { Sweeper } from './services/sweeper';
import { RouteResolver } from './services/route-resolver';
import { ScheduleTicker } from './services/schedule-ticker';
import { ExecutorStartupGate } from './services/executor-startup-gate';
import { RouteService } from './services/route-service';
import { InvokeService } from './services/invoke-service';
import { RunningCalls } from './services/running-calls';
import { TriggerService } from './services/trigger-service';
import { KnexAppStore } from './store/app-store';
import { deadLetterRoutes } from './api/handlers/dead-letters';
import { KnexDeadLetterStore } from './store/dead-letter-store';
import { DeadLetterService } from './services/dead-letter-service';
import { quotaRoutes } from './api/handlers/quotas';
import { KnexQuotaStore } from './store/quota-store';
import { QuotaService } from './services/quota-service';
import { KnexCallStore } from './store/call-store';
import { KnexEngineStore } from './store/engine-store';
import { KnexIdempotencyStore } from './store/idempotency-store';
import { Db, migrate, openDb } from './store/db';
import { isDatabaseUnavailable } from './store/pg-errors';
import { RecordJournal } from './store/record-journal';
import { KnexRouteStore } from './store/route-store';
import { KnexRouteVersionStore } from './store/route-version-store';
import { RouteVersionService } from './services/route-version-service';
import { KnexRuntimeStore } from './store/runtime-store';
import { KnexPackageStore } from './store/package-store';
import { SwiftClient } from './store/swift-client';
import { SwiftCodeSource } from './store/swift-code-source';
import { SwiftPackageStore } from './store/swift-package-store';
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

/** Where code packages are kept: Swift when [swift] is enabled (with the client that also reads
 *  users' objects for Qinling functions), else Fresco's database. */
export function packageStoreFor(db: Db, config: Config): { packages: KnexPackageStore | SwiftPackageStore; swiftCode?: SwiftCodeSource } {
  const own = new KnexPackageStore(db);
  const sw = config.swift;
  if (!sw.enabled) return { packages: own };
  const identity = new KeystoneClient(resolveKeystoneOptions({
    authUrl: sw.auth_url!, username: sw.username!, password: sw.password!, projectName: sw.project_name,
    userDomainName: sw.user_domain_name, projectDomainName: sw.project_domain_name, timeoutMs: sw.timeout * 1000,
  }), Date.now, { catalog: true, userAgent: 'fresco-swift', section: 'swift' });
  const swift = new SwiftClient(identity, {
    interface: sw.interface, region: sw.region_name, endpointOverride: sw.endpoint_override,
    resellerPrefix: sw.reseller_prefix, timeoutMs: sw.timeout * 1000,
  });
  return {
    packages: new SwiftPackageStore({ swift, index: own, containerPrefix: sw.container_prefix }),
    swiftCode: new SwiftCodeSource({ swift, maxSize: config.runtimes.package_max_size }),
  };
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
    runtimePrestart: config.runtimes.prestart_per_runtime, runtimePrestartMemoryMb: config.runtimes.prestart_memory,
    maxContainers: e.max_containers, maxMemoryMb: e.max_memory, maxWait: e.max_wait,
    cpuQuota: e.cpu_quota, pidsLimit: e.pids_limit, maxTimeout: config.DEFAULT.max_timeout,
    runDir: path.resolve(config.DEFAULT.state_path, 'run', engineId),
  };
}

/** The executor a role runs calls on: a dedicated engine must have Docker (its supervisor restarts
 *  it); the api and all roles start without it and answer 503 until it is usable (ExecutorStartupGate). */
export function executorForRole(role: Exclude<Role, 'listener'>, make: () => Executor): Executor {
  return role === 'engine' ? make() : new ExecutorStartupGate(make);
}

/** Stores and services shared by every role. */
export function buildServices(db: Db, config: Config, adapters: Adapters = {}, engineId = engineIdFor(config, 'all')) {
  const appStore = new KnexAppStore(db);
  const routeStore = new KnexRouteStore(db);
  const callStore = new KnexCallStore(db, { journal: adapters.journal });
  const runtimeStore = new KnexRuntimeStore(db);
  const { packages, swiftCode } = packageStoreFor(db, config);
  const versionStore = new KnexRouteVersionStore(db);
  const resolver = new RouteResolver({ routeStore, appStore, runtimes: runtimeStore, versions: versionStore });
  const limits = packageLimits(config);
  // Code routes' packages are unpacked on this engine's disk before their calls reach Docker (on
  // the engine's, when the executor only hands calls to engines).
  const codeExecutor = adapters.executor && !adapters.executor.remote ? new CodeExecutor(adapters.executor, new PackageCache({
    packages, limits, budgetBytes: config.runtimes.package_cache_size * 1024 * 1024,
    // Per engine id: each engine empties its own directory at start.
    dir: path.resolve(config.runtimes.package_cache_dir ?? path.join(config.DEFAULT.state_path, 'packages'), engineId),
  }), runtimeStore) : undefined;
  adapters = codeExecutor ? { ...adapters, executor: codeExecutor } : adapters;
  const queue = adapters.queue ?? new LocalCallQueue();
  // The calls running in this process, sync and async: their leases, cancels and drain.
  const running = new RunningCalls({ calls: callStore }, {
    engineId, leaseMs: config.engine.call_lease * 1000, visibleAfterMs: 1000,
  });
  // Chaining: what follows a finished call (docs/api.md, "Chaining").
  const follower = new CallChainer({ resolver, queue, maxDepth: config.DEFAULT.max_chain_depth });
  // Per-project quotas (docs/api.md, "Quotas"): the runs' admission at the API and the async calls' fair share.
  const quotas = new QuotaService({ store: new KnexQuotaStore(db), defaults: {
    running_calls: config.DEFAULT.quota_running_calls, queued_calls: config.DEFAULT.quota_queued_calls,
    calls_per_second: config.DEFAULT.quota_calls_per_second,
  } });
  const asyncRunner = adapters.executor && new AsyncCallRunner({
    calls: callStore, executor: adapters.executor, resolver, running, follower, quota: quotas,
  }, config.engine.async_prefetch);
  const idempotencyStore = new KnexIdempotencyStore(db);
  const invoker = new InvokeService({
    calls: callStore, queue, running, executor: adapters.executor, credentialHeaders: config.DEFAULT.credential_headers,
    idempotency: { store: idempotencyStore, windowS: config.DEFAULT.idempotency_window }, follower, quota: quotas,
  });
  const calls = new CallService({ callStore, running, resolver, invoker });
  // A changed or deleted route must not be run from caches: its lookups nor its kept containers.
  const onChange = (routes: RouteScope) => {
    resolver.invalidate();
    adapters.executor?.retireRoutes(routes);
    prewarm(routes);
  };
  // A function from code just written gets its container now, so its first call skips the start.
  const prewarm = (scope: RouteScope) => {
    const executor = adapters.executor;
    if (!executor?.prewarm || scope.path === undefined) return;
    void resolver.private(scope.projectId, scope.appName, scope.path)
      .then((r) => (r.runnable.code || (r.runnable.minHot ?? 0) > 0 ? executor.prewarm!(r.runnable) : undefined))
      .catch(() => undefined);
  };
  const codeRoutes = new CodeRoutes({ packages, runtimes: runtimeStore, limits });
  const triggerStore = new KnexTriggerStore(db);
  // One authorizer for the API and the use cases that check policy themselves (alarm callbacks).
  const authorizer = createAuthorizer(authOptionsFromConfig(config).policyFile);
  const deadLetterStore = new KnexDeadLetterStore(db);
  const events = new EventService({
    triggerStore, resolver, invoker, maxMessageBytes: config.notifications.max_message_size, authorizer,
    deadLetters: deadLetterStore,
  });
  return {
    /** The executor calls run on here (code packages unpacked first), when this process runs any. */
    executor: adapters.executor,
    apps: new AppService({ appStore, onChange }),
    routes: new RouteService({
      routeStore, appStore, onChange, registries: new RegistryPolicy(registryList(config)), limits: { maxTimeout: config.DEFAULT.max_timeout, maxMemory: config.DEFAULT.max_memory, maxMinHot: config.engine.max_min_hot },
      code: codeRoutes, packages,
      versionDigests: async (routeId) => (await versionStore.list(routeId)).map((v) => v.frozen.codeDigest),
    }),
    runtimes: new RuntimeService({ store: runtimeStore, onChange: () => {
      resolver.invalidate();
      // This process's engine keeps containers of the registered runtimes waiting (docs/runtimes.md).
      void codeExecutor?.syncRuntimes();
    } }),
    versions: new RouteVersionService({
      versionStore, routeStore, appStore, onChange: () => resolver.invalidate(), release: (projectId, digest) => codeRoutes.release(projectId, digest),
      retire: (scope) => adapters.executor?.retireRoutes(scope),
    }),
    /** Keeps containers of the registered runtimes waiting for new functions (a process that
     *  runs calls just started); never throws. */
    syncRuntimes: async () => codeExecutor?.syncRuntimes(),
    /** Starts the kept containers of every route with a min_hot (an engine just started); never throws. */
    keepWarm: async () => {
      const routes = await routeStore.listMinHot().catch(() => []);
      for (const r of routes) prewarm({ projectId: r.projectId, appName: r.appName, path: r.path });
      if (routes.length) log.info({ routes: routes.length }, 'starting the kept (min_hot) containers of routes');
    },
    /** Reads Qinling functions' code from users' Swift objects ([swift] enabled). */
    swiftCode,
    calls, callStore, routeStore, idempotencyStore, resolver, queue, running, asyncRunner, invoker, authorizer, triggerStore,
    triggers: new TriggerService({ triggerStore, routeStore, rules: triggerRules, onChange: (p) => events.invalidate(p) }),
    events,
    deadLetterStore,
    deadLetters: new DeadLetterService({ store: deadLetterStore, resolver, invoker }),
    quotas,
    cluster: new ClusterService({ engines: new KnexEngineStore(db), timeoutMs: config.cluster.engine_timeout * 1000 }),
  };
}

export type Services = ReturnType<typeof buildServices>;

/** The Koa application with every resource, as served by the api role; `auth` defaults to the configured
 *  Keystone or noauth middleware with the services' authorizer (a test may plug in its own). */
export function buildApi(config: Config, services: Services, checkHealth: () => Promise<void>, port = config.DEFAULT.bind_port,
  auth: Pick<Auth, 'authenticate' | 'authorizer'> = buildAuthFromConfig(config, services.authorizer)) {
  const maxBodySize = config.DEFAULT.max_body_size;
  const host = config.DEFAULT.bind_host;
  const publicUrl = config.DEFAULT.public_url ?? `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  return createApi({
    ...services, ...auth, maxBodySize, publicUrl, version: VERSION, metrics: createMetrics(), checkHealth,
    maxPackageSize: config.runtimes.package_max_size,
    invoke: { resolver: services.resolver, invoker: services.invoker, authorizer: auth.authorizer, maxBodySize, publicUrl },
    extraRoutes: [
      (r) => callRoutes(r, { calls: services.calls, authorizer: auth.authorizer }),
      (r) => runtimeRoutes(r, { runtimes: services.runtimes, authorizer: auth.authorizer }),
      (r) => triggerRoutes(r, { triggers: services.triggers, authorizer: auth.authorizer, publicUrl }),
      (r) => alarmRoutes(r, { events: services.events, authenticate: auth.authenticate, maxBodySize }),
      (r) => engineRoutes(r, { cluster: services.cluster, authorizer: auth.authorizer }),
      (r) => deadLetterRoutes(r, { deadLetters: services.deadLetters, authorizer: auth.authorizer }),
      (r) => quotaRoutes(r, { quotas: services.quotas, authorizer: auth.authorizer }),
      // The Qinling-compatible API (docs/qinling.md), catalog type function-engine.
      (r) => qinlingRoutes(r, {
        ...services, authenticate: auth.authenticate, maxBodySize, publicUrl, maxPackageSize: config.runtimes.package_max_size,
      }),
    ],
  });
}

export interface Started {
  /** The API server's address when the api role runs. */
  address?: { host: string; port: number };
  services: Services;
  /** The database handle every store of this process uses (the bench counts its statements). */
  db: Db;
  stop(): Promise<void>;
}

async function startApi(config: Config, services: Services, db: Db, life: Lifecycle): Promise<Started['address']> {
  // Closed after the server (whose closing aborts the sync calls of callers it cuts off): their
  // records are written before the call store closes.
  life.add('running calls', services.running, (r) => r.drain());
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

/** The engine role on `services`: the sweeper, and the queue's consumer feeding the async call
 *  runner; each registers its closer with `life`. Throws when the services have no executor. */
export function startEngine(config: Config, services: Services, life: Lifecycle): void {
  const runner = services.asyncRunner;
  if (!runner) throw new Error('the engine role needs an executor');
  const sweeper = new Sweeper({
    calls: services.callStore, queue: services.queue, idempotency: services.idempotencyStore, deadLetters: services.deadLetterStore,
  }, {
    intervalMs: Math.max(1000, (config.engine.call_lease * 1000) / 2), maxAttempts: 3,
    retentionMs: config.DEFAULT.call_retention * 1000, deadLetterRetentionMs: config.DEFAULT.dead_letter_retention * 1000,
  });
  sweeper.start();
  life.add('sweeper', sweeper, (s) => s.stop());
  // Consumers stop (closers run in reverse) after the running calls were put back in the queue.
  life.add('call consumer', services.queue.consume(runner, config.engine.async_prefetch), async (c) => (await c).stop());
  life.add('running calls', services.running, (r) => r.drain());
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
export async function start(config: Config, role: Role, adapters: Adapters = {}): Promise<Started> {
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
    if (!executor && role === 'api' && config.cluster.secret) {
      // Several hosts: this API runs no containers; sync calls go to the engines (docs/operations.md).
      const c = config.cluster;
      executor = new RemoteExecutor(new EngineDirectory(new KnexEngineStore(db), {
        timeoutMs: c.engine_timeout * 1000, refreshMs: 1000, forgetAfterMs: forgetAfterMs(c),
      }),
        { secret: c.secret!, placementWaitMs: c.placement_wait * 1000, liveness: {
          pingIntervalMs: c.ping_interval * 1000, pingTimeoutMs: c.ping_timeout * 1000, connectTimeoutMs: c.connect_timeout * 1000,
        } });
    } else if (!executor && role !== 'listener') {
      executor = executorForRole(role, () => createDockerExecutor(executorOptions(config, engineId)));
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
    let address: Started['address'];
    void services.syncRuntimes();
    if (role === 'engine' || role === 'all') {
      startEngine(config, services, life);
      void services.keepWarm();
    }
    if (role === 'engine' && config.cluster.secret && executor) {
      await joinCluster({ config, executor: services.executor!, store: new KnexEngineStore(db), engineId, life });
    } else if (role === 'engine') {
      log.info('no [cluster] secret: this engine takes async calls only, and API processes run sync calls themselves');
    }
    if (role === 'api' || role === 'all') address = await startApi(config, services, db, life);
    if (role === 'listener' || role === 'all') startListener(config, services, life, amqp);
    return { address, services, db, stop: () => life.close() };
  } catch (err) {
    await life.close();
    throw err;
  }
}
