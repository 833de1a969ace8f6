import { randomUUID } from 'node:crypto';
import { routeExists, routePublicUrlTaken } from '../errors';
import { NewRoute, Route, RoutePatch, RouteStore } from '../domain/models';
import type { RetryOutcome } from '../domain/retry';
import type { ChainNode } from '../domain/chain';
import { Db } from './db';
import { DEFAULT_PRIORITY } from '../domain/priority';
import { isUniqueViolation } from './pg-errors';

interface RouteRow {
  id: string; app_id: string; project_id: string; app_name: string; path: string; image: string;
  type: Route['type']; format: Route['format']; memory: number; timeout: number; idle_timeout: number;
  max_concurrency: number; headers: Route['headers']; config: Route['config']; is_public: boolean;
  runtime: string | null; entry: string | null; calling: Route['calling']; code_digest: string | null; code_file: string | null;
  on_success: string | null; on_failure: string | null;
  retries: number; retry_delay: number; retry_backoff: number; retry_max_delay: number; retry_on: RetryOutcome[];
  min_hot: number;
  priority?: number;
  keep_input?: boolean;
  created_at: Date; updated_at: Date;
}

const toRoute = (r: RouteRow): Route => ({
  id: r.id, appId: r.app_id, projectId: r.project_id, appName: r.app_name, path: r.path, image: r.image,
  type: r.type, format: r.format, memory: r.memory, timeout: r.timeout, idleTimeout: r.idle_timeout,
  maxConcurrency: r.max_concurrency, headers: r.headers ?? {}, config: r.config ?? {}, isPublic: r.is_public,
  runtime: r.runtime, entry: r.entry, calling: r.calling, codeDigest: r.code_digest, codeFile: r.code_file,
  retry: {
    retries: r.retries, delay: Number(r.retry_delay), backoff: Number(r.retry_backoff), maxDelay: Number(r.retry_max_delay),
    on: r.retry_on,
  },
  onSuccess: r.on_success ?? null, onFailure: r.on_failure ?? null,
  minHot: r.min_hot ?? 0,
  priority: r.priority ?? DEFAULT_PRIORITY,
  keepInput: r.keep_input ?? false,
  createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

const COLUMNS: Record<Exclude<keyof RoutePatch, 'retry'>, string> = {
  image: 'image', type: 'type', format: 'format', memory: 'memory', timeout: 'timeout',
  idleTimeout: 'idle_timeout', maxConcurrency: 'max_concurrency', headers: 'headers', config: 'config',
  isPublic: 'is_public', runtime: 'runtime', entry: 'entry', calling: 'calling', codeDigest: 'code_digest', codeFile: 'code_file',
  onSuccess: 'on_success', onFailure: 'on_failure',
  minHot: 'min_hot',
  priority: 'priority',
  keepInput: 'keep_input',
};

function toColumns(patch: RoutePatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (patch.retry) {
    Object.assign(out, {
      retries: patch.retry.retries, retry_delay: patch.retry.delay, retry_backoff: patch.retry.backoff,
      retry_max_delay: patch.retry.maxDelay, retry_on: JSON.stringify(patch.retry.on),
    });
  }
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = patch[key as keyof RoutePatch];
    if (value === undefined) continue;
    out[column] = typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
  }
  return out;
}

function conflict(err: unknown, route: { appName: string; path: string }): never {
  if (isUniqueViolation(err, 'routes_public_url')) {
    throw routePublicUrlTaken(route.appName, route.path);
  }
  if (isUniqueViolation(err)) {
    throw routeExists(route.appName, route.path);
  }
  throw err;
}

/** The knex implementation of RouteStore. */
export class KnexRouteStore implements RouteStore {
  constructor(private readonly db: Db) {}

  async list(projectId: string, appName: string): Promise<Route[]> {
    const rows = await this.db<RouteRow>('routes').where({ project_id: projectId, app_name: appName }).orderBy('path');
    return rows.map(toRoute);
  }

  /** Every route with a min_hot, of any project (an engine starts their containers when it starts). */
  async listMinHot(): Promise<Route[]> {
    return (await this.db<RouteRow>('routes').where('min_hot', '>', 0).orderBy(['project_id', 'app_name', 'path'])).map(toRoute);
  }

  /** The routes of every project's app named `appName` (the Qinling API's all_projects). */
  async listAllProjects(appName: string): Promise<Route[]> {
    const rows = await this.db<RouteRow>('routes').where({ app_name: appName }).orderBy(['project_id', 'path']);
    return rows.map(toRoute);
  }

  async get(projectId: string, appName: string, path: string): Promise<Route | undefined> {
    const row = await this.db<RouteRow>('routes').where({ project_id: projectId, app_name: appName, path }).first();
    return row && toRoute(row);
  }

  async getPublic(appName: string, path: string): Promise<Route | undefined> {
    const row = await this.db<RouteRow>('routes').where({ app_name: appName, path, is_public: true }).first();
    return row && toRoute(row);
  }

  async existsAnywhere(appName: string, path: string): Promise<boolean> {
    return Boolean(await this.db('routes').where({ app_name: appName, path }).first('id'));
  }

  async create(route: NewRoute): Promise<Route | undefined> {
    const app = await this.db('apps').where({ project_id: route.projectId, name: route.appName }).first('id');
    if (!app) return undefined;
    const now = new Date();
    const row = {
      id: randomUUID(), app_id: app.id, project_id: route.projectId, app_name: route.appName, path: route.path,
      ...toColumns(route), created_at: now, updated_at: now,
    };
    try {
      const [created] = await this.db<RouteRow>('routes').insert(row as never).returning('*');
      return toRoute(created as RouteRow);
    } catch (err) {
      return conflict(err, route);
    }
  }

  async update(projectId: string, appName: string, path: string, patch: RoutePatch): Promise<Route | undefined> {
    try {
      const [row] = await this.db<RouteRow>('routes').where({ project_id: projectId, app_name: appName, path })
        .update({ ...toColumns(patch), updated_at: new Date() } as never).returning('*');
      return row && toRoute(row as RouteRow);
    } catch (err) {
      return conflict(err, { appName, path });
    }
  }

  async chainNodes(projectId: string): Promise<ChainNode[]> {
    const rows = await this.db('routes').where({ project_id: projectId })
      .where((q) => q.whereNotNull('on_success').orWhereNotNull('on_failure')).select('app_name', 'path', 'on_success', 'on_failure');
    return rows.map((r: Pick<RouteRow, 'app_name' | 'path' | 'on_success' | 'on_failure'>) => ({
      app: r.app_name, path: r.path, onSuccess: r.on_success, onFailure: r.on_failure,
    }));
  }

  async delete(projectId: string, appName: string, path: string): Promise<boolean> {
    return (await this.db('routes').where({ project_id: projectId, app_name: appName, path }).delete().returning('id')).length > 0;
  }
}
