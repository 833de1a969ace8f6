import Router from '@koa/router';
import type { RouteService } from '../../services/route-service';
import type { Authorizer } from '../../domain/identity';
import { guard, type FrescoState } from '../context';
import { presentRoute } from './present';

/** Picasso v1 routes: /v1/{project_id}/apps/{app}/routes[/{route...}]. */
export function routeRoutes(router: Router<FrescoState>,
  deps: { routes: RouteService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);
  const base = '/v1/:project_id/apps/:app/routes';
  const one = `${base}/*route`;
  const path = (params: Record<string, string>) => `/${params.route}`;

  router.get(base, async (ctx) => {
    allow(ctx, 'fresco:route:list');
    const routes = await deps.routes.list(ctx.params.project_id, ctx.params.app);
    ctx.body = { routes: routes.map(presentRoute), message: 'Successfully loaded routes' };
  });
  router.post(base, async (ctx) => {
    allow(ctx, 'fresco:route:create');
    const route = await deps.routes.create(ctx.params.project_id, ctx.params.app, ctx.request.body);
    ctx.body = { route: presentRoute(route), message: 'Route successfully created' };
  });
  router.get(one, async (ctx) => {
    allow(ctx, 'fresco:route:get');
    const route = await deps.routes.get(ctx.params.project_id, ctx.params.app, path(ctx.params));
    ctx.body = { route: presentRoute(route), message: 'Route successfully loaded' };
  });
  router.put(one, async (ctx) => {
    allow(ctx, 'fresco:route:update');
    const route = await deps.routes.update(ctx.params.project_id, ctx.params.app, path(ctx.params), ctx.request.body);
    ctx.body = { route: presentRoute(route), message: 'Route successfully updated' };
  });
  router.delete(one, async (ctx) => {
    allow(ctx, 'fresco:route:delete');
    await deps.routes.delete(ctx.params.project_id, ctx.params.app, path(ctx.params));
    ctx.body = { message: 'Route successfully deleted' };
  });
}
