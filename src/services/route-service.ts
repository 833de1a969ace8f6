import { z } from 'zod';
import {
  appNotFound, chainCycle, chainTargetNotFound, packageCorrupt, packageNotFound, requestInvalid, routeNotFound,
} from '../errors';
import { type ChainField, type ChainLinks, chainTarget, findCycle, routeName } from '../domain/chain';
import type { RouteScope } from '../domain/executor';
import { AppStore, Route, RouteStore } from '../domain/models';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../domain/priority';
import { DEFAULT_RETRY, RETRY_OUTCOMES, type RetryPolicy } from '../domain/retry';
import type { RegistryPolicy } from '../domain/registry-policy';
import { codeFields, type CodeFields, type CodeInput, type CodeRoutes, type Upload } from '../runtimes/code-routes';
import type { PackageStore } from '../runtimes/model';
import { booleanish, configSchema, enveloped, imageSchema, intIn, parseInput, routePathSchema, unwrap } from './validation';

// Route rules: the fields and defaults of docs/api.md (Routes), limits from the deployment's configuration.

export interface RouteLimits {
  maxTimeout: number;
  maxMemory: number;
  /** Largest min_hot ([engine] max_min_hot); default 8. */
  maxMinHot?: number;
}

const headersSchema = z.record(
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/, 'header names must be HTTP tokens'),
  z.array(z.string().max(8192).regex(/^[^\r\n]*$/, 'header values must be one line')),
);

function fieldSchemas(limits: RouteLimits) {
  return {
    image: imageSchema('repo/name:tag'),
    type: z.enum(['sync', 'async'], { error: 'must be "sync" or "async"' }),
    format: z.enum(['default', 'http', 'json'], { error: 'must be "default", "http" or "json"' }),
    memory: intIn(16, limits.maxMemory),
    timeout: intIn(1, limits.maxTimeout),
    idle_timeout: intIn(1, 3600),
    max_concurrency: intIn(1, 1024),
    headers: headersSchema,
    config: configSchema,
    is_public: booleanish,
    ...codeFields,
    retries: intIn(0, 10),
    retry_delay: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(3600, 'must be at most 3600'),
    retry_backoff: z.number({ error: 'must be a number' }).min(1, 'must be at least 1').max(10, 'must be at most 10'),
    retry_max_delay: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(86400, 'must be at most 86400'),
    retry_on: z.array(z.enum(RETRY_OUTCOMES, { error: 'must list "error" and/or "timeout"' }), { error: 'must be a list' })
      .max(2).transform((l) => [...new Set(l)]),
    on_success: chainField,
    on_failure: chainField,
    min_hot: intIn(0, limits.maxMinHot ?? 8),
    priority: intIn(MIN_PRIORITY, MAX_PRIORITY),
    keep_input: z.boolean({ error: 'must be a boolean (true or false)' }),
  };
}

// A chain target: "/path" (same app) or "app/path"; null or "" removes the link.
const chainField = z.string({ error: 'must be a route: "/path" or "app/path"' }).max(1300).nullable()
  .refine((t) => !t || routePathSchema.safeParse(chainTarget(t, 'app')?.path).success,
    'must be a route: "/path" (same app) or "app/path"')
  .transform((t) => t || null);

type Input = Partial<z.output<z.ZodObject<ReturnType<typeof fieldSchemas>>>> & CodeInput;

/** The retry fields given, over `base` (the route's current policy, or the default). */
function retryOf(input: Input, base: RetryPolicy): RetryPolicy | undefined {
  if (input.retries === undefined && input.retry_delay === undefined && input.retry_backoff === undefined
    && input.retry_max_delay === undefined && input.retry_on === undefined) return undefined;
  return {
    retries: input.retries ?? base.retries, delay: input.retry_delay ?? base.delay, backoff: input.retry_backoff ?? base.backoff,
    maxDelay: input.retry_max_delay ?? base.maxDelay, on: input.retry_on ?? base.on,
  };
}

function toPatch(input: Input) {
  return {
    image: input.image, type: input.type, format: input.format, memory: input.memory, timeout: input.timeout,
    idleTimeout: input.idle_timeout, maxConcurrency: input.max_concurrency, headers: input.headers,
    config: input.config, isPublic: input.is_public, onSuccess: input.on_success, onFailure: input.on_failure,
    minHot: input.min_hot,
    priority: input.priority,
    keepInput: input.keep_input,
  };
}

// What turns a code route back into an image route.
const NO_CODE = { runtime: null, entry: null, calling: null, codeDigest: null, codeFile: null };

/** Use cases on routes; storage through RouteStore. */
export class RouteService {
  /** The request schemas under this deployment's limits (also the OpenAPI document's). */
  readonly createSchema;
  readonly updateSchema;

  /** `onChange` hears of every route written (created, updated or deleted). */
  constructor(private readonly deps: {
    routeStore: RouteStore; appStore: Pick<AppStore, 'get'>; limits: RouteLimits; onChange?: (route: RouteScope) => void;
    /** Registries images may name; default: any. */
    registries?: Pick<RegistryPolicy, 'refusal'>;
    /** Functions from code (docs/runtimes.md); without it, routes must name an image. */
    code?: CodeRoutes;
    packages?: Pick<PackageStore, 'get'>;
    /** The packages of a route's published versions, freed with the route (they go with it). */
    versionDigests?: (routeId: string) => Promise<Array<string | null | undefined>>;
  }) {
    const fields = fieldSchemas(deps.limits);
    this.createSchema = z.strictObject({
      ...Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, s.optional()])),
      path: routePathSchema,
    }) as unknown as z.ZodType<Input & { path: string }>;
    this.updateSchema = z.strictObject({
      ...Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, s.optional()])),
      path: z.string().optional(),
    }) as unknown as z.ZodType<Input & { path?: string }>;
  }

  /** The app's routes; throws NotFoundError FRESCO_APP_NOT_FOUND when there is no such app. */
  async list(projectId: string, appName: string): Promise<Route[]> {
    await this.requireApp(projectId, appName);
    return this.deps.routeStore.list(projectId, appName);
  }

  /** Returns the route or throws NotFoundError FRESCO_ROUTE_NOT_FOUND. */
  async get(projectId: string, appName: string, path: string): Promise<Route> {
    const route = await this.deps.routeStore.get(projectId, appName, path);
    if (!route) throw routeNotFound(appName, path);
    return route;
  }

  /** Body `{"route": {path, image, ...}}`, or `{path, runtime, entry, code}` for a function from
   *  code (the package may come as `upload` instead); defaults of docs/api.md (Routes) fill the rest. */
  async create(projectId: string, appName: string, body: unknown, upload?: Upload): Promise<Route> {
    // FRESCO_APP_NOT_FOUND comes before any complaint about the body.
    await this.requireApp(projectId, appName);
    const example = '{"route": {"path": "/hello", "image": "hello:latest"}}';
    const input = parseInput(this.createSchema, enveloped(body, 'route', example), 'route');
    const code = await this.codeSide(projectId, input, upload, 'route.');
    if (!code && input.image === undefined) {
      throw requestInvalid('route.image: required (or runtime, entry and code for a function from code, docs/runtimes.md)');
    }
    if (input.image !== undefined) this.checkRegistry(input.image, 'route.');
    const p = toPatch(input);
    await this.checkChain(projectId, { app: appName, path: input.path }, p, {}, 'route.');
    let route: Route | undefined;
    try {
      route = await this.deps.routeStore.create({
      projectId, appName, path: input.path, image: code ? '' : input.image!, ...code, type: p.type ?? 'sync', format: code ? 'json' : p.format ?? 'default',
      memory: p.memory ?? 128, timeout: p.timeout ?? Math.min(30, this.deps.limits.maxTimeout),
      idleTimeout: p.idleTimeout ?? 30, maxConcurrency: p.maxConcurrency ?? 1, headers: p.headers ?? {},
      config: p.config ?? {}, isPublic: p.isPublic ?? false, minHot: p.minHot ?? 0, priority: p.priority ?? DEFAULT_PRIORITY, keepInput: p.keepInput ?? false, retry: retryOf(input, DEFAULT_RETRY) ?? DEFAULT_RETRY,
      onSuccess: p.onSuccess ?? null, onFailure: p.onFailure ?? null,
      });
    } finally {
      if (!route && code) await this.deps.code?.release(projectId, code.codeDigest);
    }
    // The app was deleted since requireApp.
    if (!route) throw appNotFound(appName);
    this.deps.onChange?.({ projectId, appName, path: route.path });
    return route;
  }

  /** Body: flat fields or `{"route": {...}}`; the path cannot change. Setting `image` turns a code
   *  route into an image route; code fields (or `upload`) turn an image route into a code route. */
  async update(projectId: string, appName: string, path: string, body: unknown, upload?: Upload): Promise<Route> {
    const { value, root } = unwrap(body, 'route');
    const prefix = root ? 'route.' : '';
    const input = parseInput(this.updateSchema, value, root);
    if (input.path !== undefined && input.path !== path) {
      throw requestInvalid(`${prefix}path: a route's path cannot change`);
    }
    if (input.image !== undefined) this.checkRegistry(input.image, prefix);
    const wantsCode = Boolean(this.deps.code?.wants(input, upload)) || Boolean(upload);
    const wantsRetry = Boolean(retryOf(input, DEFAULT_RETRY));
    const wantsChain = input.on_success !== undefined || input.on_failure !== undefined;
    const current = wantsCode || wantsRetry || wantsChain || input.image !== undefined || input.format !== undefined
      ? await this.get(projectId, appName, path) : undefined;
    // Retry fields not given keep the route's current values.
    const retry = wantsRetry && current ? retryOf(input, current.retry ?? DEFAULT_RETRY) : undefined;
    const code = current && (wantsCode || (current.runtime && input.image === undefined))
      ? await this.codeSide(projectId, input, upload, prefix, current) : undefined;
    const imagePatch = current?.runtime && !code ? NO_CODE : {};
    if (wantsChain && current) await this.checkChain(projectId, { app: appName, path }, toPatch(input), current, prefix);
    let route: Route | undefined;
    try {
      route = await this.deps.routeStore.update(projectId, appName, path,
        { ...toPatch(input), retry, ...imagePatch, ...(code ? { ...code, image: '', format: 'json' as const } : {}) });
    } finally {
      if (code && code.codeDigest !== current?.codeDigest) await this.deps.code?.release(projectId, route ? current?.codeDigest : code.codeDigest);
    }
    if (current?.codeDigest && !code) await this.deps.code?.release(projectId, current.codeDigest);
    this.deps.onChange?.({ projectId, appName, path });
    if (!route) throw routeNotFound(appName, path);
    return route;
  }

  async delete(projectId: string, appName: string, path: string): Promise<void> {
    const current = this.deps.code ? await this.deps.routeStore.get(projectId, appName, path) : undefined;
    const versions = current && this.deps.versionDigests ? await this.deps.versionDigests(current.id) : [];
    const deleted = await this.deps.routeStore.delete(projectId, appName, path);
    this.deps.onChange?.({ projectId, appName, path });
    if (!deleted) {
      throw routeNotFound(appName, path);
    }
    if (current?.codeDigest || versions.some(Boolean)) await this.deps.code?.release(projectId, current?.codeDigest, ...versions);
  }

  /** A code route's package as uploaded; FRESCO_ROUTE_NOT_FOUND, FRESCO_PACKAGE_NOT_FOUND for an image route. */
  async download(projectId: string, appName: string, path: string): Promise<{ name: string; content: Buffer }> {
    const route = await this.get(projectId, appName, path);
    if (!route.codeDigest || !this.deps.packages) throw packageNotFound(path);
    const content = await this.deps.packages.get(projectId, route.codeDigest);
    if (!content) throw packageCorrupt(route.codeDigest);
    return { name: route.codeFile ?? `${path.split('/').pop() || 'code'}.zip`, content };
  }

  // The code fields of a function from code, its package checked and stored; undefined for an image route.
  private async codeSide(projectId: string, input: Input, upload: Upload | undefined, prefix: string, current?: Route): Promise<CodeFields | undefined> {
    const wants = upload !== undefined || input.runtime !== undefined || input.entry !== undefined
      || input.calling !== undefined || input.code !== undefined || Boolean(current?.runtime);
    if (!wants) return undefined;
    if (!this.deps.code) throw requestInvalid(`${prefix}runtime: functions from code are not enabled on this deployment`);
    if (input.image !== undefined && (!current || input.runtime !== undefined || input.code !== undefined || upload)) {
      throw requestInvalid(`${prefix}image: a route runs either an image or code (runtime, entry, code), not both`);
    }
    if (input.format !== undefined && input.format !== 'json') {
      throw requestInvalid(`${prefix}format: a function from code speaks its runtime's format ("json")`);
    }
    return this.deps.code.prepare(projectId, input, upload, prefix, current);
  }

  /**
   * The links given (over the route's `current` ones) name routes of the project and close no cycle:
   * 400 FRESCO_CHAIN_TARGET_NOT_FOUND naming the field, 409 FRESCO_CHAIN_CYCLE naming the cycle.
   */
  private async checkChain(projectId: string, from: { app: string; path: string }, given: ChainLinks, current: ChainLinks,
    prefix: string): Promise<void> {
    if (given.onSuccess === undefined && given.onFailure === undefined) return;
    const links = { onSuccess: given.onSuccess ?? (given.onSuccess === null ? null : current.onSuccess),
      onFailure: given.onFailure ?? (given.onFailure === null ? null : current.onFailure) };
    const fields: Array<[ChainField, string | null | undefined]> = [['on_success', given.onSuccess], ['on_failure', given.onFailure]];
    for (const [field, target] of fields) {
      if (!target) continue;
      const ref = chainTarget(target, from.app)!;
      const self = ref.app === from.app && ref.path === from.path;
      if (!self && !(await this.deps.routeStore.get(projectId, ref.app, ref.path))) throw chainTargetNotFound(prefix + field, routeName(ref));
    }
    const cycle = findCycle(await this.deps.routeStore.chainNodes(projectId), from, links);
    if (!cycle) return;
    const first = fields.find(([, t]) => t && routeName(chainTarget(t, from.app)!) === cycle[1]);
    throw chainCycle(prefix + (first?.[0] ?? fields.find(([, t]) => t)![0]), cycle);
  }

  // FRESCO_REQUEST_INVALID naming the option when the image's registry is not allowed.
  private checkRegistry(image: string, prefix: string): void {
    const refusal = this.deps.registries?.refusal(image);
    if (refusal) throw requestInvalid(`${prefix}image: ${refusal}`);
  }

  /** The one check that an app exists, for the use cases on its routes. */
  private async requireApp(projectId: string, appName: string): Promise<void> {
    if (!(await this.deps.appStore.get(projectId, appName))) throw appNotFound(appName);
  }
}
