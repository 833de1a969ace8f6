// A Qinling-compatible face on Fresco's model (docs/qinling.md), under /qinling/v1, for Debian's
// python3-qinlingclient (`openstack function|runtime ...`): a function is a route of the project's
// `qinling` app (path `/<function id>`), an execution is a call, runtimes are Fresco's runtimes.
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import {
  appNotFound, callNotFound, type FrescoError, notFound, NotFoundError, notImplemented, requestInvalid, routeNotFound, runtimeNotFound,
} from '../../errors';
import type { Executor } from '../../domain/executor';
import type { Authorizer } from '../../domain/identity';
import type { CallStore, Route } from '../../domain/models';
import type { Runtime } from '../../runtimes/model';
import type { RuntimeService } from '../../runtimes/runtime-service';
import type { AppService } from '../../services/app-service';
import type { CallService } from '../../services/call-service';
import type { RouteResolver } from '../../services/route-resolver';
import type { RouteService } from '../../services/route-service';
import type { InvokeService } from '../../services/invoke-service';
import type { FrescoState } from '../context';
import { jsonBody } from '../middleware/json-body';
import { errorAnswer } from '../middleware/errors';
import { parseCode, readFunctionForm } from './forms';
import { allProjects } from './all-projects';
import { qinlingInvokeRoute, qinlingTriggerRoutes, type QinlingTriggerDeps } from './triggers';
import { executionTarget, qinlingVersionRoutes, type QinlingVersionDeps } from './versions';
import { type QinlingSwiftDeps, swiftRefForUpdate, swiftRefOf, swiftUpload } from './swift-code';
import {
  CPU_KEY, DESCRIPTION_KEY, NAME_KEY, SWIFT_KEY, presentExecution, presentFunction, presentRuntime, presentSyncExecution, QINLING_APP,
} from './present';

export interface QinlingDeps extends QinlingTriggerDeps, QinlingVersionDeps, QinlingSwiftDeps {
  apps: AppService;
  routes: RouteService;
  runtimes: RuntimeService;
  calls: CallService;
  resolver: RouteResolver;
  invoker: InvokeService;
  authorizer: Authorizer;
  authenticate: Middleware;
  maxBodySize: number;
  maxPackageSize?: number;
  /** Where this process runs calls: its hot pools answer worker list and runtime pool show
   *  (absent, or remote on a cluster API: 501). */
  executor?: Executor;
  /** Every project's functions and executions (?all_projects=true, admins). */
  routeStore?: { listAllProjects(appName: string): Promise<Route[]> };
  callStore?: Pick<CallStore, 'list'>;
}

export const QINLING_PREFIX = '/qinling';
const V1 = `${QINLING_PREFIX}/v1`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIB = 1024 * 1024;

/** Errors as Qinling wrote them: {"faultstring": ...} (python-qinlingclient reads nothing else). */
function faults(): Middleware<FrescoState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const { fe, body } = errorAnswer(err, ctx.state.requestId);
      ctx.status = fe.status;
      ctx.set(fe.headers);
      ctx.type = 'application/json';
      ctx.body = { faultstring: body.error.message, code: body.error.code, request_id: body.error.request_id };
    }
  };
}

/** `?k=v&k2=neq:v2` on the presented objects (Qinling's filter syntax: eq, neq, in, nin). */
function filtered<T extends Record<string, unknown>>(items: T[], query: Record<string, unknown>): T[] {
  const tests = Object.entries(query).filter(([k]) => k !== 'all_projects').map(([k, raw]) => {
    const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
    const m = /^(eq|neq|in|nin):(.*)$/.exec(text);
    const op = m ? m[1] : 'eq';
    const values = (m ? m[2] : text).split(',');
    return (item: T) => {
      const v = item[k] === null || item[k] === undefined ? '' : String(item[k]);
      const hit = op === 'in' || op === 'nin' ? values.includes(v) : v === (m ? m[2] : text);
      return op === 'neq' || op === 'nin' ? !hit : hit;
    };
  });
  return items.filter((item) => tests.every((t) => t(item)));
}

/** An integer form field; undefined when absent. */
function intField(fields: Record<string, string>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw requestInvalid(`${name}: must be a whole number, got "${v}"`);
  return Number(v);
}

/** Qinling's memory_size is in bytes; a route's memory in MiB. */
function memoryOf(fields: Record<string, string>): number | undefined {
  const bytes = intField(fields, 'memory_size');
  return bytes === undefined ? undefined : Math.ceil(bytes / MIB);
}

/** Mounts the Qinling API on `router` under /qinling. */
export function qinlingRoutes(router: Router<FrescoState>, deps: QinlingDeps): void {
  const project = (ctx: Context) => (ctx.state as FrescoState).identity?.projectId ?? '';
  const allow = (ctx: Context, action: string) => deps.authorizer.authorize((ctx.state as FrescoState).identity, action, project(ctx));
  const functionForms = new RegExp(`^${V1}/functions(/[^/]+)?$`);
  const body = jsonBody(deps.maxBodySize);

  // Webhook invocations carry no token (their URL's secret lets them in) and any body.
  const invoke = new RegExp(`^${V1}/webhooks/[^/]+/invoke(/|$)`);
  router.use(QINLING_PREFIX, faults());
  router.use(V1, (ctx: Context, next: Next) => (invoke.test(ctx.path) ? next() : deps.authenticate(ctx, next)));
  router.use(V1, (ctx: Context, next: Next) => {
    if (invoke.test(ctx.path) || (functionForms.test(ctx.path) && ['POST', 'PUT'].includes(ctx.method))) return next();
    return body(ctx, next);
  });
  qinlingInvokeRoute(router, V1, deps);
  qinlingTriggerRoutes(router, V1, deps);

  router.get(QINLING_PREFIX, (ctx) => {
    ctx.body = { versions: [{ id: 'v1.0', status: 'CURRENT', links: [{ rel: 'self', href: `${deps.publicUrl}${V1}` }] }] };
  });

  // --- runtimes: Fresco's runtimes, by id or name ---
  // Workers and pools are the hot containers of this process's own executor.
  const localExecutor = (what: string): Executor => {
    const e = deps.executor;
    if (!e || e.remote || !e.workers || !e.poolOf) {
      throw notImplemented(`${what}: this API process runs no calls itself (a cluster API: the engines hold the containers); `
        + 'ask an `all` process, or see the engines with `openstack fn engine list` (docs/qinling.md)');
    }
    return e;
  };
  const findRuntime = async (key: string): Promise<Runtime> => {
    const runtime = (await deps.runtimes.list()).find((r) => r.id === key || r.name === key);
    if (!runtime) throw runtimeNotFound(key);
    return runtime;
  };
  router.get(`${V1}/runtimes`, async (ctx) => {
    allow(ctx, 'fresco:runtime:list');
    ctx.body = { runtimes: (await deps.runtimes.list()).map(presentRuntime) };
  });
  router.post(`${V1}/runtimes`, async (ctx) => {
    allow(ctx, 'fresco:runtime:create');
    const b = (ctx.request.body ?? {}) as { image?: unknown; name?: unknown; description?: unknown };
    const image = typeof b.image === 'string' ? b.image : '';
    // Qinling's name is optional; Fresco's runtimes are named: the image's last path part, without its tag.
    const name = typeof b.name === 'string' && b.name ? b.name
      : image.split('@')[0].split('/').pop()?.split(':')[0].replace(/[^A-Za-z0-9_.-]/g, '-') || image;
    const runtime = await deps.runtimes.create({ runtime: { name, image, description: typeof b.description === 'string' ? b.description : undefined } });
    ctx.status = 201;
    ctx.body = presentRuntime(runtime);
  });
  // Qinling's pool: the runtime's hot containers on this process's engine, and how many are idle.
  router.get(`${V1}/runtimes/:id/pool`, async (ctx) => {
    allow(ctx, 'fresco:runtime:get');
    const runtime = await findRuntime(ctx.params.id);
    const executor = localExecutor('Runtime pools');
    ctx.body = { name: runtime.id, capacity: executor.poolOf!(runtime.image) };
  });
  router.get(`${V1}/runtimes/:id`, async (ctx) => {
    allow(ctx, 'fresco:runtime:get');
    ctx.body = presentRuntime(await findRuntime(ctx.params.id));
  });
  router.delete(`${V1}/runtimes/:id`, async (ctx) => {
    allow(ctx, 'fresco:runtime:delete');
    await deps.runtimes.delete((await findRuntime(ctx.params.id)).name);
    ctx.status = 204;
  });

  // --- functions: routes of the project's `qinling` app ---
  const listFunctions = async (projectId: string): Promise<Route[]> => {
    try {
      return (await deps.routes.list(projectId, QINLING_APP)).filter((r) => UUID.test(r.path.slice(1)));
    } catch (err) {
      if (appNotFound.is(err)) return [];
      throw err;
    }
  };
  const getFunction = async (ctx: Context, id: string): Promise<Route> => {
    if (!UUID.test(id)) throw notFoundFunction(id);
    try {
      return await deps.routes.get(project(ctx), QINLING_APP, `/${id}`);
    } catch (err) {
      if (routeNotFound.is(err)) throw notFoundFunction(id);
      throw err;
    }
  };
  const ensureApp = async (projectId: string): Promise<void> => {
    try {
      await deps.apps.get(projectId, QINLING_APP);
    } catch (err) {
      if (!appNotFound.is(err)) throw err;
      await deps.apps.create(projectId, { app: { name: QINLING_APP, description: 'Functions of the Qinling-compatible API' } })
        .catch((e: unknown) => { if (!(e as { status?: number }).status || (e as { status: number }).status !== 409) throw e; });
    }
  };
  const formOf = (ctx: Context) => readFunctionForm(ctx.req, deps.maxPackageSize ?? 50 * MIB);

  router.get(`${V1}/functions`, async (ctx) => {
    allow(ctx, 'fresco:route:list');
    const runtimes = await deps.runtimes.list();
    const routes = allProjects(ctx, deps.authorizer) && deps.routeStore
      ? (await deps.routeStore.listAllProjects(QINLING_APP)).filter((r) => UUID.test(r.path.slice(1)))
      : await listFunctions(project(ctx));
    const all = routes.map((r) => presentFunction(r, runtimes));
    ctx.body = { functions: filtered(all, ctx.query) };
  });
  router.post(`${V1}/functions`, async (ctx) => {
    allow(ctx, 'fresco:route:create');
    const form = await formOf(ctx);
    const { fields } = form;
    let upload = form.upload;
    const code = parseCode(fields.code ?? (upload ? '{"source": "package"}' : undefined));
    const config: Record<string, string> = {};
    if (fields.name) config[NAME_KEY] = fields.name;
    if (fields.description) config[DESCRIPTION_KEY] = fields.description;
    if (fields.cpu) config[CPU_KEY] = String(intField(fields, 'cpu'));
    const route: Record<string, unknown> = {
      path: `/${randomUUID()}`, timeout: intField(fields, 'timeout'), memory: memoryOf(fields), config,
    };
    if (code.source === 'image') {
      if (typeof code.image !== 'string') throw requestInvalid('code.image: required for {"source": "image"}');
      route.image = code.image;
    } else if (code.source === 'package') {
      if (!upload) throw requestInvalid('package: required, the zip as a file part (openstack function create --file or --package)');
      if (!fields.runtime_id) throw requestInvalid('runtime_id: required for a function from a package');
    } else if (code.source === 'swift') {
      if (!fields.runtime_id) throw requestInvalid('runtime_id: required for a function from Swift');
      const fromSwift = await swiftUpload(ctx, deps, () => swiftRefOf(code.swift));
      upload = fromSwift.upload;
      Object.assign(config, fromSwift.config);
    } else {
      throw requestInvalid('code.source: must be "package", "swift" or "image"');
    }
    if (code.source !== 'image') {
      // A function from code, its package uploaded or read from Swift.
      route.runtime = (await findRuntime(fields.runtime_id!)).name;
      route.entry = fields.entry || 'main.main';
      route.calling = 'qinling';
    }
    const projectId = project(ctx);
    await ensureApp(projectId);
    const created = await deps.routes.create(projectId, QINLING_APP, { route }, upload);
    ctx.status = 201;
    ctx.body = presentFunction(created, await deps.runtimes.list());
  });
  router.get(`${V1}/functions/:id`, async (ctx) => {
    allow(ctx, 'fresco:route:get');
    const fn = await getFunction(ctx, ctx.params.id);
    if (ctx.query.download === 'true') {
      if (!fn.runtime) throw requestInvalid('download: an image function has no package');
      const pkg = await deps.routes.download(fn.projectId, QINLING_APP, fn.path);
      // Raw bytes: the client copies the socket stream, so nothing may compress them.
      ctx.compress = false;
      ctx.type = 'application/zip';
      ctx.attachment(`${fn.path.slice(1)}.zip`);
      ctx.body = pkg.content;
      return;
    }
    ctx.body = presentFunction(fn, await deps.runtimes.list());
  });
  router.put(`${V1}/functions/:id`, async (ctx) => {
    allow(ctx, 'fresco:route:update');
    const fn = await getFunction(ctx, ctx.params.id);
    const form = await formOf(ctx);
    const { fields } = form;
    let upload = form.upload;
    const config = { ...fn.config };
    if (fields.source === 'swift') {
      if (!fn.runtime) throw requestInvalid('source: "swift": an image function takes no package');
      const fromSwift = await swiftUpload(ctx, deps, () => swiftRefForUpdate(fields, fn.config), 'source');
      upload = fromSwift.upload;
      Object.assign(config, fromSwift.config);
    } else if (upload) {
      delete config[SWIFT_KEY];
    }
    if (upload && !fn.runtime) throw requestInvalid('package: an image function takes no package');
    if (fields.name !== undefined) config[NAME_KEY] = fields.name;
    if (fields.description !== undefined) config[DESCRIPTION_KEY] = fields.description;
    if (fields.cpu !== undefined) config[CPU_KEY] = String(intField(fields, 'cpu'));
    const patch: Record<string, unknown> = { config, timeout: intField(fields, 'timeout'), memory: memoryOf(fields) };
    if (fields.entry) {
      if (!fn.runtime) throw requestInvalid('entry: an image function has no entry');
      patch.entry = fields.entry;
    }
    for (const k of Object.keys(patch)) if (patch[k] === undefined) delete patch[k];
    const updated = await deps.routes.update(fn.projectId, QINLING_APP, fn.path, { route: patch }, upload);
    ctx.body = presentFunction(updated, await deps.runtimes.list());
  });
  // Detach: the function's running containers are let go; the next execution starts a fresh one
  // (a written route is a new version to the engines, whose old containers idle out).
  router.post(`${V1}/functions/:id/detach`, async (ctx) => {
    allow(ctx, 'fresco:route:update');
    const fn = await getFunction(ctx, ctx.params.id);
    await deps.routes.update(fn.projectId, QINLING_APP, fn.path, {});
    ctx.status = 202;
  });
  // Scale up/down: the route's min_hot, the hot containers kept for it even when idle (bounded by
  // [engine] max_min_hot); worker list shows them.
  const scale = (sign: 1 | -1) => async (ctx: Context) => {
    allow(ctx, 'fresco:route:update');
    const fn = await getFunction(ctx, ctx.params.id);
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    const count = b.count === undefined || b.count === null ? 1 : Number(b.count);
    if (!Number.isInteger(count) || count < 1) throw requestInvalid(`count: must be a whole number of at least 1, got ${JSON.stringify(b.count)}`);
    const minHot = Math.max(0, (fn.minHot ?? 0) + sign * count);
    if (minHot !== (fn.minHot ?? 0)) await deps.routes.update(fn.projectId, QINLING_APP, fn.path, { route: { min_hot: minHot } });
    ctx.status = 202;
    ctx.body = { function_id: fn.path.slice(1), min_hot: minHot };
  };
  router.post(`${V1}/functions/:id/scale_up`, scale(1));
  router.post(`${V1}/functions/:id/scale_down`, scale(-1));
  router.get(`${V1}/functions/:id/workers`, async (ctx) => {
    allow(ctx, 'fresco:route:get');
    const fn = await getFunction(ctx, ctx.params.id);
    const executor = localExecutor('Function workers');
    const workers = executor.workers!({ projectId: fn.projectId, appName: QINLING_APP, path: fn.path });
    ctx.body = { workers: workers.map((w) => ({ function_id: fn.path.slice(1), worker_name: w.name })) };
  });
  router.delete(`${V1}/functions/:id`, async (ctx) => {
    allow(ctx, 'fresco:route:delete');
    const fn = await getFunction(ctx, ctx.params.id);
    await deps.routes.delete(fn.projectId, QINLING_APP, fn.path);
    ctx.status = 204;
  });

  // --- executions: calls of the functions' routes ---
  router.post(`${V1}/executions`, async (ctx) => {
    allow(ctx, 'fresco:route:run');
    const b = (ctx.request.body ?? {}) as Record<string, unknown>;
    // A version or an alias runs that route version (versions.ts).
    const picked = await executionTarget(deps.versions, project(ctx), b);
    const fn = await getFunction(ctx, picked.functionId);
    const input = b.input === undefined || b.input === null ? null : typeof b.input === 'string' ? b.input : JSON.stringify(b.input);
    // Qinling's input is a string of JSON; anything else is passed on as a JSON string.
    let payload = '';
    if (input !== null) {
      try {
        JSON.parse(input);
        payload = input;
      } catch {
        payload = JSON.stringify(input);
      }
    }
    const target = await deps.resolver.version(await deps.resolver.private(fn.projectId, QINLING_APP, fn.path), { version: picked.version });
    const run = {
      method: 'POST', url: `${deps.publicUrl}${ctx.path}`, requestPath: fn.path,
      headers: { 'content-type': 'application/json' }, body: Buffer.from(payload), trigger: 'http' as const,
    };
    ctx.status = 201;
    if (b.sync === false || b.sync === 'false') {
      const answer = await deps.invoker.accept(target, run);
      ctx.body = { ...presentExecution(answer.call, input), function_alias: picked.alias };
      return;
    }
    const createdAt = new Date();
    const answer = await deps.invoker.invoke({ ...target, route: { ...target.route, type: 'sync' } }, run);
    if (answer.mode !== 'sync') throw new Error('a sync run answered async');
    ctx.body = { ...presentSyncExecution(answer.callId, fn, answer.outcome, input, createdAt), function_version: picked.version, function_alias: picked.alias };
  });
  const getExecution = async (ctx: Context, id: string) => {
    const call = await deps.calls.get(project(ctx), id);
    if (call.app !== QINLING_APP) throw notFoundExecution(id);
    return call;
  };
  router.get(`${V1}/executions`, async (ctx) => {
    allow(ctx, 'fresco:call:list');
    const fid = typeof ctx.query.function_id === 'string' && !ctx.query.function_id.includes(':') ? ctx.query.function_id : undefined;
    const page = allProjects(ctx, deps.authorizer) && deps.callStore
      ? await deps.callStore.list(project(ctx), { app: QINLING_APP, ...(fid ? { route: `/${fid}` } : {}), limit: 1000, allProjects: true })
      : await deps.calls.list(project(ctx), { app: QINLING_APP, ...(fid ? { route: `/${fid}` } : {}), limit: '1000' });
    ctx.body = { executions: filtered(page.calls.map((c) => presentExecution(c)), ctx.query) };
  });
  router.get(`${V1}/executions/:id`, async (ctx) => {
    allow(ctx, 'fresco:call:get');
    ctx.body = presentExecution(await getExecution(ctx, ctx.params.id));
  });
  router.get(`${V1}/executions/:id/log`, async (ctx) => {
    allow(ctx, 'fresco:call:get');
    const call = await getExecution(ctx, ctx.params.id);
    const log = await deps.calls.log(call.projectId, call.id);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = log.log;
  });
  router.delete(`${V1}/executions/:id`, async (ctx) => {
    allow(ctx, 'fresco:call:cancel');
    const call = await getExecution(ctx, ctx.params.id);
    // A running execution is cancelled; a finished call's record stays (Fresco's call retention).
    await deps.calls.cancel(call.projectId, call.id);
    ctx.status = 204;
  });

  // Function versions and aliases: Fresco's route versions and aliases (versions.ts).
  qinlingVersionRoutes(router, V1, deps);

  router.all(`${QINLING_PREFIX}/*rest`, (ctx) => { throw notFound(ctx.method, ctx.path); });
}

// Fresco's codes, in Qinling's words.
function notFoundFunction(id: string): FrescoError {
  return new NotFoundError(routeNotFound.spec, `Function ${id} not found`);
}

function notFoundExecution(id: string): FrescoError {
  return new NotFoundError(callNotFound.spec, `Execution ${id} not found`);
}
