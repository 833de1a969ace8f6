import Router from '@koa/router';
import type { Authorizer } from '../../domain/identity';
import type { Runtime } from '../../runtimes/model';
import type { RuntimeService } from '../../runtimes/runtime-service';
import type { FrescoState } from '../context';

/** The Runtime of docs/runtimes.md. */
export function presentRuntime(r: Runtime) {
  return {
    id: r.id, name: r.name, image: r.image, description: r.description, status: 'available' as const,
    created_at: r.createdAt.toISOString(), updated_at: r.updatedAt.toISOString(),
  };
}

/** /v1/runtimes[/{name}]: every project lists them; only admins register and remove them. */
export function runtimeRoutes(router: Router<FrescoState>, deps: { runtimes: RuntimeService; authorizer: Authorizer }): void {
  // Runtimes belong to no project: the caller's own project scopes the policy check.
  const allow = (ctx: { state: FrescoState }, action: string) =>
    deps.authorizer.authorize(ctx.state.identity, action, ctx.state.identity?.projectId ?? '');

  router.get('/v1/runtimes', async (ctx) => {
    allow(ctx, 'fresco:runtime:list');
    ctx.body = { runtimes: (await deps.runtimes.list()).map(presentRuntime) };
  });
  router.post('/v1/runtimes', async (ctx) => {
    allow(ctx, 'fresco:runtime:create');
    const runtime = await deps.runtimes.create(ctx.request.body);
    ctx.status = 201;
    ctx.body = { runtime: presentRuntime(runtime), message: 'Runtime successfully created' };
  });
  router.get('/v1/runtimes/:name', async (ctx) => {
    allow(ctx, 'fresco:runtime:get');
    ctx.body = { runtime: presentRuntime(await deps.runtimes.get(ctx.params.name)) };
  });
  router.delete('/v1/runtimes/:name', async (ctx) => {
    allow(ctx, 'fresco:runtime:delete');
    await deps.runtimes.delete(ctx.params.name);
    ctx.body = { message: 'Runtime successfully deleted' };
  });
}
