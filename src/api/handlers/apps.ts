import Router from '@koa/router';
import type { AppService } from '../../services/app-service';
import type { Authorizer } from '../../domain/identity';
import { guard, type FrescoState } from '../context';
import { presentApp } from './present';

/** Picasso v1 apps: /v1/{project_id}/apps[/{app}]. */
export function appRoutes(router: Router<FrescoState>, deps: { apps: AppService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);

  router.get('/v1/:project_id/apps', async (ctx) => {
    allow(ctx, 'fresco:app:list');
    const apps = await deps.apps.list(ctx.params.project_id);
    ctx.body = { apps: apps.map(presentApp), message: 'Successfully loaded apps' };
  });
  router.post('/v1/:project_id/apps', async (ctx) => {
    allow(ctx, 'fresco:app:create');
    const app = await deps.apps.create(ctx.params.project_id, ctx.request.body);
    ctx.body = { app: presentApp(app), message: 'App successfully created' };
  });
  router.get('/v1/:project_id/apps/:app', async (ctx) => {
    allow(ctx, 'fresco:app:get');
    const app = await deps.apps.get(ctx.params.project_id, ctx.params.app);
    ctx.body = { app: presentApp(app), message: 'App successfully loaded' };
  });
  router.put('/v1/:project_id/apps/:app', async (ctx) => {
    allow(ctx, 'fresco:app:update');
    const app = await deps.apps.update(ctx.params.project_id, ctx.params.app, ctx.request.body);
    ctx.body = { app: presentApp(app), message: 'App successfully updated' };
  });
  router.delete('/v1/:project_id/apps/:app', async (ctx) => {
    allow(ctx, 'fresco:app:delete');
    await deps.apps.delete(ctx.params.project_id, ctx.params.app);
    ctx.body = { message: 'App successfully deleted' };
  });
}
