import Koa, { Middleware } from 'koa';
import Router, { type RouterContext } from '@koa/router';
import { guard, type FrescoState } from '../../../src/api/context';
import { errorHandler } from '../../../src/api/middleware/errors';
import { requestId } from '../../../src/api/middleware/request-id';
import type { Authorizer } from '../../../src/domain/identity';

// A tiny Koa app for the auth tests, mounted as the API mounts things: request id, the real error
// middleware, the auth middleware on /v1, guard(authorizer) in the handlers. Echoes what
// handlers would see.

/** GET/POST/DELETE /v1/:project_id/things (app list/create/delete), POST /v1/r/:project_id/:app (run). */
export function thingsApp(auth: Middleware, authorizer: Authorizer): Koa<FrescoState> {
  const app = new Koa<FrescoState>();
  app.silent = true;
  const router = new Router<FrescoState>();
  const check = guard(authorizer);
  router.use('/v1', auth);
  const echo = (action: string) => (ctx: RouterContext<FrescoState>) => {
    check(ctx, action);
    ctx.body = { identity: ctx.state.identity, headers: ctx.headers };
  };
  router.get('/v1/:project_id/things', echo('fresco:app:list'));
  router.post('/v1/:project_id/things', echo('fresco:app:create'));
  router.delete('/v1/:project_id/things', echo('fresco:app:delete'));
  router.post('/v1/r/:project_id/:app', echo('fresco:route:run'));
  app.use(requestId());
  app.use(errorHandler());
  app.use(router.routes());
  return app;
}
