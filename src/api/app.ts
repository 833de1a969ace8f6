import Koa, { Middleware } from 'koa';
import Router from '@koa/router';
import type { Authorizer } from '../domain/identity';
import type { AppService } from '../services/app-service';
import type { RouteService } from '../services/route-service';
import { checkPathParam } from '../services/validation';
import type { FrescoState } from './context';
import { appRoutes } from './handlers/apps';
import { routeRoutes } from './handlers/routes';
import { versionRoutes } from './handlers/versions';
import type { RouteVersionService } from '../services/route-version-service';
import { metaRoutes, MetaDeps } from './handlers/meta';
import { consoleRoutes, type ConsoleDeps } from './handlers/console';
import { openApiRoute } from './openapi';
import { withFastPath } from './fast-path';
import { runRoutes, type InvokeDeps } from './handlers/runs';
import { errorHandler } from './middleware/errors';
import { jsonBody } from './middleware/json-body';
import { requestId } from './middleware/request-id';

/** What the HTTP API needs; main.ts builds it. */
export interface ApiDeps extends MetaDeps {
  apps: AppService;
  routes: RouteService;
  /** Route versions and aliases (docs/api.md, "Versions and aliases"); absent: not served. */
  versions?: RouteVersionService;
  /** Sets ctx.state.identity (keystone or noauth); mounted on /v1 only. */
  authenticate: Middleware;
  authorizer: Authorizer;
  maxBodySize: number;
  /** Largest code package a route form may carry ([runtimes] package_max_size). */
  maxPackageSize?: number;
  /** The runs (/v1/r, /r): registered before the extra routes and served ahead of Koa (fast-path.ts). */
  invoke?: InvokeDeps;
  /** Serve runs on the fast path (default true); false leaves them to the Koa handlers. */
  fastPath?: boolean;
  /** The Keystone client (auth_strategy = keystone): the console forwards its users' logins with it. */
  keystone?: ConsoleDeps['keystone'];
  /** Where the built web console is (default dist/console); served at /console. */
  consoleDir?: string;
  /** Extra resources (calls, triggers) registered by later layers. */
  extraRoutes?: Array<(router: Router<FrescoState>) => void>;
}

/** Every path parameter of every route is checked once (checkPathParam) before its handler runs. */
function checkParamsOf(router: Router<FrescoState>): void {
  const names = new Set(router.stack.flatMap((layer) => layer.paramNames.map((p) => String(p.name))));
  for (const name of names) {
    router.param(name, (value, _ctx, next) => {
      checkPathParam(name, value);
      return next();
    });
  }
}

/** Builds the Koa application; call `.callback()` for a server or supertest. `router` is exposed
 *  so that a test can compare what is served with the OpenAPI document. */
export function createApi(deps: ApiDeps): Koa<FrescoState> & { router: Router<FrescoState> } {
  const app = new Koa<FrescoState>({ proxy: false });
  app.silent = true;
  const router = new Router<FrescoState>();
  const ks = deps.keystone;
  metaRoutes(router, { ...deps, auth: ks ? { strategy: 'keystone', www_authenticate_uri: ks.wwwAuthenticateUri } : { strategy: 'noauth' } });
  openApiRoute(router, deps);
  consoleRoutes(router, { consoleDir: deps.consoleDir, keystone: deps.keystone, maxBodySize: deps.maxBodySize });
  router.use('/v1', deps.authenticate);
  router.use('/v1', jsonBody(deps.maxBodySize));
  appRoutes(router, deps);
  // Before the route handlers: their {route...} would take .../@versions and .../@aliases.
  if (deps.versions) versionRoutes(router, { versions: deps.versions, authorizer: deps.authorizer });
  routeRoutes(router, deps);
  if (deps.invoke) runRoutes(router, deps.invoke);
  for (const register of deps.extraRoutes ?? []) register(router);
  checkParamsOf(router);
  app.use(requestId());
  app.use(deps.metrics.middleware);
  app.use(errorHandler());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  const run = deps.invoke;
  if (run && deps.fastPath !== false) {
    // Every server and supertest(app.callback()) gets the fast path in front of Koa.
    const koaCallback = app.callback.bind(app);
    const fastDeps = { ...run, authenticate: deps.authenticate, metrics: deps.metrics };
    app.callback = () => withFastPath(app, router, fastDeps, koaCallback()) as ReturnType<typeof koaCallback>;
  }
  return Object.assign(app, { router });
}
