import Router from '@koa/router';
import type { Authorizer } from '../../domain/identity';
import type { RouteAlias, RouteVersion } from '../../domain/versions';
import { DEFAULT_RETRY } from '../../domain/retry';
import { parseVersionNumber, type RouteVersionService } from '../../services/route-version-service';
import { guard, type FrescoState } from '../context';

// Route versions and aliases (docs/api.md, "Versions and aliases") under
// /v1/{project_id}/apps/{app}/routes/{route}/@versions and .../@aliases. A route path holds only
// letters, digits, "_", ".", "~", "-" and "/", so a last segment starting with "@" is never part of
// a route's path: these paths cannot clash with a route's. They are registered before the route
// handlers, whose `{route...}` would otherwise take them.

/** A version as the wire shows it. */
export function presentVersion(v: RouteVersion) {
  const f = v.frozen;
  const retry = f.retry ?? DEFAULT_RETRY;
  return {
    id: v.id, number: v.number, description: v.description, project_id: v.projectId, app_name: v.appName, path: v.path,
    image: f.image, type: f.type, format: f.format, memory: f.memory, timeout: f.timeout, idle_timeout: f.idleTimeout,
    max_concurrency: f.maxConcurrency, headers: f.headers, config: f.config,
    ...(f.runtime ? {
      runtime: f.runtime, entry: f.entry ?? '', calling: f.calling ?? 'lambda', code: { digest: f.codeDigest ?? '', file: f.codeFile ?? null },
    } : {}),
    retries: retry.retries, retry_delay: retry.delay, retry_backoff: retry.backoff, retry_max_delay: retry.maxDelay, retry_on: retry.on,
    created_at: v.createdAt.toISOString(),
  };
}

/** An alias as the wire shows it. */
export function presentAlias(a: RouteAlias) {
  return {
    id: a.id, name: a.name, version: a.version, description: a.description, project_id: a.projectId, app_name: a.appName,
    path: a.path, created_at: a.createdAt.toISOString(), updated_at: a.updatedAt.toISOString(),
  };
}

/** The version and alias endpoints of routes. */
export function versionRoutes(router: Router<FrescoState>, deps: { versions: RouteVersionService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);
  const versions = '/v1/:project_id/apps/:app/routes/*route/@versions';
  const aliases = '/v1/:project_id/apps/:app/routes/*route/@aliases';
  const at = (p: Record<string, string>) => [p.project_id, p.app, `/${p.route}`] as const;
  const v = deps.versions;

  router.get(versions, async (ctx) => {
    allow(ctx, 'fresco:route:version:list');
    ctx.body = { versions: (await v.list(...at(ctx.params))).map(presentVersion) };
  });
  router.post(versions, async (ctx) => {
    allow(ctx, 'fresco:route:version:create');
    const version = await v.publish(...at(ctx.params), ctx.request.body);
    ctx.status = 201;
    ctx.body = { version: presentVersion(version), message: `Version ${version.number} published` };
  });
  router.get(`${versions}/:number`, async (ctx) => {
    allow(ctx, 'fresco:route:version:get');
    ctx.body = { version: presentVersion(await v.get(...at(ctx.params), parseVersionNumber(ctx.params.number, 'number'))) };
  });
  router.delete(`${versions}/:number`, async (ctx) => {
    allow(ctx, 'fresco:route:version:delete');
    await v.delete(...at(ctx.params), parseVersionNumber(ctx.params.number, 'number'));
    ctx.body = { message: 'Version successfully deleted' };
  });

  router.get(aliases, async (ctx) => {
    allow(ctx, 'fresco:route:alias:list');
    ctx.body = { aliases: (await v.listAliases(...at(ctx.params))).map(presentAlias) };
  });
  router.post(aliases, async (ctx) => {
    allow(ctx, 'fresco:route:alias:create');
    const alias = await v.createAlias(...at(ctx.params), ctx.request.body);
    ctx.status = 201;
    ctx.body = { alias: presentAlias(alias), message: 'Alias successfully created' };
  });
  router.get(`${aliases}/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:get');
    ctx.body = { alias: presentAlias(await v.getAlias(...at(ctx.params), ctx.params.name)) };
  });
  router.patch(`${aliases}/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:update');
    const alias = await v.updateAlias(...at(ctx.params), ctx.params.name, ctx.request.body);
    ctx.body = { alias: presentAlias(alias), message: 'Alias successfully updated' };
  });
  router.delete(`${aliases}/:name`, async (ctx) => {
    allow(ctx, 'fresco:route:alias:delete');
    await v.deleteAlias(...at(ctx.params), ctx.params.name);
    ctx.body = { message: 'Alias successfully deleted' };
  });
}
