import Router from '@koa/router';
import type { Authorizer } from '../../domain/identity';
import type { QuotaService, QuotaView } from '../../services/quota-service';
import { guard, type FrescoState } from '../context';

/** The Quota of docs/api.md ("Quotas"): the limits in force (0: unlimited), what an admin set, the defaults. */
export function presentQuota(v: QuotaView) {
  return {
    project_id: v.projectId, ...v.quota,
    overrides: v.override ?? { running_calls: null, queued_calls: null, calls_per_second: null },
    defaults: v.defaults,
  };
}

/** GET (readers), PUT and DELETE (admins) /v1/{project_id}/quotas. */
export function quotaRoutes(router: Router<FrescoState>, deps: { quotas: QuotaService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);
  router.get('/v1/:project_id/quotas', async (ctx) => {
    allow(ctx, 'fresco:quota:get');
    ctx.body = { quota: presentQuota(await deps.quotas.show(ctx.params.project_id)) };
  });
  router.put('/v1/:project_id/quotas', async (ctx) => {
    allow(ctx, 'fresco:quota:update');
    const body = ctx.request.body as Record<string, unknown> | undefined;
    // Both {"quota": {...}} and the bare object are accepted.
    const input = body && typeof body === 'object' && 'quota' in body ? body.quota : body;
    ctx.body = { quota: presentQuota(await deps.quotas.update(ctx.params.project_id, input)), message: 'Quota updated' };
  });
  router.delete('/v1/:project_id/quotas', async (ctx) => {
    allow(ctx, 'fresco:quota:delete');
    await deps.quotas.delete(ctx.params.project_id);
    ctx.body = { quota: presentQuota(await deps.quotas.show(ctx.params.project_id)), message: 'Quota back to the defaults' };
  });
}
