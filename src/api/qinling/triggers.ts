// Qinling webhooks and jobs are Fresco triggers on a function's route (docs/qinling.md): a webhook
// is an `alarm` trigger (a secret URL, served here with Qinling's semantics: the body is the
// function's input), a job is a `schedule` trigger (cron).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError, requestInvalid, routeNotFound, routeVersionNotFound, triggerNotFound } from '../../errors';
import type { Authorizer } from '../../domain/identity';
import type { Trigger, TriggerStore } from '../../domain/models';
import { selectorOf } from '../../domain/versions';
import type { RouteResolver } from '../../services/route-resolver';
import type { RouteService } from '../../services/route-service';
import type { InvokeService } from '../../services/invoke-service';
import type { JobFields, TriggerService } from '../../services/trigger-service';
import type { RouteVersionService } from '../../services/route-version-service';
import { nextFirings } from '../../events/schedule';
import type { FrescoState } from '../context';
import { readBody } from '../handlers/runs';
import { functionIdOf, QINLING_APP, qTime } from './present';
import { allProjects } from './all-projects';
import { executionTarget, qinlingVersion } from './versions';

export interface QinlingTriggerDeps {
  triggers: TriggerService;
  /** Webhook invocations carry only the id and the secret. */
  triggerStore: Pick<TriggerStore, 'getById'> & { listAllProjects?(): Promise<Trigger[]> };
  routes: RouteService;
  resolver: RouteResolver;
  invoker: InvokeService;
  /** A job's or webhook's function_alias is one of the project's aliases. */
  versions: RouteVersionService;
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

/** The function a job or webhook names and what its firings run: `function_alias` (looked up now; the
 *  firings follow it), else `function_id` with `function_version` (0 or none: the function as it is now). */
async function functionOf(versions: QinlingTriggerDeps['versions'], projectId: string, b: Record<string, unknown>)
  : Promise<{ functionId: string; target: { version?: number; alias?: string } }> {
  if (!given(b.function_alias) && (typeof b.function_id !== 'string' || !b.function_id)) {
    throw requestInvalid('function_id: required (or function_alias)');
  }
  const picked = await executionTarget(versions, projectId, b);
  return { functionId: picked.functionId, target: picked.alias ? { alias: picked.alias } : { version: picked.version } };
}

/** A job's or webhook's function_alias and function_version: an alias's version is looked up at each firing. */
function presentTarget(t: Trigger) {
  return { function_alias: t.alias ?? null, function_version: t.alias ? null : t.version ?? 0 };
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
  // The caller's project's triggers, or every project's (?all_projects=true, admins).
  const listed = async (ctx: Context): Promise<Trigger[]> => (allProjects(ctx, deps.authorizer) && deps.triggerStore.listAllProjects
    ? deps.triggerStore.listAllProjects() : deps.triggers.list(project(ctx)));
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
  // Fresco's "no such version" in Qinling's words.
  const asFunction = async (id: string, version: number | undefined, work: () => Promise<Trigger>): Promise<Trigger> => {
    try {
      return await work();
    } catch (err) {
      if (routeVersionNotFound.is(err)) throw new NotFoundError(routeVersionNotFound.spec, `Version ${version} of function ${id} not found`);
      throw err;
    }
  };

  // --- webhooks ---
  const base = (_ctx: Context) => `${deps.publicUrl}${v1}`;
  const presentWebhook = (ctx: Context, t: Trigger, withSecret: boolean) => ({
    id: t.id, function_id: functionIdOf(t.route), ...presentTarget(t), description: null,
    project_id: t.projectId, created_at: qTime(t.createdAt), updated_at: qTime(t.updatedAt),
    // The secret is what lets the caller in: shown only to those who may run the function.
    webhook_url: withSecret && t.secret ? `${base(ctx)}/webhooks/${t.id}/invoke/${t.secret}` : null,
  });
  router.get(`${v1}/webhooks`, async (ctx) => {
    allow(ctx, 'fresco:trigger:list');
    const list = (await listed(ctx)).filter((t) => ours(t, WEBHOOK));
    const show = mayRun(ctx);
    let webhooks = list.map((t) => presentWebhook(ctx, t, show));
    const fid = ctx.query.function_id;
    if (typeof fid === 'string') webhooks = webhooks.filter((w) => w.function_id === fid);
    ctx.body = { webhooks };
  });
  router.post(`${v1}/webhooks`, async (ctx) => {
    allow(ctx, 'fresco:trigger:create');
    const { functionId: fid, target } = await functionOf(deps.versions, project(ctx), (ctx.request.body ?? {}) as Record<string, unknown>);
    await checkFunction(ctx, fid);
    const t = await asFunction(fid, target.version, () => deps.triggers.create(project(ctx), { trigger: {
      name: `${WEBHOOK}${randomUUID()}`, type: 'alarm', app: QINLING_APP, route: `/${fid}`, ...target,
    } }));
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
    // Nulls are "unchanged"; another function without a version runs that function as it is now.
    const same = functionIdOf(current.route);
    const fid = given(b.function_id) ? String(b.function_id) : same;
    const version = qinlingVersion(b.function_version);
    if (given(b.function_alias)) {
      const picked = await functionOf(deps.versions, project(ctx), b);
      t = await deps.triggers.update(project(ctx), current.id, { route: `/${picked.functionId}`, alias: picked.target.alias });
    } else if (fid !== same || version !== undefined) {
      if (fid !== same) await checkFunction(ctx, fid);
      t = await asFunction(fid, version, () => deps.triggers.update(project(ctx), current.id, { route: `/${fid}`, version: version ?? 0, alias: null }));
    }
    ctx.body = presentWebhook(ctx, t, mayRun(ctx));
  });
  router.delete(`${v1}/webhooks/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:delete');
    await deps.triggers.delete(project(ctx), (await one(ctx, ctx.params.id, WEBHOOK)).id);
    ctx.status = 204;
  });

  // --- jobs: schedule triggers (pattern), with a start (first_execution_time), a count and an input ---
  router.get(`${v1}/jobs`, async (ctx) => {
    allow(ctx, 'fresco:trigger:list');
    ctx.body = { jobs: (await listed(ctx)).filter((t) => ours(t, JOB)).map((t) => presentJob(t)) };
  });
  router.post(`${v1}/jobs`, async (ctx) => {
    allow(ctx, 'fresco:trigger:create');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const { functionId: fid, target } = await functionOf(deps.versions, project(ctx), b);
    const job = jobCreateFields(b);
    const name = typeof b.name === 'string' && b.name ? `-${b.name}` : '';
    await checkFunction(ctx, fid);
    const t = await asFunction(fid, target.version, () => deps.triggers.create(project(ctx), { trigger: {
      name: `${JOB}${randomUUID()}${name}`, type: 'schedule', app: QINLING_APP, route: `/${fid}`, ...target,
      ...(job.pattern ? { schedule: job.pattern } : {}),
    } }, job.fields));
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
    const { patch, fields } = jobUpdate(current, b);
    const t = Object.keys(patch).length || Object.keys(fields).length
      ? await deps.triggers.update(project(ctx), current.id, patch, fields) : current;
    ctx.body = presentJob(t);
  });
  router.delete(`${v1}/jobs/:id`, async (ctx) => {
    allow(ctx, 'fresco:trigger:delete');
    await deps.triggers.delete(project(ctx), (await one(ctx, ctx.params.id, JOB)).id);
    ctx.status = 204;
  });
}

/** A Qinling job as its API showed it: status from the trigger's end and enabled flag. */
export function presentJob(t: Trigger, now = new Date()) {
  return {
    id: t.id, name: t.name.slice(JOB.length + 37) || null, count: t.remaining ?? null, status: jobStatus(t),
    function_id: functionIdOf(t.route), ...presentTarget(t), function_input: t.input ?? null,
    pattern: t.schedule ?? null, first_execution_time: qTime(t.startAt), next_execution_time: qTime(nextRun(t, now)),
    project_id: t.projectId, created_at: qTime(t.createdAt), updated_at: qTime(t.updatedAt),
  };
}

export function jobStatus(t: Pick<Trigger, 'ended' | 'enabled'>): 'running' | 'paused' | 'done' | 'cancelled' {
  return t.ended ?? (t.enabled ? 'running' : 'paused');
}

/** When the job fires next: its start when it has not fired since, else its pattern's next slot. */
function nextRun(t: Trigger, now: Date): Date | undefined {
  if (t.ended) return undefined;
  if (t.startAt && (!t.lastFiredAt || t.lastFiredAt < t.startAt)) return t.startAt;
  if (!t.schedule) return undefined;
  try {
    return nextFirings(t.schedule, t.timezone ?? 'UTC', now, new Date(now.getTime() + 400 * 86400_000), 1)[0];
  } catch {
    return undefined;
  }
}

/** Qinling's times: `YYYY-MM-DD HH:MM[:SS]`, UTC unless a zone is given. */
export function parseJobTime(name: string, v: unknown): Date {
  const text = typeof v === 'string' ? v.trim() : '';
  const iso = text.replace(' ', 'T');
  const d = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : `${iso}Z`);
  if (!text || Number.isNaN(d.getTime())) throw requestInvalid(`${name}: "${String(v)}" is not a time such as "2026-12-05 10:30" (UTC)`);
  return d;
}

/** Qinling's input: a string of JSON; anything else is passed on as a JSON string. */
function jobInput(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

const given = (v: unknown) => v !== undefined && v !== null && v !== '';

/** A job create's pattern and what it adds to its schedule trigger. */
export function jobCreateFields(b: Record<string, unknown>): { pattern?: string; fields: JobFields } {
  const pattern = given(b.pattern) ? String(b.pattern) : undefined;
  const startAt = given(b.first_execution_time) ? parseJobTime('first_execution_time', b.first_execution_time) : undefined;
  if (!pattern && !startAt) throw requestInvalid('pattern or first_execution_time: one is required (a cron pattern such as "*/5 * * * *")');
  let count: number | undefined;
  if (given(b.count)) {
    count = Number(b.count);
    if (!Number.isInteger(count) || count < 1) throw requestInvalid(`count: must be a whole number of at least 1, got ${JSON.stringify(b.count)}`);
  }
  // Without a pattern a job runs once, at its first_execution_time (Qinling's rule too).
  if (!pattern) {
    if (count !== undefined && count > 1) throw requestInvalid('count: a job without a pattern runs once; give a pattern to run it more times');
    count = 1;
  }
  return {
    pattern, fields: { startAt, remaining: count, input: given(b.function_input) ? jobInput(b.function_input) : undefined },
  };
}

/** A job update (name, status, next_execution_time, pattern, function_input; nulls unchanged) as a trigger update. */
export function jobUpdate(t: Trigger, b: Record<string, unknown>): { patch: Record<string, unknown>; fields: JobFields } {
  const patch: Record<string, unknown> = {};
  const fields: JobFields = {};
  if (given(b.name)) patch.name = `${t.name.slice(0, JOB.length + 36)}-${String(b.name)}`;
  if (given(b.pattern)) patch.schedule = String(b.pattern);
  if (given(b.function_input)) fields.input = jobInput(b.function_input);
  if (given(b.next_execution_time)) fields.startAt = parseJobTime('next_execution_time', b.next_execution_time);
  if (given(b.status)) {
    const status = String(b.status);
    if (t.ended && status !== t.ended) throw requestInvalid(`status: the job is ${t.ended}; it cannot become ${status}`);
    if (status === 'running') patch.enabled = true;
    else if (status === 'paused') patch.enabled = false;
    else if (status === 'done' || status === 'cancelled') {
      patch.enabled = false;
      fields.ended = status;
    } else throw requestInvalid(`status: "${status}": must be running, paused, done or cancelled`);
  }
  if (t.ended && (patch.schedule !== undefined || fields.startAt !== undefined)) {
    throw requestInvalid(`the job is ${t.ended}: it runs no more; create a new job`);
  }
  return { patch, fields };
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
    const target = await deps.resolver.privateAt(t.projectId, t.app, t.route, selectorOf(t));
    const answer = await deps.invoker.accept(target, {
      method: 'POST', url: `${deps.publicUrl}${ctx.path}`, requestPath: t.route, trigger: 'alarm', triggerId: t.id,
      headers: { 'content-type': 'application/json' }, body,
    });
    ctx.status = 202;
    ctx.body = { execution_id: answer.call.id };
  });
}
