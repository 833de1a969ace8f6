import type { QuotaOverride, QuotaStore } from '../domain/quota';
import type { Db } from './db';

/** The knex QuotaStore: the quotas table, and the counts of a project's calls it checks. */
export class KnexQuotaStore implements QuotaStore {
  constructor(private readonly db: Db) {}

  async get(projectId: string): Promise<QuotaOverride | undefined> {
    const row = await this.db('quotas').where({ project_id: projectId }).first();
    return row && { running_calls: row.running_calls, queued_calls: row.queued_calls, calls_per_second: row.calls_per_second };
  }

  async put(projectId: string, q: QuotaOverride): Promise<void> {
    await this.db('quotas').insert({ project_id: projectId, ...q, updated_at: this.db.fn.now() })
      .onConflict('project_id').merge();
  }

  async delete(projectId: string): Promise<boolean> {
    return (await this.db('quotas').where({ project_id: projectId }).del()) > 0;
  }

  async count(projectId: string, status: 'queued' | 'running'): Promise<number> {
    const row = await this.db('calls').where({ project_id: projectId, status }).count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async holdBackIfOver(projectId: string, id: string, engineId: string, max: number, delayMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // One check at a time per project: each sees the calls the checks before it put back.
      await tx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`fresco-quota:${projectId}`]);
      const row = await tx('calls').where({ project_id: projectId, status: 'running' }).count<{ n: string }[]>({ n: '*' }).first();
      if (Number(row?.n ?? 0) <= max) return false;
      const rows = await tx('calls').where({ id, status: 'running', engine_id: engineId }).update({
        status: 'queued', engine_id: null, lease_until: null, started_at: null, kind: null,
        attempts: tx.raw('GREATEST(attempts - 1, 0)'),
        not_before: tx.raw('now() + make_interval(secs => ?)', [delayMs / 1000]),
      }).returning('id');
      return rows.length > 0;
    });
  }
}
