import { z } from 'zod';
import { appNotFound, requestInvalid, routeAliasNotFound, routeNotFound, routeVersionNotFound } from '../errors';
import type { RouteScope } from '../domain/executor';
import type { AppStore, Route, RouteStore } from '../domain/models';
import type { FrozenRoute, RouteAlias, RouteVersion, RouteVersionStore } from '../domain/versions';
import { nameSchema, parseInput, unwrap } from './validation';

// Versions and aliases of routes (docs/api.md, "Versions and aliases"). A version freezes what its
// route runs when published; an alias names a version (0: the route as it is now) and can move.

const description = z.string({ error: 'must be a string' }).max(4096);
const versionNumber = z.union([z.int({ error: 'must be a whole number' }), z.string().regex(/^\d+$/).transform(Number)],
  { error: 'must be a version number (0: the route as it is now)' }).pipe(z.number().min(0, 'must be at least 0'));

const publishSchema = z.strictObject({ description: description.optional() });
const aliasSchema = z.strictObject({ name: nameSchema, version: versionNumber, description: description.optional() });
const aliasPatchSchema = z.strictObject({ version: versionNumber.optional(), description: description.optional() });

/** The request bodies (also the OpenAPI document's). */
export const versionSchemas = { publish: publishSchema, alias: aliasSchema, aliasPatch: aliasPatchSchema };

/** A version number from a path or header: a whole number ≥ 0; FRESCO_REQUEST_INVALID naming `field` otherwise. */
export function parseVersionNumber(value: string, field: string): number {
  if (!/^\d{1,9}$/.test(value)) throw requestInvalid(`${field}: must be a version number, got "${value}"`);
  return Number(value);
}

/** Use cases on route versions and aliases; the route is found in its project first (isolation). */
export class RouteVersionService {
  /** `onChange` hears of every alias written (aliases steer runs, so resolvers forget them). */
  constructor(private readonly deps: {
    versionStore: RouteVersionStore; routeStore: Pick<RouteStore, 'get'>; appStore: Pick<AppStore, 'get'>;
    onChange?: () => void;
    /** Frees packages no route nor version uses any more (a deleted version's). */
    release?: (digest: string) => Promise<void>;
    /** Removes the containers kept for a deleted version (the executor's retireRoutes). */
    retire?: (scope: RouteScope) => void;
  }) {}

  /** Freezes the route as its next version; body `{"version": {"description"}}`, the flat field, or none. */
  async publish(projectId: string, appName: string, path: string, body: unknown): Promise<RouteVersion> {
    const route = await this.route(projectId, appName, path);
    const { value, root } = unwrap(body ?? {}, 'version');
    const input = parseInput(publishSchema, value ?? {}, root);
    const app = await this.deps.appStore.get(projectId, appName);
    const version = await this.deps.versionStore.publish(route, freeze(route, app?.config ?? {}), input.description ?? '');
    if (!version) throw routeNotFound(appName, path);
    return version;
  }

  /** The route's versions, oldest first. */
  async list(projectId: string, appName: string, path: string): Promise<RouteVersion[]> {
    return this.deps.versionStore.list((await this.route(projectId, appName, path)).id);
  }

  /** Throws FRESCO_ROUTE_VERSION_NOT_FOUND. */
  async get(projectId: string, appName: string, path: string, number: number): Promise<RouteVersion> {
    const route = await this.route(projectId, appName, path);
    return this.version(route, number);
  }

  /** Throws FRESCO_ROUTE_VERSION_NOT_FOUND, or FRESCO_ROUTE_VERSION_IN_USE while an alias points at it or a
   *  trigger runs it. Its hot and pre-started containers go at once (busy ones after their call). */
  async delete(projectId: string, appName: string, path: string, number: number): Promise<void> {
    const route = await this.route(projectId, appName, path);
    const version = await this.version(route, number);
    if (!(await this.deps.versionStore.delete(route.id, number))) throw routeVersionNotFound(path, number);
    this.deps.onChange?.();
    this.deps.retire?.({ projectId, appName, path, version: number });
    if (version.frozen.codeDigest) await this.deps.release?.(version.frozen.codeDigest);
  }

  async listAliases(projectId: string, appName: string, path: string): Promise<RouteAlias[]> {
    return this.deps.versionStore.listAliases((await this.route(projectId, appName, path)).id);
  }

  /** Throws FRESCO_ROUTE_ALIAS_NOT_FOUND. */
  async getAlias(projectId: string, appName: string, path: string, name: string): Promise<RouteAlias> {
    const route = await this.route(projectId, appName, path);
    const alias = await this.deps.versionStore.getAlias(route.id, name);
    if (!alias) throw routeAliasNotFound(path, name);
    return alias;
  }

  /** Body `{"alias": {"name", "version", "description"?}}` (or flat); the version must exist; FRESCO_ROUTE_ALIAS_EXISTS. */
  async createAlias(projectId: string, appName: string, path: string, body: unknown): Promise<RouteAlias> {
    const route = await this.route(projectId, appName, path);
    const { value, root } = unwrap(body, 'alias');
    const input = parseInput(aliasSchema, value, root);
    await this.requireVersion(route, input.version);
    const alias = await this.deps.versionStore.createAlias(route, input.name, input.version, input.description ?? '');
    this.deps.onChange?.();
    return alias;
  }

  /** Body `{"alias": {"version"?, "description"?}}` (or flat): moves or describes the alias. */
  async updateAlias(projectId: string, appName: string, path: string, name: string, body: unknown): Promise<RouteAlias> {
    const route = await this.route(projectId, appName, path);
    const { value, root } = unwrap(body, 'alias');
    const input = parseInput(aliasPatchSchema, value, root);
    if (input.version !== undefined) await this.requireVersion(route, input.version);
    const alias = await this.deps.versionStore.updateAlias(route.id, name, input);
    if (!alias) throw routeAliasNotFound(path, name);
    this.deps.onChange?.();
    return alias;
  }

  /** Throws FRESCO_ROUTE_ALIAS_NOT_FOUND, or FRESCO_ROUTE_ALIAS_IN_USE while a trigger runs through it. */
  async deleteAlias(projectId: string, appName: string, path: string, name: string): Promise<void> {
    const route = await this.route(projectId, appName, path);
    if (!(await this.deps.versionStore.deleteAlias(route.id, name))) throw routeAliasNotFound(path, name);
    this.deps.onChange?.();
  }

  /** The aliases of every route of an app (the Qinling API's aliases are its project's, not a function's). */
  listAppAliases(projectId: string, appName: string): Promise<RouteAlias[]> {
    return this.deps.versionStore.listAppAliases(projectId, appName);
  }

  private async route(projectId: string, appName: string, path: string): Promise<Route> {
    const route = await this.deps.routeStore.get(projectId, appName, path);
    if (route) return route;
    if (!(await this.deps.appStore.get(projectId, appName))) throw appNotFound(appName);
    throw routeNotFound(appName, path);
  }

  private async version(route: Route, number: number): Promise<RouteVersion> {
    const version = await this.deps.versionStore.get(route.id, number);
    if (!version) throw routeVersionNotFound(route.path, number);
    return version;
  }

  // Version 0 is the route itself, always there.
  private async requireVersion(route: Route, number: number): Promise<void> {
    if (number !== 0) await this.version(route, number);
  }
}

/** What a version keeps of `route`: the app's config with the route's over it, as calls see it. */
export function freeze(route: Route, appConfig: Record<string, string>): FrozenRoute {
  return {
    image: route.image, type: route.type, format: route.format, memory: route.memory, timeout: route.timeout,
    idleTimeout: route.idleTimeout, maxConcurrency: route.maxConcurrency, headers: route.headers,
    config: { ...appConfig, ...route.config }, runtime: route.runtime ?? null, entry: route.entry ?? null,
    calling: route.calling ?? null, codeDigest: route.codeDigest ?? null, codeFile: route.codeFile ?? null, retry: route.retry,
  };
}
