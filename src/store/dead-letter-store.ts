import { randomUUID } from 'node:crypto';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore, NewDeadLetter } from '../domain/dead-letter';
import type { CallRequest } from '../domain/models';
import { decodeMarker, encodeMarker, isUuid } from './call-store';
import type { Db } from './db';

/** dead_letters.input: a request with its body in base64, as calls.request keeps it. */
type InputColumn = Omit<CallRequest, 'body'> & { body: string };

interface Row {
  id: string; project_id: string; kind: DeadLetter['kind']; call_id: string | null; app: string; route: string;
  trigger: DeadLetter['trigger']; trigger_id: string | null; reason: string; error_code: string | null;
  error: string | null; attempts: number; input: InputColumn; created_at: Date; redriven_at: Date | null;
  redrive_call_id: string | null;
}

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: r.id, projectId: r.project_id, kind: r.kind, callId: r.call_id ?? undefined, app: r.app, route: r.route,
    trigger: r.trigger, triggerId: r.trigger_id ?? undefined, reason: r.reason, errorCode: r.error_code ?? undefined,
    error: r.error ?? undefined, attempts: r.attempts,
    input: { ...r.input, headers: r.input.headers ?? {}, body: Buffer.from(r.input.body ?? '', 'base64') },
    createdAt: new Date(r.created_at), redrivenAt: r.redriven_at ? new Date(r.redriven_at) : undefined,
    redriveCallId: r.redrive_call_id ?? undefined,
  };
}

/** The knex implementation of DeadLetterStore; a redrive's mark is written by KnexCallStore.enqueueRedrive, with its call. */
export class KnexDeadLetterStore implements DeadLetterStore {
  constructor(private readonly db: Db) {}

  async add(d: NewDeadLetter): Promise<boolean> {
    const rows = await this.db('dead_letters').insert({
      id: randomUUID(), project_id: d.projectId, kind: d.kind, call_id: d.callId ?? null, app: d.app, route: d.route,
      trigger: d.trigger, trigger_id: d.triggerId ?? null, reason: d.reason, error_code: d.errorCode ?? null,
      error: d.error ?? null, attempts: d.attempts, dedupe_key: d.dedupeKey ?? null, created_at: new Date(),
      input: JSON.stringify({ ...d.input, body: d.input.body.toString('base64') }),
    }).onConflict('dedupe_key').ignore().returning('id');
    return rows.length > 0;
  }

  async list(projectId: string, f: DeadLetterFilter & { marker?: string; limit: number }) {
    const q = this.filtered(projectId, f).select('*')
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(f.limit + 1);
    if (f.marker) {
      const m = decodeMarker(f.marker);
      q.whereRaw('(created_at, id) < (?, ?)', [m.createdAt, m.id]);
    }
    const deadLetters = ((await q) as Row[]).map(toDeadLetter);
    const more = deadLetters.length > f.limit;
    if (more) deadLetters.pop();
    return { deadLetters, next: more ? encodeMarker(deadLetters[deadLetters.length - 1]) : null };
  }

  async get(projectId: string, id: string): Promise<DeadLetter | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.db('dead_letters').where({ project_id: projectId, id }).first();
    return row && toDeadLetter(row);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    // Counted from RETURNING: PGlite's knex client answers a DELETE with a result object, not a count.
    return (await this.db('dead_letters').where({ project_id: projectId, id }).delete().returning('id')).length > 0;
  }

  async purge(projectId: string, f: DeadLetterFilter & { olderThan?: Date }): Promise<number> {
    const q = this.filtered(projectId, f);
    if (f.olderThan) q.where('created_at', '<', f.olderThan);
    return (await q.delete().returning('id')).length;
  }

  async purgeBefore(before: Date): Promise<number> {
    return (await this.db('dead_letters').where('created_at', '<', before).delete().returning('id')).length;
  }

  private filtered(projectId: string, f: DeadLetterFilter) {
    const q = this.db('dead_letters').where({ project_id: projectId });
    if (f.app) q.where({ app: f.app });
    if (f.route) q.where({ route: f.route });
    if (f.kind) q.where({ kind: f.kind });
    if (f.since) q.where('created_at', '>=', f.since);
    if (f.until) q.where('created_at', '<', f.until);
    if (f.redriven === true) q.whereNotNull('redriven_at');
    if (f.redriven === false) q.whereNull('redriven_at');
    return q;
  }
}
