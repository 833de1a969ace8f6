// Qinling webhooks and jobs are Fresco triggers on a function's route (docs/qinling.md): a webhook
// is an `alarm` trigger (a secret URL, served here with Qinling's semantics: the body is the
// function's input), a job is a `schedule` trigger (cron).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError, requestInvalid, routeNotFound, triggerNotFound } from '../../errors';
import type { Authorizer } from '../../domain/identity';
import type { Trigger, TriggerStore } from '../../domain/models';
import type { RouteResolver } from '../../services/route-resolver';
import type { RouteService } from '../../services/route-service';
import type { InvokeService } from '../../services/invoke-service';
import type { TriggerService } from '../../services/trigger-service';
import type { FrescoState } from '../context';
import { readBody } from '../handlers/runs';
import { functionIdOf, QINLING_APP, qTime } from './present';

export interface QinlingTriggerDeps {
  triggers: TriggerService;
  /** Webhook invocations carry only the id and the secret. */
  triggerStore: Pick<TriggerStore, 'getById'>;
  routes: RouteService;
  resolver: RouteResolver;
  invoker: InvokeService;
  authorizer: Authorizer;
  maxBodySize: number;
  /** Fresco's root URL ([DEFAULT] public_url): webhook URLs start with it. */
  publicUrl: string;
}

const WEBHOOK = 'qinling-webhook-';
const JOB = 'qinling-job-';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The function a request names: function_id (version 0); aliases are refused. */
function functionOf(b: Record<string, unknown>): string {
  if (b.function_alias !== undefined && b.function_alias !== null) {
    throw requestInvalid('function_alias: Fresco keeps no function aliases yet; name the function');
  }
  const v = b.function_version;
  if (!(v === undefined || v === null || v === 0 || v === '0')) {
    throw requestInvalid(`function_version: ${String(v)}: Fresco keeps no function versions yet; use 0`);
  }
  if (typeof b.function_id !== 'string' || !b.function_id) throw requestInvalid('function_id: required');
  return b.function_id;
}

/** Registers webhooks and jobs under `v1` (authenticated) and the webhook invocation (not). */
export function qinlingTriggerRoutes(router: Router<FrescoState>, v1: string, deps: QinlingTriggerDeps): void {
  const project = (ctx: Context) => (ctx.state as FrescoState).identity?.projectId ?? '';
  const allow = (ctx: Context, action: string) => deps.authorizer.authorize((ctx.state as FrescoState).identity, action, project(ctx));
  const mayRun = (ctx: Context): boolean => {
    try {
      allow(ctx, 'fresco:route:run');
      return true;
    } catch {
      return false;
    }
  };
  const ours = (t: Trigger, prefix: string) => t.app === QINLING_APP && t.name.startsWith(prefix);
  const one = async (ctx: Context, id: string, prefix: string) => {
    const t = await deps.triggers.get(project(ctx), id);
    if (!ours(t, prefix)) throw triggerNotFound(id);
    return t;
  };
  // The function must be the caller's (FRESCO_ROUTE_NOT_FOUND otherwise).
  const checkFunction = async (ctx: Context, id: string) => {
    try {
      await deps.routes.get(project(ctx), QINLING_APP, `/${id}`);
    } catch (err) {
      if (routeNotFound.is(err)) throw new NotFoundError(routeNotFound.spec, `Function ${id} not found`);
      throw err;
    }
  };

  // --- webhooks ---
  const base = (_ctx: Context) => `${deps.publicUrl}${v1}`;
  const presentWebhook = (ctx: Context, t: Trigger, withSecret: boolean) => ({
    id: t.id, function_alias: null, function_id: functionIdOf(t.route), function_version: 0, description: null,
    project_id: t.projectId, created_at: qTime(t.createdAt), updated_at: qTime(t.updatedAt),
    // The secret is what lets the caller in: shown only to those who may run the function.
    webhook_url: withSecret && t.secret ? `${base(ctx)}/webhooks/${t.id}/invoke/${t.secret}` : null,
  });
  router.get(`${v1}/webhooks`, async (ctx) => {
    allow(ctx, 'fresco:trigger:list');
    const list = (await deps.triggers.list(project(ctx))).filter((t) => ours(t, WEBHOOK));
    const show = mayRun(ctx);
    let webhooks = list.map((t) => presentWebhook(ctx, t, show));
    const fid = ctx.query.function_id;
    if (typeof fid === 'string') webhooks = webhooks.filter((w) => w.function_id === fid);
    ctx.body = { webhooks };
  });
  router.post(`${v1}/webhooks`, async (ctx) => {
    allow(ctx, 'fresco:trigger:create');
    const fid = functionOf((ctx.request.body ?? {}) as Record<string, unknown>);
    await checkFunction(ctx, fid);
    const t = await deps.triggers.create(project(ctx), { trigger: {
      name: `${WEBHOOK}${randomUUID()}`, type: 'alarm', app: QINLING_APP, route: `/${fid}`,
    } });
    ctx.status = 201;
    ctx.body = presentWebhook(ctx, t, mayRun(ctx));
  });
  router.get(`${v1}/webhooks/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:get');
    ctx.body = presentWebhook(ctx, await one(ctx, ctx.params.id, WEBHOOK), mayRun(ctx));
  });
  router.put(`${v1}/webhooks/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:update');
    const current = await one(ctx, ctx.params.id, WEBHOOK);
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    let t = current;
    if (typeof b.function_id === 'string' && b.function_id) {
      const fid = functionOf(b);
      await checkFunction(ctx, fid);
      t = await deps.triggers.update(project(ctx), current.id, { route: `/${fid}` });
    }
    ctx.body = presentWebhook(ctx, t, mayRun(ctx));
  });
  router.delete(`${v1}/webhooks/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:delete');
    await deps.triggers.delete(project(ctx), (await one(ctx, ctx.params.id, WEBHOOK)).id);
    ctx.status = 204;
  });

  // --- jobs ---
  const presentJob = (t: Trigger) => ({
    id: t.id, name: t.name.slice(JOB.length + 37) || null, count: null, status: t.enabled ? 'running' : 'paused',
    function_alias: null, function_id: functionIdOf(t.route), function_version: 0, function_input: null,
    pattern: t.schedule ?? null, first_execution_time: null, next_execution_time: null, project_id: t.projectId,
    created_at: qTime(t.createdAt), updated_at: qTime(t.updatedAt),
  });
  router.get(`${v1}/jobs`, async (ctx) => {
    allow(ctx, 'fresco:trigger:list');
    ctx.body = { jobs: (await deps.triggers.list(project(ctx))).filter((t) => ours(t, JOB)).map(presentJob) };
  });
  router.post(`${v1}/jobs`, async (ctx) => {
    allow(ctx, 'fresco:trigger:create');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const fid = functionOf(b);
    if (typeof b.pattern !== 'string' || !b.pattern) {
      throw requestInvalid('pattern: required, a cron pattern such as "*/1 * * * *" (first_execution_time alone is not supported)');
    }
    for (const k of ['first_execution_time', 'count', 'function_input'] as const) {
      if (b[k] !== undefined && b[k] !== null) throw requestInvalid(`${k}: not supported by Fresco's jobs (docs/qinling.md)`);
    }
    const name = typeof b.name === 'string' && b.name ? `-${b.name}` : '';
    await checkFunction(ctx, fid);
    const t = await deps.triggers.create(project(ctx), { trigger: {
      name: `${JOB}${randomUUID()}${name}`, type: 'schedule', app: QINLING_APP, route: `/${fid}`, schedule: b.pattern,
    } });
    ctx.status = 201;
    ctx.body = presentJob(t);
  });
  router.get(`${v1}/jobs/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:get');
    ctx.body = presentJob(await one(ctx, ctx.params.id, JOB));
  });
  router.put(`${v1}/jobs/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:update');
    const current = await one(ctx, ctx.params.id, JOB);
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    if (typeof b.pattern === 'string' && b.pattern) patch.schedule = b.pattern;
    if (b.status === 'running') patch.enabled = true;
    else if (b.status === 'paused') patch.enabled = false;
    else if (b.status !== undefined && b.status !== null) {
      throw requestInvalid(`status: "${String(b.status)}": Fresco's jobs are running or paused (delete a job to end it)`);
    }
    for (const k of ['next_execution_time', 'function_input', 'name'] as const) {
      if (b[k] !== undefined && b[k] !== null) throw requestInvalid(`${k}: cannot be changed on Fresco's jobs`);
    }
    const t = Object.keys(patch).length ? await deps.triggers.update(project(ctx), current.id, patch) : current;
    ctx.body = presentJob(t);
  });
  router.delete(`${v1}/jobs/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:delete');
    await deps.triggers.delete(project(ctx), (await one(ctx, ctx.params.id, JOB)).id);
    ctx.status = 204;
  });
}

/** POST {v1}/webhooks/{id}/invoke/{secret}: no token; the body is the function's input; always async. */
export function qinlingInvokeRoute(router: Router<FrescoState>, v1: string, deps: QinlingTriggerDeps): void {
  router.post(`${v1}/webhooks/:id/invoke/:secret`, async (ctx) => {
    const t = await deps.triggerStore.getById(ctx.params.id);
    if (!t || t.app !== QINLING_APP || !t.name.startsWith(WEBHOOK) || !t.enabled || !sameSecret(ctx.params.secret, t.secret ?? '')) {
      throw triggerNotFound();
    }
    // Qinling's input: the body's JSON; anything else arrives as a JSON string.
    const raw = await readBody(ctx, deps.maxBodySize);
    let body = raw.length ? raw : Buffer.from('{}');
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      body = Buffer.from(JSON.stringify(raw.toString('utf8')));
    }
    const target = await deps.resolver.private(t.projectId, t.app, t.route);
    const answer = await deps.invoker.accept(target, {
      method: 'POST', url: `${deps.publicUrl}${ctx.path}`, requestPath: t.route, trigger: 'alarm', triggerId: t.id,
      headers: { 'content-type': 'application/json' }, body,
    });
    ctx.status = 202;
    ctx.body = { execution_id: answer.call.id };
  });
}
