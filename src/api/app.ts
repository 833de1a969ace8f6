import Koa, { Middleware } from 'koa';
import Router from '@koa/router';
import type { Authorizer } from '../domain/identity';
import type { AppService } from '../services/app-service';
import type { RouteService } from '../services/route-service';
import type { FrescoState } from './context';
import { appRoutes } from './handlers/apps';
import { routeRoutes } from './handlers/routes';
import { metaRoutes, MetaDeps } from './handlers/meta';
import { openApiRoute } from './openapi';
import { errorHandler } from './middleware/errors';
import { jsonBody } from './middleware/json-body';
import { requestId } from './middleware/request-id';

/** What the HTTP API needs; main.ts builds it. */
export interface ApiDeps extends MetaDeps {
  apps: AppService;
  routes: RouteService;
  /** Sets ctx.state.identity (keystone or noauth); mounted on /v1 only. */
  authenticate: Middleware;
  authorizer: Authorizer;
  maxBodySize: number;
  /** Extra resources (runs, calls, triggers) registered by later layers. */
  extraRoutes?: Array<(router: Router<FrescoState>) => void>;
}

/** Builds the Koa application; call `.callback()` for a server or supertest. `router` is exposed
 *  so that a test can compare what is served with the OpenAPI document. */
export function createApi(deps: ApiDeps): Koa<FrescoState> & { router: Router<FrescoState> } {
  const app = new Koa<FrescoState>({ proxy: false });
  app.silent = true;
  const router = new Router<FrescoState>();
  metaRoutes(router, deps);
  openApiRoute(router, deps);
  router.use('/v1', deps.authenticate);
  router.use('/v1', jsonBody(deps.maxBodySize));
  appRoutes(router, deps);
  routeRoutes(router, deps);
  for (const register of deps.extraRoutes ?? []) register(router);
  app.use(requestId());
  app.use(deps.metrics.middleware);
  app.use(errorHandler());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return Object.assign(app, { router });
}
