// Qinling's function versions and aliases (docs/qinling.md) on Fresco's route versions and aliases
// (docs/api.md, "Versions and aliases"): a function version is a version of the function's route,
// an alias is an alias of it. Qinling's aliases are named per project, so a name is unique among
// the aliases of the project's `qinling` app. Version 0 is the function as it is now.
import type Router from '@koa/router';
import type { Context } from 'koa';
import {
  appNotFound, NotFoundError, requestInvalid, routeAliasExists, routeAliasNotFound, routeNotFound, routeVersionNotFound, type FrescoError,
} from '../../errors';
import type { Authorizer } from '../../domain/identity';
import type { RouteAlias, RouteVersion } from '../../domain/versions';
import type { RouteVersionService } from '../../services/route-version-service';
import type { FrescoState } from '../context';
import { functionIdOf, QINLING_APP, qTime } from './present';

/** What the Qinling versions need. */
export interface QinlingVersionDeps {
  versions: RouteVersionService;
  authorizer: Authorizer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Qinling's V: every column the client lists (a missing one crashes `function version show`). */
export function presentFunctionVersion(v: RouteVersion) {
  return {
    id: v.id, function_id: functionIdOf(v.path), description: v.description, version_number: v.number, count: 0,
    project_id: v.projectId, created_at: qTime(v.createdAt), updated_at: qTime(v.createdAt),
  };
}

/** Qinling's A. */
export function presentFunctionAlias(a: RouteAlias) {
  return {
    id: a.id, name: a.name, function_id: functionIdOf(a.path), description: a.description, function_version: a.version,
    project_id: a.projectId, created_at: qTime(a.createdAt), updated_at: qTime(a.updatedAt),
  };
}

/** function_version as the client sends it: a number, a string of one, or null/absent (undefined). */
export function qinlingVersion(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v)) return Number(v);
  throw requestInvalid(`function_version: must be a version number (0: the latest code), got ${JSON.stringify(v)}`);
}

/** An execution's function and version: from `function_alias`, else `function_id` and `function_version`
 *  (0 or absent: the function as it is now). Throws FRESCO_REQUEST_INVALID, FRESCO_ROUTE_ALIAS_NOT_FOUND. */
export async function executionTarget(versions: Pick<RouteVersionService, 'listAppAliases'>, projectId: string, body: Record<string, unknown>)
  : Promise<{ functionId: string; version: number; alias: string | null }> {
  if (typeof body.function_alias === 'string' && body.function_alias) {
    const alias = (await versions.listAppAliases(projectId, QINLING_APP)).find((a) => a.name === body.function_alias);
    if (!alias) throw notFoundAlias(body.function_alias);
    return { functionId: functionIdOf(alias.path), version: alias.version, alias: alias.name };
  }
  if (typeof body.function_id !== 'string') throw requestInvalid('function_id: required (or function_alias)');
  return { functionId: body.function_id, version: qinlingVersion(body.function_version) ?? 0, alias: null };
}

/** Mounts /v1/functions/{id}/versions... and /v1/aliases... under `v1`. */
export function qinlingVersionRoutes(router: Router<FrescoState>, v1: string, deps: QinlingVersionDeps): void {
  const project = (ctx: Context) => (ctx.state as FrescoState).identity?.projectId ?? '';
  const allow = (ctx: Context, action: string) => deps.authorizer.authorize((ctx.state as FrescoState).identity, action, project(ctx));
  const v = deps.versions;
  const fn = (id: string) => {
    if (!UUID.test(id)) throw notFoundFunction(id);
    return `/${id}`;
  };
  // Fresco's "route not found" in Qinling's words.
  const asFunction = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (routeNotFound.is(err) || appNotFound.is(err)) throw notFoundFunction(id);
      if (routeVersionNotFound.is(err)) throw new NotFoundError(routeVersionNotFound.spec, `Version ${(err as Error).message.split(' ').pop()} of function ${id} not found`);
      throw err;
    }
  };
  const number = (raw: string) => {
    if (!/^\d{1,9}$/.test(raw)) throw requestInvalid(`version: must be a version number, got "${raw}"`);
    return Number(raw);
  };
  const findAlias = async (ctx: Context, name: string): Promise<RouteAlias> => {
    const alias = (await v.listAppAliases(project(ctx), QINLING_APP)).find((a) => a.name === name);
    if (!alias) throw notFoundAlias(name);
    return alias;
  };
  const description = (d: unknown) => (typeof d === 'string' ? d : undefined);

  // --- function versions ---
  router.post(`${v1}/functions/:id/versions`, async (ctx) => {
    allow(ctx, 'fresco:route:version:create');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const d = description(b.description);
    const version = await asFunction(ctx.params.id, () => v.publish(project(ctx), QINLING_APP, fn(ctx.params.id), d ? { description: d } : {}));
    ctx.status = 201;
    ctx.body = presentFunctionVersion(version);
  });
  router.get(`${v1}/functions/:id/versions`, async (ctx) => {
    allow(ctx, 'fresco:route:version:list');
    const list = await asFunction(ctx.params.id, () => v.list(project(ctx), QINLING_APP, fn(ctx.params.id)));
    ctx.body = { function_versions: list.map(presentFunctionVersion) };
  });
  router.get(`${v1}/functions/:id/versions/:n`, async (ctx) => {
    allow(ctx, 'fresco:route:version:get');
    const version = await asFunction(ctx.params.id, () => v.get(project(ctx), QINLING_APP, fn(ctx.params.id), number(ctx.params.n)));
    ctx.body = presentFunctionVersion(version);
  });
  router.delete(`${v1}/functions/:id/versions/:n`, async (ctx) => {
    allow(ctx, 'fresco:route:version:delete');
    await asFunction(ctx.params.id, () => v.delete(project(ctx), QINLING_APP, fn(ctx.params.id), number(ctx.params.n)));
    ctx.status = 204;
  });
  // Detach: a version's containers are its own and idle out by themselves; nothing else to let go.
  router.post(`${v1}/functions/:id/versions/:n/detach`, async (ctx) => {
    allow(ctx, 'fresco:route:version:get');
    await asFunction(ctx.params.id, () => v.get(project(ctx), QINLING_APP, fn(ctx.params.id), number(ctx.params.n)));
    ctx.status = 202;
  });

  // --- aliases: named per project ---
  router.post(`${v1}/aliases`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:create');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof b.name !== 'string' || !b.name) throw requestInvalid('name: required');
    if (typeof b.function_id !== 'string') throw requestInvalid('function_id: required');
    if ((await v.listAppAliases(project(ctx), QINLING_APP)).some((a) => a.name === b.name)) throw routeAliasExists(b.name);
    const alias = await asFunction(b.function_id, () => v.createAlias(project(ctx), QINLING_APP, fn(b.function_id as string), {
      name: b.name, version: qinlingVersion(b.function_version) ?? 0, description: description(b.description) ?? '',
    }));
    ctx.status = 201;
    ctx.body = presentFunctionAlias(alias);
  });
  router.get(`${v1}/aliases`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:list');
    ctx.body = { function_aliases: (await v.listAppAliases(project(ctx), QINLING_APP)).map(presentFunctionAlias) };
  });
  router.get(`${v1}/aliases/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:get');
    ctx.body = presentFunctionAlias(await findAlias(ctx, ctx.params.name));
  });
  // Unset fields come as null ("unchanged"); a new function_id moves the alias to that function.
  router.put(`${v1}/aliases/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:update');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const current = await findAlias(ctx, ctx.params.name);
    const version = qinlingVersion(b.function_version);
    const d = description(b.description);
    const target = typeof b.function_id === 'string' && b.function_id ? b.function_id : functionIdOf(current.path);
    let alias: RouteAlias;
    if (target !== functionIdOf(current.path)) {
      alias = await asFunction(target, () => v.createAlias(project(ctx), QINLING_APP, fn(target), {
        name: current.name, version: version ?? 0, description: d ?? current.description,
      }));
      // A job or webhook running through the alias keeps it on its function (409): the move is undone.
      await v.deleteAlias(project(ctx), QINLING_APP, current.path, current.name).catch(async (err) => {
        await v.deleteAlias(project(ctx), QINLING_APP, alias.path, alias.name);
        throw err;
      });
    } else {
      const patch: Record<string, unknown> = {};
      if (version !== undefined) patch.version = version;
      if (d !== undefined) patch.description = d;
      alias = await asFunction(target, () => v.updateAlias(project(ctx), QINLING_APP, current.path, current.name, patch));
    }
    ctx.body = presentFunctionAlias(alias);
  });
  router.delete(`${v1}/aliases/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:delete');
    const alias = await findAlias(ctx, ctx.params.name);
    await v.deleteAlias(project(ctx), QINLING_APP, alias.path, alias.name);
    ctx.status = 204;
  });
}

function notFoundFunction(id: string): FrescoError {
  return new NotFoundError(routeNotFound.spec, `Function ${id} not found`);
}

function notFoundAlias(name: string): FrescoError {
  return new NotFoundError(routeAliasNotFound.spec, `Alias ${name} not found`);
}
