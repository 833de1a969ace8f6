import Router from '@koa/router';
import type { ClusterService, EngineStatus } from '../../cluster/cluster-service';
import type { Authorizer } from '../../domain/identity';
import type { FrescoState } from '../context';

/** The Engine of docs/api.md (Engines). */
export function presentEngine(e: EngineStatus) {
  return {
    id: e.id, host: e.host, url: e.url, state: e.state, running_calls: e.runningCalls, hot_containers: e.hotContainers,
    memory_used_mb: e.memoryUsedMb, memory_budget_mb: e.memoryBudgetMb, call_slots: e.callSlots,
    hot_routes: e.hotRoutes.length, started_at: e.startedAt.toISOString(), last_heartbeat: e.heartbeatAt?.toISOString() ?? null,
  };
}

/** GET /v1/engines: the cluster's engines, for admins (fresco:engine:list). */
export function engineRoutes(router: Router<FrescoState>, deps: { cluster: ClusterService; authorizer: Authorizer }): void {
  router.get('/v1/engines', async (ctx) => {
    const identity = ctx.state.identity;
    deps.authorizer.authorize(identity, 'fresco:engine:list', identity?.projectId ?? '');
    ctx.body = { engines: (await deps.cluster.list()).map(presentEngine) };
  });
}
