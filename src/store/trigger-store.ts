import { randomUUID } from 'node:crypto';
import { triggerExists } from '../errors';
import type { NewTrigger, Trigger, TriggerEnd, TriggerPatch, TriggerStore, TriggerType } from '../domain/models';
import { Db } from './db';
import { isUniqueViolation } from './pg-errors';

interface TriggerRow {
  id: string; project_id: string; name: string; type: TriggerType; app: string; route: string;
  filter: Record<string, unknown>; schedule: string | null; timezone: string | null; secret: string | null;
  enabled: boolean; last_fired_at: Date | null; created_at: Date; updated_at: Date;
  start_at: Date | null; remaining: number | null; input: string | null; ended: TriggerEnd | null;
}

const toTrigger = (r: TriggerRow): Trigger => ({
  id: r.id, projectId: r.project_id, name: r.name, type: r.type, app: r.app, route: r.route, filter: r.filter ?? {},
  schedule: r.schedule ?? undefined, timezone: r.timezone ?? undefined, secret: r.secret ?? undefined,
  enabled: r.enabled, lastFiredAt: r.last_fired_at ? new Date(r.last_fired_at) : undefined,
  startAt: r.start_at ? new Date(r.start_at) : undefined, remaining: r.remaining ?? undefined, input: r.input ?? undefined,
  ended: r.ended ?? undefined,
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
  return out;
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
      const [row] = await this.db<TriggerRow>('triggers').insert({
        id: randomUUID(), project_id: t.projectId, secret: t.secret ?? null, type: t.type, created_at: now, updated_at: now,
        ...columns(t),
      } as never).returning('*');
      return toTrigger(row as TriggerRow);
    } catch (err) {
      return conflict(err, t.name);
    }
  }

  async update(projectId: string, id: string, patch: TriggerPatch): Promise<Trigger | undefined> {
    if (!UUID.test(id)) return undefined;
    try {
      const [row] = await this.db<TriggerRow>('triggers').where({ project_id: projectId, id })
        .update({ ...columns(patch), updated_at: new Date() } as never).returning('*');
      return row && toTrigger(row as TriggerRow);
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
