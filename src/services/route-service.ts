import { z } from 'zod';
import { appNotFound, requestInvalid, routeNotFound } from '../errors';
import type { RouteScope } from '../domain/executor';
import { AppStore, Route, RouteStore } from '../domain/models';
import { DEFAULT_RETRY, RETRY_OUTCOMES, type RetryPolicy } from '../domain/retry';
import type { RegistryPolicy } from '../domain/registry-policy';
import { booleanish, configSchema, enveloped, intIn, parseInput, routePathSchema, unwrap } from './validation';

// Route rules: the fields and defaults of docs/api.md (Routes), limits from the deployment's configuration.

export interface RouteLimits {
  maxTimeout: number;
  maxMemory: number;
}

const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

const headersSchema = z.record(
  z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/, 'header names must be HTTP tokens'),
  z.array(z.string().max(8192).regex(/^[^\r\n]*$/, 'header values must be one line')),
);

function fieldSchemas(limits: RouteLimits) {
  return {
    image: z.string({ error: 'must be a string' }).max(1024).regex(IMAGE, 'must be a Docker image reference such as "repo/name:tag"'),
    type: z.enum(['sync', 'async'], { error: 'must be "sync" or "async"' }),
    format: z.enum(['default', 'http', 'json'], { error: 'must be "default", "http" or "json"' }),
    memory: intIn(16, limits.maxMemory),
    timeout: intIn(1, limits.maxTimeout),
    idle_timeout: intIn(1, 3600),
    max_concurrency: intIn(1, 1024),
    headers: headersSchema,
    config: configSchema,
    is_public: booleanish,
    retries: intIn(0, 10),
    retry_delay: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(3600, 'must be at most 3600'),
    retry_backoff: z.number({ error: 'must be a number' }).min(1, 'must be at least 1').max(10, 'must be at most 10'),
    retry_max_delay: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(86400, 'must be at most 86400'),
    retry_on: z.array(z.enum(RETRY_OUTCOMES, { error: 'must list "error" and/or "timeout"' }), { error: 'must be a list' })
      .max(2).transform((l) => [...new Set(l)]),
  };
}

type Input = Partial<z.output<z.ZodObject<ReturnType<typeof fieldSchemas>>>>;

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
    config: input.config, isPublic: input.is_public,
  };
}

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
  }) {
    const fields = fieldSchemas(deps.limits);
    this.createSchema = z.strictObject({
      ...Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, s.optional()])),
      path: routePathSchema,
      image: fields.image,
    }) as unknown as z.ZodType<Input & { path: string; image: string }>;
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

  /** Body `{"route": {path, image, ...}}`; defaults of docs/api.md (Routes) fill the rest. */
  async create(projectId: string, appName: string, body: unknown): Promise<Route> {
    // FRESCO_APP_NOT_FOUND comes before any complaint about the body.
    await this.requireApp(projectId, appName);
    const example = '{"route": {"path": "/hello", "image": "hello:latest"}}';
    const input = parseInput(this.createSchema, enveloped(body, 'route', example), 'route');
    this.checkRegistry(input.image, 'route.');
    const p = toPatch(input);
    const route = await this.deps.routeStore.create({
      projectId, appName, path: input.path, image: input.image, type: p.type ?? 'sync', format: p.format ?? 'default',
      memory: p.memory ?? 128, timeout: p.timeout ?? Math.min(30, this.deps.limits.maxTimeout),
      idleTimeout: p.idleTimeout ?? 30, maxConcurrency: p.maxConcurrency ?? 1, headers: p.headers ?? {},
      config: p.config ?? {}, isPublic: p.isPublic ?? false, retry: retryOf(input, DEFAULT_RETRY) ?? DEFAULT_RETRY,
    });
    // The app was deleted since requireApp.
    if (!route) throw appNotFound(appName);
    this.deps.onChange?.({ projectId, appName, path: route.path });
    return route;
  }

  /** Body: flat fields or `{"route": {...}}`; the path cannot change. */
  async update(projectId: string, appName: string, path: string, body: unknown): Promise<Route> {
    const { value, root } = unwrap(body, 'route');
    const input = parseInput(this.updateSchema, value, root);
    if (input.path !== undefined && input.path !== path) {
      throw requestInvalid(`${root ? 'route.' : ''}path: a route's path cannot change`);
    }
    if (input.image !== undefined) this.checkRegistry(input.image, root ? 'route.' : '');
    let retry: RetryPolicy | undefined;
    if (retryOf(input, DEFAULT_RETRY)) {
      // Fields not given keep the route's current values.
      const current = await this.deps.routeStore.get(projectId, appName, path);
      if (!current) throw routeNotFound(appName, path);
      retry = retryOf(input, current.retry ?? DEFAULT_RETRY);
    }
    const route = await this.deps.routeStore.update(projectId, appName, path, { ...toPatch(input), retry });
    this.deps.onChange?.({ projectId, appName, path });
    if (!route) throw routeNotFound(appName, path);
    return route;
  }

  async delete(projectId: string, appName: string, path: string): Promise<void> {
    const deleted = await this.deps.routeStore.delete(projectId, appName, path);
    this.deps.onChange?.({ projectId, appName, path });
    if (!deleted) {
      throw routeNotFound(appName, path);
    }
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
