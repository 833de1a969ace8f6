import type { EngineRecord, EngineStore } from '../cluster/types';
import type { Db } from './db';

// Engine membership rows (migrations/20261204000100_engines.ts). Heartbeats use the database's
// clock, so hosts with skewed clocks still agree on who is live.

interface EngineRow {
  id: string; host: string; url: string; state: string; memory_budget_mb: number; call_slots: number;
  running_calls: number; memory_used_mb: number; hot_containers: number; hot_routes: string[] | string;
  started_at: Date | string; heartbeat_at: Date | string;
}

function fromRow(r: EngineRow): EngineRecord {
  return {
    id: r.id, host: r.host, url: r.url, state: r.state === 'draining' ? 'draining' : 'up',
    memoryBudgetMb: r.memory_budget_mb, callSlots: r.call_slots, runningCalls: r.running_calls,
    memoryUsedMb: r.memory_used_mb, hotContainers: r.hot_containers,
    hotRoutes: typeof r.hot_routes === 'string' ? JSON.parse(r.hot_routes) : r.hot_routes,
    startedAt: new Date(r.started_at), heartbeatAt: new Date(r.heartbeat_at),
  };
}

/** The EngineStore on PostgreSQL (or PGlite). */
export class KnexEngineStore implements EngineStore {
  constructor(private readonly db: Db) {}

  async renew(e: EngineRecord): Promise<void> {
    const row = {
      id: e.id, host: e.host, url: e.url, state: e.state, memory_budget_mb: e.memoryBudgetMb, call_slots: e.callSlots,
      running_calls: e.runningCalls, memory_used_mb: e.memoryUsedMb, hot_containers: e.hotContainers,
      hot_routes: JSON.stringify(e.hotRoutes), started_at: e.startedAt, heartbeat_at: this.db.fn.now(),
    };
    await this.db('engines').insert(row).onConflict('id').merge();
  }

  async live(timeoutMs: number): Promise<EngineRecord[]> {
    const rows = await this.db('engines')
      .where('heartbeat_at', '>', this.db.raw("now() - (? * interval '1 millisecond')", [timeoutMs]))
      .orderBy('id');
    return rows.map(fromRow);
  }

  async list(): Promise<EngineRecord[]> {
    return (await this.db('engines').orderBy('id')).map(fromRow);
  }

  async remove(id: string): Promise<void> {
    await this.db('engines').where({ id }).delete();
  }

  async prune(olderThanMs: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db('engines')
      .where('heartbeat_at', '<', this.db.raw("now() - (? * interval '1 millisecond')", [olderThanMs]))
      .delete().returning('id');
    return rows.map((r) => r.id).sort();
  }
}
