import { LRUCache } from 'lru-cache';
import { requestInvalid, routeAliasNotFound, routeNotFound, routePrivate, routeVersionNotFound, runtimeNotFound } from '../errors';
import type { RunnableRoute } from '../domain/executor';
import type { AppStore, Route, RouteStore } from '../domain/models';
import type { RuntimeStore } from '../runtimes/model';
import type { RouteVersionStore, VersionSelector } from '../domain/versions';
import { parseVersionNumber } from './route-version-service';

/** A route ready to run: the stored route and its executor view (app config merged in). */
export interface ResolvedRoute {
  route: Route;
  runnable: RunnableRoute;
  /** The published version this runs (docs/api.md, "Versions and aliases"); absent: the route as it is now. */
  version?: number;
  /** The alias it was picked through, when it was (an Idempotency-Key's request names it). */
  alias?: string;
}

/** The run headers that pick a version or an alias of the route. */
export const VERSION_HEADER = 'fresco-version';
export const ALIAS_HEADER = 'fresco-alias';

const NOT_FOUND = Symbol('not found');

// Runs look routes up on every call; a short-lived cache keeps the database off the hot path.
// Changes made through this process are seen at once (invalidate); others within `ttlMs`.

/** Finds routes to run, private (by project) or public (by global URL). */
export class RouteResolver {
  // Alias names map to version numbers here too (key prefix `a`).
  private readonly cache: LRUCache<string, ResolvedRoute | number | typeof NOT_FOUND>;
  /** Bumped by invalidate(): a lookup that began before it does not cache what it read. */
  private generation = 0;

  constructor(private readonly deps: {
    routeStore: RouteStore; appStore: AppStore; ttlMs?: number;
    /** Code routes run their runtime's image (docs/runtimes.md). */
    runtimes?: Pick<RuntimeStore, 'get'>;
    /** Route versions and aliases; without it the version headers are refused. */
    versions?: Pick<RouteVersionStore, 'get' | 'getAlias'>;
  }) {
    this.cache = new LRUCache({ max: 10_000, ttl: deps.ttlMs ?? 1000 });
  }

  /** The project's route; throws NotFoundError FRESCO_ROUTE_NOT_FOUND. */
  private(projectId: string, app: string, path: string): Promise<ResolvedRoute> {
    return this.cached(`p\0${projectId}\0${app}\0${path}`, () => this.deps.routeStore.get(projectId, app, path), app, path);
  }

  /** The project's route as `selector` names it (undefined: the route itself), looked up now: an alias
   *  that moved is followed. Throws as private() and version() do. */
  async privateAt(projectId: string, app: string, path: string, selector?: VersionSelector): Promise<ResolvedRoute> {
    const target = await this.private(projectId, app, path);
    return selector ? this.version(target, selector) : target;
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

  /** The route private() or public() would resolve, when cached now; else undefined (ask them). Lets the
   *  hot path skip a promise per call; a miss, a route not found and a private route are theirs to answer. */
  peek(projectId: string | undefined, app: string, path: string): ResolvedRoute | undefined {
    const hit = this.cache.get(projectId === undefined ? `g\0${app}\0${path}` : `p\0${projectId}\0${app}\0${path}`);
    return typeof hit === 'object' ? hit : undefined;
  }

  /** `target` as the run's headers ask: the version of `Fresco-Version: <n>` or of `Fresco-Alias: <name>`,
   *  else `target` itself. Throws FRESCO_REQUEST_INVALID, FRESCO_ROUTE_VERSION_NOT_FOUND or FRESCO_ROUTE_ALIAS_NOT_FOUND. */
  pick(target: ResolvedRoute, headers: Record<string, string | string[] | undefined>): Promise<ResolvedRoute> | ResolvedRoute {
    const number = one(headers[VERSION_HEADER], 'Fresco-Version');
    const alias = one(headers[ALIAS_HEADER], 'Fresco-Alias');
    if (number === undefined && alias === undefined) return target;
    if (number !== undefined && alias !== undefined) throw requestInvalid('Fresco-Version, Fresco-Alias: give one of them, not both');
    return this.version(target, alias !== undefined ? { alias } : { version: parseVersionNumber(number!, 'Fresco-Version') });
  }

  /** The version of `target`'s route that `selector` names (version 0: `target` itself). */
  async version(target: ResolvedRoute, selector: VersionSelector): Promise<ResolvedRoute> {
    const route = target.route;
    if ('alias' in selector) {
      const key = `a\0${route.id}\0${selector.alias}`;
      let hit = this.cache.get(key);
      if (hit === undefined) {
        const generation = this.generation;
        const alias = await this.deps.versions?.getAlias(route.id, selector.alias);
        hit = alias ? alias.version : NOT_FOUND;
        if (generation === this.generation) this.cache.set(key, hit);
      }
      if (hit === NOT_FOUND) throw routeAliasNotFound(route.path, selector.alias);
      const picked = await this.version(target, { version: hit as number });
      return { ...picked, alias: selector.alias };
    }
    const number = selector.version;
    if (number === 0) return target;
    return this.cached(`v\0${route.id}\0${number}`, async () => {
      const v = await this.deps.versions?.get(route.id, number);
      return v && { ...route, ...v.frozen, id: route.id, updatedAt: v.createdAt };
    }, route.appName, route.path, number);
  }

  /** Forgets everything cached (after a change to apps or routes in this process). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  private async cached(key: string, load: () => Promise<Route | undefined>, app: string, path: string, version?: number) {
    let hit = this.cache.get(key);
    if (hit === undefined) {
      // A change made while this lookup ran may not be in what it read: then it answers, but keeps nothing.
      const generation = this.generation;
      const route = await load();
      hit = route ? (version ? await this.resolveVersion(route, version) : await this.resolve(route)) : NOT_FOUND;
      if (generation === this.generation) this.cache.set(key, hit);
    }
    if (hit === NOT_FOUND) throw version ? routeVersionNotFound(path, version) : routeNotFound(app, path);
    return hit as ResolvedRoute;
  }

  // A version's config is frozen with its app's merged in; its containers are its own (routeVersion).
  private async resolveVersion(route: Route, version: number): Promise<ResolvedRoute> {
    const code = await this.codeOf(route);
    return {
      route, version,
      runnable: {
        projectId: route.projectId, appName: route.appName, path: route.path, image: route.image,
        format: route.format, memory: route.memory, timeout: route.timeout, idleTimeout: route.idleTimeout,
        maxConcurrency: route.maxConcurrency, config: route.config, version: `${route.id}@${version}`, routeVersion: version,
        ...code,
      },
    };
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

// A header given once (a repeated one must agree with itself).
function one(value: string | string[] | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const values = [...new Set((Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()))];
  if (values.length !== 1) throw requestInvalid(`${name}: give one value`);
  return values[0];
}
