// The Executor port on a local Docker engine. One branch (getSlot) picks how a call runs:
// default format → a pre-started container if one is ready, else a cold one; http/json → the
// route's hot pool. Owns start-up (orphan reaping, launcher) and shutdown (every container).
import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ExecutorCall, CallOutcome, Executor, HotWorker, RouteScope, RunnableRoute } from '../domain/executor';
import { log } from '../log';
import { Admission } from './admission';
import { ColdSlot } from './cold-slot';
import { DockerDriver } from './docker/driver';
import { dockerFailed, engineStopped, launcherMissing } from './errors';
import { HotPool } from './hot-pool';
import { ImageManager } from './images';
import { DockerExecutorOptions, packageRoot, resolveOptions } from './options';
import { PrestartPool } from './prestart-pool';
import { inScope, routeId, RunDeps, versionKey } from './run-deps';
import { RuntimePool } from './runtime-pool';
import { Reaper, Slot } from './slot';

/** Runs calls in containers on one Docker engine. */
export class DockerExecutor implements Executor {
  private readonly deps: RunDeps;
  private readonly cold: ColdSlot;
  private readonly prestart: PrestartPool;
  private readonly runtimes: RuntimePool;
  private readonly pools = new Map<string, { version: string; pool: HotPool; slot: Slot; route: RunnableRoute }>();
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private starting?: Promise<void>;

  constructor(options: DockerExecutorOptions) {
    const o = resolveOptions(options);
    const driver = new DockerDriver(o);
    const admission = new Admission({ maxContainers: o.maxContainers, maxMemoryMb: o.maxMemoryMb, maxWaitMs: o.maxWait * 1000 });
    this.deps = { driver, options: o, reaper: new Reaper(), images: new ImageManager(driver, o), admission };
    this.cold = new ColdSlot(this.deps);
    this.prestart = new PrestartPool(this.deps);
    // Waiting runtime containers count against the engine's bounds as hot ones do.
    this.runtimes = new RuntimePool(this.deps, (mb) => {
      const l = this.load();
      return l.containers < o.maxContainers && l.memoryMb + mb <= o.maxMemoryMb;
    });
  }

  /** Checks Docker, builds the launcher if missing, removes this engine's orphans. Safe to call twice. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  /** Runs one call; see the Executor port. Throws FrescoError only for infrastructure failures. */
  async run(req: ExecutorCall): Promise<CallOutcome> {
    if (this.state !== 'running') throw engineStopped();
    return this.getSlot(req).exec(req);
  }

  /** See the Executor port: hot pools and pre-started containers of the routes go. */
  retireRoutes(scope: RouteScope): void {
    for (const [id, { pool }] of this.pools) {
      if (!inScope(id, scope)) continue;
      pool.retire();
      this.pools.delete(id);
    }
    this.prestart.retireRoutes(scope);
  }

  /** See the Executor port: the route's live hot containers on this engine. */
  workers(scope: RouteScope & { path: string }): HotWorker[] {
    for (const [id, { pool }] of this.pools) if (inScope(id, scope)) return pool.workers();
    return [];
  }

  /** See the Executor port: hot containers of `image` (a runtime's) and how many are idle; its
   *  waiting runtime containers count as idle ones. */
  poolOf(image: string): { total: number; available: number } {
    const waiting = this.runtimes.ready()[image] ?? 0;
    const sum = { total: waiting, available: waiting };
    for (const { pool, route } of this.pools.values()) {
      if (route.image !== image) continue;
      const c = pool.capacity();
      sum.total += c.total;
      sum.available += c.available;
    }
    return sum;
  }

  /** See the Executor port: runtime containers wait for new functions of these images. */
  prestartRuntimes(images: string[]): void {
    if (this.state === 'running') this.runtimes.setImages(images);
  }

  /** See the Executor port: a hot route's pool starts a container when it has none (min_hot of them). */
  async prewarm(route: RunnableRoute): Promise<void> {
    if (this.state !== 'running' || route.format === 'default') return;
    this.hotPool(route).prewarm();
  }

  /** Removes every container this engine made and waits for it; safe to call twice. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return this.deps.reaper.drain();
    this.state = 'stopped';
    this.prestart.stop();
    this.runtimes.stop();
    for (const { pool } of this.pools.values()) pool.retire();
    this.pools.clear();
    // Starts under way finish (and discard themselves) first; then nothing labelled ours remains.
    await this.deps.reaper.drain();
    await this.deps.driver.removeLabelled(true).catch((err) => log.warn({ err }, 'removing containers at stop failed'));
    await this.deps.reaper.drain();
  }

  /** Ready pre-started containers, live hot containers, hot pools, waiting runtime containers up
   *  per image, and image pulls started (for tests and metrics). */
  stats(): { prestarted: number; hot: number; hotPools: number; waitingRuntimes: Record<string, number>; pulls: number } {
    let hot = 0;
    for (const { pool } of this.pools.values()) hot += pool.size();
    return { prestarted: this.prestart.size(), hot, hotPools: this.pools.size, waitingRuntimes: this.runtimes.ready(), pulls: this.deps.images.pullCount };
  }

  /** What this engine holds, for its membership announcement: containers and MiB of route
   *  memory in use (cold, pre-started admitted, hot, waiting runtime containers), and the routes
   *  with hot containers. */
  load(): { containers: number; memoryMb: number; memoryBudgetMb: number; hot: number; hotRoutes: RunnableRoute[] } {
    let hot = 0;
    let hotMb = 0;
    const hotRoutes: RunnableRoute[] = [];
    for (const { pool, route } of this.pools.values()) {
      const n = pool.size();
      hot += n;
      hotMb += n * route.memory;
      if (n > 0) hotRoutes.push(route);
    }
    const a = this.deps.admission;
    const waiting = this.runtimes.size();
    return { containers: a.size() + hot + waiting, memoryMb: a.memoryMb() + hotMb + this.runtimes.memoryMb(), memoryBudgetMb: this.deps.options.maxMemoryMb, hot, hotRoutes };
  }

  private getSlot(req: ExecutorCall): Slot {
    if (req.route.format === 'default') return this.prestart.take(req) ?? this.cold;
    return this.hotSlot(req);
  }

  private hotSlot(req: ExecutorCall): Slot {
    return this.hotEntry(req.route).slot;
  }

  private hotPool(route: RunnableRoute): HotPool {
    return this.hotEntry(route).pool;
  }

  private hotEntry(route: RunnableRoute): { pool: HotPool; slot: Slot } {
    const id = routeId(route);
    const version = versionKey(route);
    let entry = this.pools.get(id);
    if (entry && entry.version !== version) {
      // The route changed: its old containers must not serve the new version.
      entry.pool.retire();
      entry = undefined;
    }
    if (!entry) {
      const pool = new HotPool(this.deps, route, (p) => {
        if (this.pools.get(id)?.pool === p) this.pools.delete(id);
      }, this.runtimes);
      // A code route's runtime keeps containers waiting from now on, even if it was registered
      // after this engine last heard of the runtimes.
      if (route.code) this.runtimes.add(route.image);
      entry = { version, pool, slot: { kind: 'hot', exec: (r) => pool.run(r) }, route };
      this.pools.set(id, entry);
      // min_hot: the route's floor of warm containers, whichever call or change made the pool.
      if ((route.minHot ?? 0) > 0) pool.keep();
    }
    return entry;
  }

  private async doStart(): Promise<void> {
    this.state = 'starting';
    const o = this.deps.options;
    await this.deps.driver.ping().catch((err) => { throw dockerFailed(`answer at ${o.dockerHost}`, err); });
    await ensureLauncher(o.launcherPath);
    await fs.rm(o.runDir, { recursive: true, force: true });
    await fs.mkdir(o.runDir, { recursive: true, mode: 0o755 });
    // Containers labelled with our engine id are left from an earlier run of this engine (ids are
    // stable per host and role: see src/main.ts); other engines on this Docker host are left alone.
    const reaped = await this.deps.driver.removeLabelled(true);
    if (reaped) log.info({ containers: reaped, engine: o.engineId }, 'removed containers left by an earlier run');
    this.state = 'running';
  }
}

async function ensureLauncher(file: string): Promise<void> {
  try {
    await fs.access(file, constants.X_OK);
    return;
  } catch {
    // Missing: build it (a fresh checkout); gcc -static takes about a second.
  }
  const script = path.join(packageRoot(), 'src', 'executor', 'launcher', 'build.sh');
  try {
    await promisify(execFile)('bash', [script, file]);
  } catch (err) {
    throw launcherMissing(file, (err as Error).message);
  }
}
