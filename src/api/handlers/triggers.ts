import Router from '@koa/router';
import type { Trigger } from '../../domain/models';
import type { Authorizer } from '../../domain/identity';
import type { TriggerService } from '../../services/trigger-service';
import type { Context } from 'koa';
import { guard, type FrescoState } from '../context';

/**
 * The Trigger of docs/api.md (Triggers); the alarm secret shows only inside callback_url, and only
 * to callers who may run the route themselves (`withSecret`): the URL is as good as a run.
 */
export function presentTrigger(t: Trigger, publicUrl: string, withSecret = true) {
  return {
    id: t.id, project_id: t.projectId, name: t.name, type: t.type, app: t.app, route: t.route, filter: t.filter,
    schedule: t.schedule ?? null, timezone: t.timezone ?? null, version: t.version ?? null, alias: t.alias ?? null,
    callback_url: t.type === 'alarm' && t.secret && withSecret ? `${publicUrl}/alarms/${t.id}/${t.secret}` : null,
    enabled: t.enabled, last_fired_at: t.lastFiredAt?.toISOString() ?? null,
    created_at: t.createdAt.toISOString(), updated_at: t.updatedAt.toISOString(),
  };
}

/** /v1/{project_id}/triggers[/{id}]. */
export function triggerRoutes(router: Router<FrescoState>,
  deps: { triggers: TriggerService; authorizer: Authorizer; publicUrl: string }): void {
  const allow = guard(deps.authorizer);
  const mayRun = (ctx: Context): boolean => {
    try {
      deps.authorizer.authorize(ctx.state.identity, 'fresco:route:run', ctx.params.project_id);
      return true;
    } catch {
      return false;
    }
  };
  const showFor = (ctx: Context) => {
    const withSecret = mayRun(ctx);
    return (t: Trigger) => presentTrigger(t, deps.publicUrl, withSecret);
  };
  router.get('/v1/:project_id/triggers', async (ctx) => {
    allow(ctx, 'fresco:trigger:list');
    ctx.body = { triggers: (await deps.triggers.list(ctx.params.project_id)).map(showFor(ctx)) };
  });
  router.post('/v1/:project_id/triggers', async (ctx) => {
    allow(ctx, 'fresco:trigger:create');
    const t = await deps.triggers.create(ctx.params.project_id, ctx.request.body);
    ctx.status = 201;
    ctx.body = { trigger: showFor(ctx)(t), message: 'Trigger successfully created' };
  });
  router.get('/v1/:project_id/triggers/:id', async (ctx) => {
    allow(ctx, 'fresco:trigger:get');
    ctx.body = { trigger: showFor(ctx)(await deps.triggers.get(ctx.params.project_id, ctx.params.id)) };
  });
  router.put('/v1/:project_id/triggers/:id', async (ctx) => {
    allow(ctx, 'fresco:trigger:update');
    const t = await deps.triggers.update(ctx.params.project_id, ctx.params.id, ctx.request.body);
    ctx.body = { trigger: showFor(ctx)(t), message: 'Trigger successfully updated' };
  });
  router.delete('/v1/:project_id/triggers/:id', async (ctx) => {
    allow(ctx, 'fresco:trigger:delete');
    await deps.triggers.delete(ctx.params.project_id, ctx.params.id);
    ctx.body = { message: 'Trigger successfully deleted' };
  });
}
