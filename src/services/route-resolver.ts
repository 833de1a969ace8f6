import { LRUCache } from 'lru-cache';
import { routeNotFound, routePrivate, runtimeNotFound } from '../errors';
import type { RunnableRoute } from '../domain/executor';
import type { AppStore, Route, RouteStore } from '../domain/models';
import type { RuntimeStore } from '../runtimes/model';

/** A route ready to run: the stored route and its executor view (app config merged in). */
export interface ResolvedRoute {
  route: Route;
  runnable: RunnableRoute;
}

const NOT_FOUND = Symbol('not found');

// Runs look routes up on every call; a short-lived cache keeps the database off the hot path.
// Changes made through this process are seen at once (invalidate); others within `ttlMs`.

/** Finds routes to run, private (by project) or public (by global URL). */
export class RouteResolver {
  private readonly cache: LRUCache<string, ResolvedRoute | typeof NOT_FOUND>;

  constructor(private readonly deps: {
    routeStore: RouteStore; appStore: AppStore; ttlMs?: number;
    /** Code routes run their runtime's image (docs/runtimes.md). */
    runtimes?: Pick<RuntimeStore, 'get'>;
  }) {
    this.cache = new LRUCache({ max: 10_000, ttl: deps.ttlMs ?? 1000 });
  }

  /** The project's route; throws NotFoundError FRESCO_ROUTE_NOT_FOUND. */
  private(projectId: string, app: string, path: string): Promise<ResolvedRoute> {
    return this.cached(`p\0${projectId}\0${app}\0${path}`, () => this.deps.routeStore.get(projectId, app, path), app, path);
  }

  /** The public route at /r/{app}{path}; ForbiddenError FRESCO_ROUTE_PRIVATE when only a private one is there. */
  async public(app: string, path: string): Promise<ResolvedRoute> {
    try {
      return await this.cached(`g\0${app}\0${path}`, () => this.deps.routeStore.getPublic(app, path), app, path);
    } catch (err) {
      if (routeNotFound.is(err) && await this.deps.routeStore.existsAnywhere(app, path)) throw routePrivate();
      throw err;
    }
  }

  /** Forgets everything cached (after a change to apps or routes in this process). */
  invalidate(): void {
    this.cache.clear();
  }

  private async cached(key: string, load: () => Promise<Route | undefined>, app: string, path: string) {
    let hit = this.cache.get(key);
    if (hit === undefined) {
      const route = await load();
      hit = route ? await this.resolve(route) : NOT_FOUND;
      this.cache.set(key, hit);
    }
    if (hit === NOT_FOUND) throw routeNotFound(app, path);
    return hit;
  }

  private async resolve(route: Route): Promise<ResolvedRoute> {
    const app = await this.deps.appStore.get(route.projectId, route.appName);
    const code = await this.codeOf(route);
    return {
      route,
      runnable: {
        projectId: route.projectId, appName: route.appName, path: route.path, image: route.image,
        format: route.format, memory: route.memory, timeout: route.timeout, idleTimeout: route.idleTimeout,
        maxConcurrency: route.maxConcurrency, minHot: route.minHot ?? 0, config: { ...(app?.config ?? {}), ...route.config },
        version: `${route.id}:${route.updatedAt.getTime()}:${app?.updatedAt.getTime() ?? 0}`,
        ...code,
      },
    };
  }

  // A code route runs its runtime's image in the json format, with its package (docs/runtimes.md).
  private async codeOf(route: Route): Promise<Partial<RunnableRoute>> {
    if (!route.runtime || !route.codeDigest) return {};
    const runtime = await this.deps.runtimes?.get(route.runtime);
    if (!runtime) throw runtimeNotFound(route.runtime);
    return {
      image: runtime.image, format: 'json',
      code: { digest: route.codeDigest, file: route.codeFile ?? undefined, entry: route.entry ?? 'main.main', calling: route.calling ?? 'lambda' },
    };
  }
}
