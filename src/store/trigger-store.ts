import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { routeAliasNotFound, routeNotFound, routeVersionNotFound, triggerExists } from '../errors';
import type { NewTrigger, Trigger, TriggerEnd, TriggerPatch, TriggerStore, TriggerType } from '../domain/models';
import { Db } from './db';
import { isUniqueViolation } from './pg-errors';

interface TriggerRow {
  id: string; project_id: string; name: string; type: TriggerType; app: string; route: string;
  filter: Record<string, unknown>; schedule: string | null; timezone: string | null; secret: string | null;
  enabled: boolean; last_fired_at: Date | null; created_at: Date; updated_at: Date;
  start_at: Date | null; remaining: number | null; input: string | null; ended: TriggerEnd | null;
  route_version: number | null; route_alias: string | null;
}

const toTrigger = (r: TriggerRow): Trigger => ({
  id: r.id, projectId: r.project_id, name: r.name, type: r.type, app: r.app, route: r.route, filter: r.filter ?? {},
  schedule: r.schedule ?? undefined, timezone: r.timezone ?? undefined, secret: r.secret ?? undefined,
  enabled: r.enabled, lastFiredAt: r.last_fired_at ? new Date(r.last_fired_at) : undefined,
  startAt: r.start_at ? new Date(r.start_at) : undefined, remaining: r.remaining ?? undefined, input: r.input ?? undefined,
  ended: r.ended ?? undefined, version: r.route_version ?? undefined, alias: r.route_alias ?? undefined,
  createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function columns(p: TriggerPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.name !== undefined) out.name = p.name;
  if (p.app !== undefined) out.app = p.app;
  if (p.route !== undefined) out.route = p.route;
  if (p.filter !== undefined) out.filter = JSON.stringify(p.filter);
  if (p.schedule !== undefined) out.schedule = p.schedule;
  if (p.timezone !== undefined) out.timezone = p.timezone;
  if (p.enabled !== undefined) out.enabled = p.enabled;
  if (p.startAt !== undefined) out.start_at = p.startAt;
  if (p.remaining !== undefined) out.remaining = p.remaining;
  if (p.input !== undefined) out.input = p.input;
  if (p.ended !== undefined) out.ended = p.ended;
  // One target at most: a version (0: the route as it is now) or an alias; setting one clears the other.
  if (p.version !== undefined) {
    out.route_version = p.version || null;
    if (p.version !== null) out.route_alias = null;
  }
  if (p.alias !== undefined) {
    out.route_alias = p.alias;
    if (p.alias !== null) out.route_version = null;
  }
  return out;
}

type Target = { projectId: string; app: string; route: string; version?: number | null; alias?: string | null };

/** Holds the version or alias `t` runs (FOR SHARE) until the transaction ends; throws when it is not there.
 *  Deleting a version or an alias locks its row FOR UPDATE and then looks for triggers (route-version-store). */
async function holdTarget(trx: Knex.Transaction, t: Target): Promise<void> {
  if (!t.version && !t.alias) return;
  const route = await trx('routes').where({ project_id: t.projectId, app_name: t.app, path: t.route }).first('id');
  if (!route) throw routeNotFound(t.app, t.route, 'trigger.route');
  if (t.version) {
    const v = await trx('route_versions').where({ route_id: route.id, number: t.version }).forShare().first('id');
    if (!v) throw routeVersionNotFound(t.route, t.version, 'trigger.version');
  } else {
    const a = await trx('route_aliases').where({ route_id: route.id, name: t.alias }).forShare().first('id');
    if (!a) throw routeAliasNotFound(t.route, t.alias!, 'trigger.alias');
  }
}

function conflict(err: unknown, name?: string): never {
  if (isUniqueViolation(err)) throw triggerExists(name);
  throw err;
}

/** The knex implementation of TriggerStore. */
export class KnexTriggerStore implements TriggerStore {
  constructor(private readonly db: Db) {}

  async list(projectId: string): Promise<Trigger[]> {
    return (await this.db<TriggerRow>('triggers').where({ project_id: projectId }).orderBy('name')).map(toTrigger);
  }

  /** Every project's triggers (the Qinling API's all_projects). */
  async listAllProjects(): Promise<Trigger[]> {
    return (await this.db<TriggerRow>('triggers').orderBy(['project_id', 'name'])).map(toTrigger);
  }

  async get(projectId: string, id: string): Promise<Trigger | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.db<TriggerRow>('triggers').where({ project_id: projectId, id }).first();
    return row && toTrigger(row);
  }

  async getById(id: string): Promise<Trigger | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.db<TriggerRow>('triggers').where({ id }).first();
    return row && toTrigger(row);
  }

  async listEnabled(types: TriggerType[], projectId?: string): Promise<Trigger[]> {
    const q = this.db<TriggerRow>('triggers').where({ enabled: true }).whereIn('type', types);
    if (projectId) q.where({ project_id: projectId });
    return (await q).map(toTrigger);
  }

  async create(t: NewTrigger): Promise<Trigger> {
    const now = new Date();
    try {
      return await this.db.transaction(async (trx) => {
        await holdTarget(trx, t);
        const [row] = await trx('triggers').insert({
          id: randomUUID(), project_id: t.projectId, secret: t.secret ?? null, type: t.type, created_at: now, updated_at: now,
          ...columns(t),
        }).returning('*');
        return toTrigger(row as TriggerRow);
      });
    } catch (err) {
      return conflict(err, t.name);
    }
  }

  async update(projectId: string, id: string, patch: TriggerPatch): Promise<Trigger | undefined> {
    if (!UUID.test(id)) return undefined;
    try {
      return await this.db.transaction(async (trx) => {
        const set = columns(patch);
        // What it runs is checked again only when the patch changes it.
        if (['app', 'route', 'route_version', 'route_alias'].some((c) => c in set)) {
          const current = await trx<TriggerRow>('triggers').where({ project_id: projectId, id }).forUpdate().first();
          if (!current) return undefined;
          const after = { ...current, ...set } as TriggerRow;
          await holdTarget(trx, { projectId, app: after.app, route: after.route, version: after.route_version, alias: after.route_alias });
        }
        const [row] = await trx('triggers').where({ project_id: projectId, id }).update({ ...set, updated_at: new Date() }).returning('*');
        return row && toTrigger(row as TriggerRow);
      });
    } catch (err) {
      return conflict(err, patch.name);
    }
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    return (await this.db('triggers').where({ project_id: projectId, id }).delete().returning('id')).length > 0;
  }

  async advanceFired(id: string, previous: Date | undefined, at: Date, countdown = false): Promise<boolean> {
    const q = this.db('triggers').where({ id });
    if (previous) q.where({ last_fired_at: previous });
    else q.whereNull('last_fired_at');
    const change: Record<string, unknown> = { last_fired_at: at };
    if (countdown) {
      change.remaining = this.db.raw('GREATEST(remaining - 1, 0)');
      change.ended = this.db.raw("CASE WHEN remaining IS NOT NULL AND remaining <= 1 THEN 'done' ELSE ended END");
      change.enabled = this.db.raw('CASE WHEN remaining IS NOT NULL AND remaining <= 1 THEN false ELSE enabled END');
    }
    return (await q.update(change).returning('id')).length > 0;
  }
}
