// What every way of running a call shares, and how a route's containers are described.
import { randomBytes } from 'node:crypto';
import type { RouteScope, RunnableRoute, CallKind } from '../domain/executor';
import type { ContainerSpec } from './docker/container-spec';
import type { DockerDriver } from './docker/driver';
import type { Admission } from './admission';
import type { ImageManager } from './images';
import type { ResolvedOptions } from './options';
import type { Reaper } from './slot';

/** Dependencies of the cold runner, the pre-start pool and the hot pools. */
export interface RunDeps {
  driver: DockerDriver;
  images: ImageManager;
  reaper: Reaper;
  options: ResolvedOptions;
  admission: Admission;
}

/** Where the launcher is mounted inside containers. */
export const LAUNCHER_IN_CONTAINER = '/.fresco-launcher';

/** Identity of a route on this engine (across its updates); each published route version
 *  (routeVersion, docs/api.md "Versions and aliases") is one of its own, so that versions
 *  called in turn keep their containers instead of retiring each other's. */
export function routeId(route: RunnableRoute): string {
  const id = `${route.projectId}\0${route.appName}\0${route.path}`;
  return route.routeVersion ? `${id}\0@${route.routeVersion}` : id;
}

/** Whether the route of `id` (a routeId, of any of its versions) is in `scope`. */
export function inScope(id: string, scope: RouteScope): boolean {
  const app = `${scope.projectId}\0${scope.appName}\0`;
  if (scope.path === undefined) return id.startsWith(app);
  const route = `${app}${scope.path}`;
  if (scope.version) return id === `${route}\0@${scope.version}`;
  return id === route || id.startsWith(`${route}\0@`);
}

// Per route object: the route resolver hands every call of a route the same cached object, so the
// key is built once per route version, not serialised on every call.
const versionKeys = new WeakMap<RunnableRoute, string>();

/** Everything that, when changed, makes existing containers of the route stale. */
export function versionKey(route: RunnableRoute): string {
  let key = versionKeys.get(route);
  if (key === undefined) {
    key = JSON.stringify([route.version, route.routeVersion, route.image, route.format, route.memory, route.allowRoot, route.network, route.config,
      route.code && [route.code.digest, route.code.entry, route.code.calling, route.code.hostDir]]);
    versionKeys.set(route, key);
  }
  return key;
}

/** A container spec for `route`; `launch` puts the launcher in front of the image's argv. */
export function routeSpec(
  o: ResolvedOptions, route: RunnableRoute, kind: CallKind, env: string[], launch?: { argv: string[]; binds?: string[] },
): ContainerSpec {
  return {
    name: `fresco-${o.engineId}-${kind}-${randomBytes(6).toString('hex')}`,
    image: route.image,
    command: launch ? [LAUNCHER_IN_CONTAINER, ...launch.argv] : undefined,
    env,
    labels: {
      'io.fresco.kind': kind, 'io.fresco.project': route.projectId, 'io.fresco.app': route.appName, 'io.fresco.route': route.path,
    },
    memoryMb: route.memory,
    allowRoot: route.allowRoot,
    network: route.network,
    binds: launch ? [`${o.launcherPath}:${LAUNCHER_IN_CONTAINER}:ro`, ...(launch.binds ?? []), ...codeBind(route)] : undefined,
    stdin: kind !== 'hot',
  };
}

/** Where a code route's package is mounted (docs/runtimes.md). */
export const CODE_IN_CONTAINER = '/code';

// A code route's unpacked package, read-only.
function codeBind(route: RunnableRoute): string[] {
  return route.code?.hostDir ? [`${route.code.hostDir}:${CODE_IN_CONTAINER}:ro`] : [];
}
