import { z } from 'zod';
import { callNotFound } from '../errors';
import { CALL_STATUSES } from '../domain/call';
import type { Call, CallAttempt, CallStore } from '../domain/models';
import type { LogFollower, RunningCalls } from './running-calls';
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

  async log(projectId: string, id: string): Promise<{ log: Buffer; truncated: boolean }> {
    const log = await this.deps.callStore.getLog(projectId, id);
    if (!log) throw callNotFound(id);
    return log;
  }

  /** A queued call never runs; a running one is killed by its process (at once if it runs here, else when its lease renewal fails). Finished calls are left as they are. */
  async cancel(projectId: string, id: string): Promise<Call> {
    const call = await this.deps.callStore.cancel(projectId, id);
    if (!call) throw callNotFound(id);
    if (call.status === 'cancelled') this.deps.running.cancel(id);
    return call;
  }
}
