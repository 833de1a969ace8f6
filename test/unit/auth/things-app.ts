import type { Middleware } from 'koa';
import type Koa from 'koa';
import type { RouterContext } from '@koa/router';
import { guard, type FrescoState } from '../../../src/api/context';
import type { Authorizer } from '../../../src/domain/identity';
import { buildApi, buildServices } from '../../../src/main';
import { openDb } from '../../../src/store/db';
import { testConfig } from '../../helpers/api';

// The real API as main.ts builds it (buildApi: request id, metrics, error middleware, the auth
// middleware on /v1), with the test's auth plugged in and echo resources added, for the auth
// tests: handlers call guard(authorizer) as Fresco's do and answer with what they saw. Nothing
// here reaches a database: the services' one is never queried.

const config = testConfig();
let services: ReturnType<typeof buildServices> | undefined;

/** GET/POST/DELETE /v1/:project_id/things (app list/create/delete), POST /v1/r/:project_id/:app (run). */
export function thingsApp(auth: Middleware, authorizer: Authorizer): Koa<FrescoState> {
  services ??= buildServices(openDb({ connection: 'postgresql://127.0.0.1:1/never-queried', maxPoolSize: 1 }), config);
  const app = buildApi(config, services, async () => undefined, 8080, { authenticate: auth, authorizer });
  const check = guard(authorizer);
  const echo = (action: string) => (ctx: RouterContext<FrescoState>) => {
    check(ctx, action);
    ctx.body = { identity: ctx.state.identity, headers: ctx.headers };
  };
  app.router.get('/v1/:project_id/things', echo('fresco:app:list'));
  app.router.post('/v1/:project_id/things', echo('fresco:app:create'));
  app.router.delete('/v1/:project_id/things', echo('fresco:app:delete'));
  app.router.post('/v1/r/:project_id/:app', echo('fresco:route:run'));
  return app;
}
