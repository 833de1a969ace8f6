import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { requestInvalid, routeNotFound, triggerNotFound } from '../errors';
import type { RouteStore, Trigger, TriggerPatch, TriggerStore, TriggerType } from '../domain/models';
import { booleanish, enveloped, nameSchema, parseInput, routePathSchema, unwrap } from './validation';

/** Per-type rules from the events layer: filter validation and schedule checks. */
export interface TriggerRules {
  /** Returns the normalised filter or throws ValidationError naming the field (under `trigger.filter`). */
  parseFilter(type: TriggerType, filter: unknown): Record<string, unknown>;
  /** Returns an error message for a bad cron expression or time zone, undefined when valid. */
  checkSchedule(expr: string, timezone: string): string | undefined;
}

const base = {
  name: nameSchema,
  app: nameSchema,
  route: routePathSchema,
  filter: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
  schedule: z.string({ error: 'must be a string' }).min(1).max(255),
  timezone: z.string({ error: 'must be a string' }).min(1).max(64),
  enabled: booleanish,
  // What each firing runs (docs/api.md, "Versions and aliases"): a published version (0: the route as it
  // is now) or an alias, looked up at the firing; null clears it.
  version: z.int({ error: 'must be a whole number (a published version; 0: the route as it is now)' })
    .min(0, 'must be at least 0').max(999_999_999).nullable(),
  alias: nameSchema.nullable(),
};

export const createSchema = z.strictObject({
  ...base,
  type: z.enum(['swift', 'notification', 'alarm', 'schedule'], { error: 'must be swift, notification, alarm or schedule' }),
  filter: base.filter.optional(), schedule: base.schedule.optional(), timezone: base.timezone.optional(),
  enabled: base.enabled.optional(), version: base.version.optional(), alias: base.alias.optional(),
});

export const updateSchema = z.strictObject({
  name: base.name.optional(), app: base.app.optional(), route: base.route.optional(), filter: base.filter.optional(),
  schedule: base.schedule.optional(), timezone: base.timezone.optional(), enabled: base.enabled.optional(),
  version: base.version.optional(), alias: base.alias.optional(), type: z.string().optional(),
});

// A version and an alias are two ways to say what runs: one of them (a null or 0 is none).
function oneTarget(input: { version?: number | null; alias?: string | null }, prefix: string): void {
  if (input.version && input.alias) {
    throw requestInvalid(`${prefix}version, ${prefix}alias: give one of them, not both (an alias names a version)`);
  }
}

/** What a Qinling job adds to a schedule trigger (docs/qinling.md): a start time (a one-shot without
 *  a schedule), a number of firings, the calls' body, an end. Not part of Fresco's trigger body. */
export type JobFields = Pick<TriggerPatch, 'startAt' | 'remaining' | 'input' | 'ended'>;

/** Use cases on triggers (docs/api.md, Triggers). */
export class TriggerService {
  constructor(private readonly deps: {
    triggerStore: TriggerStore; routeStore: RouteStore; rules: TriggerRules;
    /** Called after a project's triggers changed (the event matcher's cache in this process). */
    onChange?: (projectId: string) => void;
  }) {}

  list(projectId: string): Promise<Trigger[]> {
    return this.deps.triggerStore.list(projectId);
  }

  /** Throws NotFoundError FRESCO_TRIGGER_NOT_FOUND. */
  async get(projectId: string, id: string): Promise<Trigger> {
    const t = await this.deps.triggerStore.get(projectId, id);
    if (!t) throw triggerNotFound(id);
    return t;
  }

  /** Body `{"trigger": {...}}`; the route must exist in the project. */
  async create(projectId: string, body: unknown, job?: JobFields): Promise<Trigger> {
    const example = '{"trigger": {"name": "t", "type": "swift", "app": "a", "route": "/r"}}';
    const input = parseInput(createSchema, enveloped(body, 'trigger', example), 'trigger');
    const timezone = input.type === 'schedule' ? input.timezone ?? 'UTC' : undefined;
    // A job with a start time and no schedule fires once, at its start.
    if (!(job?.startAt && input.type === 'schedule' && input.schedule === undefined)) {
      this.checkScheduleFields(input.type, input.schedule, timezone, input.timezone);
    }
    oneTarget(input, 'trigger.');
    await this.checkRoute(projectId, input.app, input.route);
    const created = await this.deps.triggerStore.create({
      projectId, name: input.name, type: input.type, app: input.app, route: input.route,
      version: input.version || undefined, alias: input.alias ?? undefined,
      filter: this.deps.rules.parseFilter(input.type, input.filter ?? {}), schedule: input.schedule, timezone,
      secret: input.type === 'alarm' ? randomBytes(24).toString('base64url') : undefined, enabled: input.enabled ?? true,
      ...(job ? {
        startAt: job.startAt ?? undefined, remaining: job.remaining ?? undefined, input: job.input ?? undefined, ended: job.ended ?? undefined,
      } : {}),
    });
    this.deps.onChange?.(projectId);
    return created;
  }

  /** Body: flat fields or `{"trigger": {...}}`; the type cannot change. */
  async update(projectId: string, id: string, body: unknown, job?: JobFields): Promise<Trigger> {
    const current = await this.get(projectId, id);
    const { value, root } = unwrap(body, 'trigger');
    const input = parseInput(updateSchema, value, root);
    if (input.type !== undefined && input.type !== current.type) {
      throw requestInvalid(`${root ? 'trigger.' : ''}type: a trigger's type cannot change`);
    }
    oneTarget(input, root ? 'trigger.' : '');
    if (input.schedule !== undefined || input.timezone !== undefined) {
      this.checkScheduleFields(current.type, input.schedule ?? current.schedule, input.timezone ?? current.timezone, input.timezone);
    }
    if (input.app !== undefined || input.route !== undefined) {
      await this.checkRoute(projectId, input.app ?? current.app, input.route ?? current.route);
    }
    const filter = input.filter === undefined ? undefined : this.deps.rules.parseFilter(current.type, input.filter);
    const updated = await this.deps.triggerStore.update(projectId, id, { ...input, type: undefined, filter, ...job } as never);
    if (!updated) throw triggerNotFound(id);
    this.deps.onChange?.(projectId);
    return updated;
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.deps.triggerStore.delete(projectId, id))) {
      throw triggerNotFound(id);
    }
    this.deps.onChange?.(projectId);
  }

  private checkScheduleFields(type: TriggerType, schedule?: string, timezone?: string, givenTz?: string): void {
    if (type !== 'schedule') {
      if (schedule !== undefined || givenTz !== undefined) {
        throw requestInvalid('trigger.schedule: only schedule triggers take a schedule and timezone');
      }
      return;
    }
    if (!schedule) throw requestInvalid('trigger.schedule: required for a schedule trigger, e.g. "*/5 * * * *"');
    const problem = this.deps.rules.checkSchedule(schedule, timezone ?? 'UTC');
    if (problem) throw requestInvalid(problem);
  }

  private async checkRoute(projectId: string, app: string, route: string): Promise<void> {
    if (!(await this.deps.routeStore.get(projectId, app, route))) {
      throw routeNotFound(app, route, 'trigger.route');
    }
  }
}
