// Route versions and aliases (docs/api.md, "Versions and aliases"): domain types and their store port.
import type { Route } from './models';

/** What a version freezes of its route: everything that decides how a call runs. */
export type FrozenRoute = Pick<Route, 'image' | 'type' | 'format' | 'memory' | 'timeout' | 'idleTimeout' | 'maxConcurrency'
  | 'headers' | 'config' | 'runtime' | 'entry' | 'calling' | 'codeDigest' | 'codeFile' | 'retry'>;

/** An immutable, numbered copy of a route. `frozen.config` is the app's config with the route's over it. */
export interface RouteVersion {
  id: string;
  routeId: string;
  projectId: string;
  appName: string;
  path: string;
  /** 1, 2, 3...; never reused within a route. */
  number: number;
  description: string;
  frozen: FrozenRoute;
  createdAt: Date;
}

/** A name for a version of a route; version 0 is the route as it is now. */
export interface RouteAlias {
  id: string;
  routeId: string;
  projectId: string;
  appName: string;
  path: string;
  name: string;
  version: number;
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Which version a call asks for: a number (0: the route itself) or an alias. */
export type VersionSelector = { version: number } | { alias: string };

/** What a trigger's firings run: its alias, else its version; undefined: the route as it is now. */
export function selectorOf(t: { version?: number; alias?: string }): VersionSelector | undefined {
  if (t.alias !== undefined) return { alias: t.alias };
  return t.version ? { version: t.version } : undefined;
}

/** Keeps versions and aliases; both go with their route. */
export interface RouteVersionStore {
  /** Freezes `route` as its next version (numbered after routes.last_version); undefined when the route is gone. */
  publish(route: Route, frozen: FrozenRoute, description: string): Promise<RouteVersion | undefined>;
  list(routeId: string): Promise<RouteVersion[]>;
  get(routeId: string, number: number): Promise<RouteVersion | undefined>;
  /** False when there was no such version; throws ConflictError FRESCO_ROUTE_VERSION_IN_USE (naming them) while an
   *  alias points at it or a trigger runs it. */
  delete(routeId: string, number: number): Promise<boolean>;
  listAliases(routeId: string): Promise<RouteAlias[]>;
  /** The aliases of every route of an app (the Qinling API's project-wide aliases). */
  listAppAliases(projectId: string, appName: string): Promise<RouteAlias[]>;
  getAlias(routeId: string, name: string): Promise<RouteAlias | undefined>;
  /** Throws ConflictError FRESCO_ROUTE_ALIAS_EXISTS. */
  createAlias(route: Route, name: string, version: number, description: string): Promise<RouteAlias>;
  updateAlias(routeId: string, name: string, patch: { version?: number; description?: string }): Promise<RouteAlias | undefined>;
  /** False when there was no such alias; throws ConflictError FRESCO_ROUTE_ALIAS_IN_USE (naming them) while a trigger runs through it. */
  deleteAlias(routeId: string, name: string): Promise<boolean>;
}
