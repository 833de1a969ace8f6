import type { CallOutcome } from '../domain/call';
import type { IdempotencyRecord, IdempotencyStore, KeptAnswer, KeyClaim } from '../domain/idempotency';
import { Db } from './db';

/** The `answer` column (JSON): buffers in base64, dates as ISO strings. */
type AnswerColumn =
  | { mode: 'sync'; callId: string; outcome: Omit<CallOutcome, 'result' | 'log' | 'startedAt' | 'completedAt'> & {
    result: string; startedAt?: string; completedAt: string;
  } }
  | { mode: 'async'; callId: string; app: string; route: string; createdAt: string };

function answerColumn(a: KeptAnswer): string {
  if (a.mode === 'async') return JSON.stringify({ ...a, createdAt: a.createdAt.toISOString() });
  // The log is not kept: it is the call record's (GET .../calls/{id}/log).
  const { log: _log, result, startedAt, completedAt, ...rest } = a.outcome;
  return JSON.stringify({
    mode: 'sync', callId: a.callId,
    outcome: { ...rest, result: result.toString('base64'), startedAt: startedAt?.toISOString(), completedAt: completedAt.toISOString() },
  });
}

function fromAnswerColumn(c: AnswerColumn): KeptAnswer {
  if (c.mode === 'async') return { ...c, createdAt: new Date(c.createdAt) };
  const o = c.outcome;
  return {
    mode: 'sync', callId: c.callId,
    outcome: {
      ...o, result: Buffer.from(o.result, 'base64'), log: Buffer.alloc(0), logTruncated: o.logTruncated,
      startedAt: o.startedAt ? new Date(o.startedAt) : undefined, completedAt: new Date(o.completedAt),
    },
  };
}

interface KeyRow {
  call_id: string; fingerprint: string; state: 'running' | 'done'; answer: AnswerColumn | null;
}

/** The knex implementation of IdempotencyStore; windows and leases use the database clock. */
export class KnexIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Db) {}

  async claim(projectId: string, key: string, fingerprint: string, callId: string, windowS: number, leaseS: number): Promise<KeyClaim> {
    // Two tries: the row seen as taken may end its window (and be deleted) before it is read.
    for (let i = 0; i < 2; i++) {
      // The primary key (project_id, key) decides between concurrent requests, on any API process.
      const won = await this.db.raw(`
        INSERT INTO idempotency_keys AS k (project_id, key, fingerprint, call_id, state, answer, created_at, expires_at, lease_until)
        VALUES (?, ?, ?, ?, 'running', NULL, now(), now() + make_interval(secs => ?), now() + make_interval(secs => ?))
        ON CONFLICT (project_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, call_id = excluded.call_id,
          state = 'running', answer = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at,
          lease_until = excluded.lease_until
        WHERE k.expires_at <= now() OR (k.state = 'running' AND k.lease_until < now())
        RETURNING call_id`, [projectId, key, fingerprint, callId, windowS, leaseS]);
      if (won.rows.length > 0) return { taken: true };
      const row: KeyRow | undefined = await this.db('idempotency_keys').where({ project_id: projectId, key })
        .where('expires_at', '>', this.db.fn.now()).first('call_id', 'fingerprint', 'state', 'answer');
      if (row) return { taken: false, record: toRecord(row) };
    }
    throw new Error('idempotency key neither free nor held');
  }

  async finish(projectId: string, key: string, answer: KeptAnswer): Promise<void> {
    await this.db('idempotency_keys').where({ project_id: projectId, key, call_id: answer.callId })
      .update({ state: 'done', answer: answerColumn(answer), lease_until: null });
  }

  async release(projectId: string, key: string, callId: string): Promise<void> {
    await this.db('idempotency_keys').where({ project_id: projectId, key, call_id: callId }).delete();
  }

  async purgeExpired(): Promise<number> {
    const rows = await this.db('idempotency_keys').where('expires_at', '<=', this.db.fn.now()).delete().returning('key');
    return rows.length;
  }
}

function toRecord(r: KeyRow): IdempotencyRecord {
  return { callId: r.call_id, fingerprint: r.fingerprint, state: r.state, answer: r.answer ? fromAnswerColumn(r.answer) : undefined };
}
