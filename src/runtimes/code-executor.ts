// Puts a code route's package on this engine's disk before its call reaches the executor, which
// mounts it read-only at /code in the runtime container (docs/runtimes.md). Image routes pass
// straight through.
import type { ExecutorCall, CallOutcome, Executor, RouteScope, RunnableRoute } from '../domain/executor';
import { log } from '../log';
import type { PackageCache } from './package-cache';

/** An Executor that unpacks code packages first, then delegates. */
export class CodeExecutor implements Executor {
  constructor(private readonly inner: Executor, private readonly cache: Pick<PackageCache, 'dirFor'>) {}

  start(): Promise<void> {
    return this.inner.start();
  }

  /** See the Executor port; throws FRESCO_PACKAGE_CORRUPT when the package cannot be had intact. */
  async run(req: ExecutorCall): Promise<CallOutcome> {
    const code = req.route.code;
    if (!code || code.hostDir) return this.inner.run(req);
    const hostDir = await this.cache.dirFor(code);
    return this.inner.run({ ...req, route: { ...req.route, code: { ...code, hostDir } } });
  }

  /** Unpacks the package and starts the route's first container before any call; never throws. */
  async prewarm(route: RunnableRoute): Promise<void> {
    if (!route.code || !this.inner.prewarm) return;
    try {
      const hostDir = await this.cache.dirFor(route.code);
      await this.inner.prewarm({ ...route, code: { ...route.code, hostDir } });
    } catch (err) {
      log.warn({ err, path: route.path }, 'starting a container ahead of a function\'s first call failed');
    }
  }

  retireRoutes(scope: RouteScope): void {
    this.inner.retireRoutes(scope);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
