import { z } from 'zod';
import { callNotFound, callNotReplayable, routeNotFound } from '../errors';
import { CALL_STATUSES } from '../domain/call';
import type { Call, CallAttempt, CallStore } from '../domain/models';
import type { LogFollower, RunningCalls } from './running-calls';
import type { InvokeService } from './invoke-service';
import type { RouteResolver } from './route-resolver';
import { parseInput } from './validation';

export const listSchema = z.strictObject({
  app: z.string().max(255).optional(),
  route: z.string().max(1024).optional(),
  status: z.enum(CALL_STATUSES).optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  marker: z.string().max(512).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000').optional(),
});

/** Reads and cancels call records (docs/api.md, Calls). */
export class CallService {
  constructor(private readonly deps: {
    callStore: CallStore; running: Pick<RunningCalls, 'cancel'> & Partial<Pick<RunningCalls, 'follow' | 'progress'>>;
    /** For replay: finds the call's route now and queues the new call. */
    resolver?: Pick<RouteResolver, 'private'>; invoker?: Pick<InvokeService, 'accept'>;
  }) {}

  /** Filters from the query string; throws ValidationError naming the parameter. */
  list(projectId: string, query: unknown): Promise<{ calls: Call[]; next: string | null }> {
    const q = parseInput(listSchema, query);
    return this.deps.callStore.list(projectId, {
      app: q.app, route: q.route && (q.route.startsWith('/') ? q.route : `/${q.route}`), status: q.status,
      since: q.since ? new Date(q.since) : undefined, marker: q.marker, limit: q.limit ?? 50,
    });
  }

  /** Throws NotFoundError FRESCO_CALL_NOT_FOUND. */
  async get(projectId: string, id: string): Promise<Call> {
    const call = await this.deps.callStore.get(projectId, id);
    if (!call) throw callNotFound(id);
    // A call running here: its latest progress, fresher than the one written with its lease.
    const p = call.status === 'running' ? this.deps.running.progress?.(id) : undefined;
    return p ? { ...call, progress: p.progress, progressMessage: p.message ?? undefined } : call;
  }

  /**
   * Follows call `id`'s log while it runs in this process (see RunningCalls.follow); undefined
   * when it does not run here. The caller checked the call is the project's (get()).
   */
  followHere(id: string, f: LogFollower): (() => void) | undefined {
    return this.deps.running.follow?.(id, f);
  }

  /** The attempts of a retried call, oldest first (empty for a call that ran once). */
  async attempts(projectId: string, id: string): Promise<CallAttempt[]> {
    return this.deps.callStore.attempts(projectId, id);
  }

  /** The chain call `id` belongs to, its root first (docs/api.md, "Chaining"); NotFoundError FRESCO_CALL_NOT_FOUND. */
  async lineage(projectId: string, id: string): Promise<Call[]> {
    const calls = await this.deps.callStore.lineage(projectId, id);
    if (!calls?.length) throw callNotFound(id);
    return calls;
  }

  async log(projectId: string, id: string): Promise<{ log: Buffer; truncated: boolean }> {
    const log = await this.deps.callStore.getLog(projectId, id);
    if (!log) throw callNotFound(id);
    return log;
  }

  /**
   * Runs a finished call again as a new async call with its kept input (async and trigger calls
   * keep it; sync calls only on keep_input routes), linked by `replayOf`. Throws 404 FRESCO_CALL_NOT_FOUND, 409
   * FRESCO_CALL_NOT_REPLAYABLE saying why (not finished, no input kept, route deleted).
   */
  async replay(projectId: string, id: string): Promise<Call> {
    const { resolver, invoker } = this.deps;
    const found = await this.deps.callStore.getWithRequest(projectId, id);
    if (!found || !resolver || !invoker) throw callNotFound(id);
    const { call, request } = found;
    if (call.status === 'queued' || call.status === 'running') throw callNotReplayable(call.id, `it is still ${call.status}`);
    if (!request) throw callNotReplayable(call.id, 'its input was not kept (a sync call; a route keeps its sync calls\' input with keep_input)');
    let target;
    try {
      target = await resolver.private(projectId, call.app, call.route);
    } catch (err) {
      if (routeNotFound.is(err)) throw callNotReplayable(call.id, `route ${call.route} of app "${call.app}" no longer exists`);
      throw err;
    }
    const trigger = call.trigger === 'http' ? 'async' : call.trigger;
    return (await invoker.accept(target, { ...request, trigger, triggerId: call.triggerId, replayOf: call.id })).call;
  }

  /** A queued call never runs; a running one is killed by its process (at once if it runs here, else when its lease renewal fails). Finished calls are left as they are. */
  async cancel(projectId: string, id: string): Promise<Call> {
    const call = await this.deps.callStore.cancel(projectId, id);
    if (!call) throw callNotFound(id);
    if (call.status === 'cancelled') this.deps.running.cancel(id);
    return call;
  }
}
