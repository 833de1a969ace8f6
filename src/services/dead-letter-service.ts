import { z } from 'zod';
import { callDuplicate, deadLetterNotFound, deadLetterRedriven, deadLetterRouteGone, requestInvalid, routeNotFound } from '../errors';
import { DEAD_LETTER_KINDS, type DeadLetter, type DeadLetterFilter, type DeadLetterStore } from '../domain/dead-letter';
import type { Call } from '../domain/models';
import type { InvokeService } from './invoke-service';
import type { RouteResolver } from './route-resolver';
import { parseInput } from './validation';

const when = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });
const filterFields = {
  app: z.string().max(255).optional(),
  route: z.string().max(1024).optional(),
  kind: z.enum(DEAD_LETTER_KINDS).optional(),
  since: when.optional(),
  until: when.optional(),
};
export const listSchema = z.strictObject({
  ...filterFields,
  redriven: z.enum(['true', 'false']).optional(),
  marker: z.string().max(512).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
});
export const redriveSchema = z.strictObject({
  ...filterFields,
  all: z.boolean().optional(),
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
});
export const purgeSchema = z.strictObject({
  ...filterFields,
  all: z.boolean().optional(),
  older_than: z.number().int('must be a whole number of seconds').min(0, 'must be at least 0').optional(),
});

type FilterInput = { app?: string; route?: string; kind?: DeadLetter['kind']; since?: string; until?: string };

function toFilter(q: FilterInput): DeadLetterFilter {
  return {
    app: q.app, route: q.route && (q.route.startsWith('/') ? q.route : `/${q.route}`), kind: q.kind,
    since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined,
  };
}

const hasFilter = (q: FilterInput & { older_than?: number }) =>
  [q.app, q.route, q.kind, q.since, q.until, q.older_than].some((v) => v !== undefined);

/** The outcome of redriving one dead letter in a set. */
export type RedriveResult = { id: string; callId: string } | { id: string; error: { code: string; message: string } };

/** Lists, redrives and purges a project's dead letters (docs/api.md, "Dead letters"). */
export class DeadLetterService {
  constructor(private readonly deps: { store: DeadLetterStore; resolver: RouteResolver; invoker: InvokeService }) {}

  /** Filters from the query string; throws ValidationError naming the parameter. */
  list(projectId: string, query: unknown) {
    const q = parseInput(listSchema, query);
    return this.deps.store.list(projectId, {
      ...toFilter(q), redriven: q.redriven === undefined ? undefined : q.redriven === 'true',
      marker: q.marker, limit: q.limit ?? 50,
    });
  }

  /** Throws NotFoundError FRESCO_DEADLETTER_NOT_FOUND (also for another project's). */
  async get(projectId: string, id: string): Promise<DeadLetter> {
    const d = await this.deps.store.get(projectId, id);
    if (!d) throw deadLetterNotFound(id);
    return d;
  }

  /**
   * Queues a new async call with the dead letter's input, linked to it (`redrive_of`), and marks it
   * redriven. Throws 404 FRESCO_DEADLETTER_NOT_FOUND, 409 FRESCO_DEADLETTER_REDRIVEN, 409
   * FRESCO_DEADLETTER_ROUTE_GONE (naming the route).
   */
  async redrive(projectId: string, id: string): Promise<{ deadLetter: DeadLetter; call: Call }> {
    const d = await this.get(projectId, id);
    if (d.redriveCallId) throw deadLetterRedriven(d.id, d.redriveCallId);
    let target;
    try {
      target = await this.deps.resolver.private(projectId, d.app, d.route);
    } catch (err) {
      if (routeNotFound.is(err)) throw deadLetterRouteGone(d.app, d.route);
      throw err;
    }
    // The call is recorded and the dead letter marked in one transaction: two racing redrives run it once.
    const trigger = d.trigger === 'http' ? 'async' : d.trigger;
    try {
      const { call } = await this.deps.invoker.accept(target, { ...d.input, trigger, triggerId: d.triggerId, redriveOf: d.id });
      return { deadLetter: { ...d, redrivenAt: new Date(), redriveCallId: call.id }, call };
    } catch (err) {
      if (!callDuplicate.is(err)) throw err;
      throw deadLetterRedriven(id, (await this.get(projectId, id)).redriveCallId ?? '');
    }
  }

  /**
   * Redrives the dead letters not redriven yet that match the body's filters (or all of them with
   * `all: true`; an empty body is refused), oldest first, up to `limit` (default 100). Each item's
   * result says its new call or why it was not redriven (e.g. its route is gone).
   */
  async redriveMany(projectId: string, body: unknown): Promise<{ results: RedriveResult[]; more: boolean }> {
    const q = parseInput(redriveSchema, body ?? {});
    if (!q.all && !hasFilter(q)) throw requestInvalidBody('redrive');
    const limit = q.limit ?? 100;
    const page = await this.deps.store.list(projectId, { ...toFilter(q), redriven: false, limit });
    const results: RedriveResult[] = [];
    for (const d of page.deadLetters.reverse()) {
      try {
        results.push({ id: d.id, callId: (await this.redrive(projectId, d.id)).call.id });
      } catch (err) {
        const e = err as { code?: string; message: string; expose?: boolean };
        if (!e.code || e.expose === false) throw err;
        results.push({ id: d.id, error: { code: e.code, message: e.message } });
      }
    }
    return { results, more: page.next !== null };
  }

  /** Throws NotFoundError FRESCO_DEADLETTER_NOT_FOUND. */
  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.deps.store.delete(projectId, id))) throw deadLetterNotFound(id);
  }

  /** Deletes the dead letters matching the body's filters and `older_than` (seconds), or all with `all: true`; returns how many. */
  async purge(projectId: string, body: unknown): Promise<number> {
    const q = parseInput(purgeSchema, body ?? {});
    if (!q.all && !hasFilter(q)) throw requestInvalidBody('purge');
    const olderThan = q.older_than === undefined ? undefined : new Date(Date.now() - q.older_than * 1000);
    return this.deps.store.purge(projectId, { ...toFilter(q), olderThan });
  }
}

function requestInvalidBody(what: string) {
  return requestInvalid(`body: name the dead letters to ${what} (app, route, kind, since, until${what === 'purge' ? ', older_than' : ''}) or send "all": true`);
}
