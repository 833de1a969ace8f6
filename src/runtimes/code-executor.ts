// Puts a code route's package on this engine's disk before its call reaches the executor, which
// mounts it read-only at /code in the runtime container, or places it in a waiting runtime
// container's (docs/runtimes.md). Image routes pass straight through. Tells the executor which
// runtimes exist, so that it keeps containers of them waiting for new functions.
import type { ExecutorCall, CallOutcome, Executor, HotWorker, RouteScope, RunnableRoute } from '../domain/executor';
import { log } from '../log';
import type { RuntimeStore } from './model';
import type { PackageCache } from './package-cache';

/** An Executor that unpacks code packages first, then delegates. */
export class CodeExecutor implements Executor {
  // The route with its package's directory, per route object: the resolver hands every call of a
  // route the same object, and the hot pools key their containers by that object (versionKey).
  private readonly placed = new WeakMap<RunnableRoute, RunnableRoute>();

  constructor(private readonly inner: Executor, private readonly cache: Pick<PackageCache, 'dirFor'>,
    private readonly runtimes?: Pick<RuntimeStore, 'list'>) {}

  async start(): Promise<void> {
    await this.inner.start();
    await this.syncRuntimes();
  }

  /** Hands the registered runtimes' images to the executor (at start and whenever runtimes
   *  change), which keeps containers of them waiting; never throws. */
  async syncRuntimes(): Promise<void> {
    if (!this.runtimes || !this.inner.prestartRuntimes) return;
    try {
      this.inner.prestartRuntimes([...new Set((await this.runtimes.list()).map((r) => r.image))]);
    } catch (err) {
      log.warn({ err }, 'listing the runtimes to keep containers of them waiting failed');
    }
  }

  prestartRuntimes(images: string[]): void {
    this.inner.prestartRuntimes?.(images);
  }

  /** See the Executor port; throws FRESCO_PACKAGE_CORRUPT when the package cannot be had intact. */
  async run(req: ExecutorCall): Promise<CallOutcome> {
    const code = req.route.code;
    if (!code || code.hostDir) return this.inner.run(req);
    return this.inner.run({ ...req, route: await this.withDir(req.route) });
  }

  /** Unpacks the package and starts the route's first container before any call; never throws. */
  async prewarm(route: RunnableRoute): Promise<void> {
    if (!this.inner.prewarm) return;
    // An image route with min_hot: its containers need no package.
    if (!route.code) return this.inner.prewarm(route).catch(() => undefined);
    try {
      await this.inner.prewarm(await this.withDir(route));
    } catch (err) {
      log.warn({ err, path: route.path }, 'starting a container ahead of a function\'s first call failed');
    }
  }

  // The package is fetched or unpacked again whenever the cache lost it (dirFor), on every call.
  private async withDir(route: RunnableRoute): Promise<RunnableRoute> {
    const hostDir = await this.cache.dirFor(route.code!);
    const known = this.placed.get(route);
    if (known?.code?.hostDir === hostDir) return known;
    const placed = { ...route, code: { ...route.code!, hostDir } };
    this.placed.set(route, placed);
    return placed;
  }

  workers(scope: RouteScope & { path: string }): HotWorker[] {
    return this.inner.workers?.(scope) ?? [];
  }

  poolOf(image: string): { total: number; available: number } {
    return this.inner.poolOf?.(image) ?? { total: 0, available: 0 };
  }

  retireRoutes(scope: RouteScope): void {
    this.inner.retireRoutes(scope);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
