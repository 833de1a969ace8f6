import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { RouteService } from '../../services/route-service';
import type { Authorizer } from '../../domain/identity';
import { guard, type FrescoState } from '../context';
import { readRouteForm, type RouteForm } from '../multipart';
import { presentRoute } from './present';

/** Picasso v1 routes: /v1/{project_id}/apps/{app}/routes[/{route...}]. */
export function routeRoutes(router: Router<FrescoState>,
  deps: { routes: RouteService; authorizer: Authorizer; maxPackageSize?: number }): void {
  const allow = guard(deps.authorizer);
  const base = '/v1/:project_id/apps/:app/routes';
  const one = `${base}/*route`;
  const path = (params: Record<string, string>) => `/${params.route}`;
  // A JSON body, or a form with the code as a file part (docs/runtimes.md).
  const form = async (ctx: ParameterizedContext<FrescoState>): Promise<RouteForm> => (ctx.is('multipart')
    ? readRouteForm(ctx.req, deps.maxPackageSize ?? 50 * 1024 * 1024) : { body: ctx.request.body });

  router.get(base, async (ctx) => {
    allow(ctx, 'fresco:route:list');
    const routes = await deps.routes.list(ctx.params.project_id, ctx.params.app);
    ctx.body = { routes: routes.map(presentRoute), message: 'Successfully loaded routes' };
  });
  router.post(base, async (ctx) => {
    allow(ctx, 'fresco:route:create');
    const { body, upload } = await form(ctx);
    const route = await deps.routes.create(ctx.params.project_id, ctx.params.app, body, upload);
    ctx.body = { route: presentRoute(route), message: 'Route successfully created' };
  });
  router.get(one, async (ctx) => {
    allow(ctx, 'fresco:route:get');
    if (ctx.query.download === 'true') {
      const pkg = await deps.routes.download(ctx.params.project_id, ctx.params.app, path(ctx.params));
      // The raw bytes, never compressed on the way (python-qinlingclient copies the socket stream).
      ctx.compress = false;
      ctx.type = pkg.name.endsWith('.zip') ? 'application/zip' : 'application/octet-stream';
      ctx.attachment(pkg.name);
      ctx.body = pkg.content;
      return;
    }
    const route = await deps.routes.get(ctx.params.project_id, ctx.params.app, path(ctx.params));
    ctx.body = { route: presentRoute(route), message: 'Route successfully loaded' };
  });
  router.put(one, async (ctx) => {
    allow(ctx, 'fresco:route:update');
    const { body, upload } = await form(ctx);
    const route = await deps.routes.update(ctx.params.project_id, ctx.params.app, path(ctx.params), body, upload);
    ctx.body = { route: presentRoute(route), message: 'Route successfully updated' };
  });
  router.delete(one, async (ctx) => {
    allow(ctx, 'fresco:route:delete');
    await deps.routes.delete(ctx.params.project_id, ctx.params.app, path(ctx.params));
    ctx.body = { message: 'Route successfully deleted' };
  });
}
