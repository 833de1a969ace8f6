import type { Middleware } from 'koa';
import type Koa from 'koa';
import type { RouterContext } from '@koa/router';
import { createApi } from '../../../src/api/app';
import { guard, type FrescoState } from '../../../src/api/context';
import { createMetrics } from '../../../src/api/metrics';
import type { Authorizer } from '../../../src/domain/identity';
import type { AppService } from '../../../src/services/app-service';
import type { RouteService } from '../../../src/services/route-service';

// The real API (createApi: request id, metrics, error middleware, the auth middleware on /v1)
// with echo resources in place of Fresco's, for the auth tests: handlers call guard(authorizer)
// as Fresco's do and answer with what they saw. Apps and routes are not served.

/** GET/POST/DELETE /v1/:project_id/things (app list/create/delete), POST /v1/r/:project_id/:app (run). */
export function thingsApp(auth: Middleware, authorizer: Authorizer): Koa<FrescoState> {
  const check = guard(authorizer);
  const echo = (action: string) => (ctx: RouterContext<FrescoState>) => {
    check(ctx, action);
    ctx.body = { identity: ctx.state.identity, headers: ctx.headers };
  };
  return createApi({
    apps: {} as AppService, routes: {} as RouteService, authenticate: auth, authorizer, maxBodySize: 1024 * 1024,
    publicUrl: 'http://127.0.0.1:8080', version: 'test', metrics: createMetrics(), checkHealth: async () => undefined,
    extraRoutes: [(router) => {
      router.get('/v1/:project_id/things', echo('fresco:app:list'));
      router.post('/v1/:project_id/things', echo('fresco:app:create'));
      router.delete('/v1/:project_id/things', echo('fresco:app:delete'));
      router.post('/v1/r/:project_id/:app', echo('fresco:route:run'));
    }],
  });
}
