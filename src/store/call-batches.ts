import type { CallOutcome } from '../domain/models';
import type { Db } from './db';

// Multi-row UPDATEs of the call store's hot path: many calls' outcomes (or start marks) in one
// statement, each row matched by id, so that a busy engine commits once per batch, not per call.
// Every placeholder is cast: a VALUES list takes its column types from its first row otherwise.

/** One finished call to record, if it is still running on `engineId`. */
export interface Completion {
  id: string;
  engineId: string;
  outcome: CallOutcome;
}

const COMPLETE_COLUMNS = '(?::uuid, ?::text, ?::text, ?::text, ?::timestamptz, ?::timestamptz, ?::int, ?::int, ?::text, '
  + '?::bytea, ?::boolean, ?::bytea, ?::boolean)';

/** Writes each outcome whose call is still running on its engine; returns the ids written. */
export async function completeMany(db: Db, items: Completion[]): Promise<Set<string>> {
  const values = items.map(() => COMPLETE_COLUMNS).join(', ');
  const bindings = items.flatMap(({ id, engineId, outcome: o }) => [
    id, engineId, o.status, o.kind ?? null, o.startedAt ?? null, o.completedAt,
    o.startedAt ? Math.max(0, o.completedAt.getTime() - o.startedAt.getTime()) : null,
    o.exitCode ?? null, o.error ?? null, o.result, o.resultTruncated, o.log, o.logTruncated,
  ]);
  const res = await db.raw(`UPDATE calls AS c SET status = v.status, kind = v.kind, started_at = v.started_at,
      completed_at = v.completed_at, duration_ms = v.duration_ms, exit_code = v.exit_code, error = v.error,
      result = v.result, result_truncated = v.result_truncated, log = v.log, log_truncated = v.log_truncated,
      lease_until = NULL
    FROM (VALUES ${values}) AS v(id, engine_id, status, kind, started_at, completed_at, duration_ms, exit_code, error,
      result, result_truncated, log, log_truncated)
    WHERE c.id = v.id AND c.status = 'running' AND c.engine_id = v.engine_id
    RETURNING c.id`, bindings);
  return new Set((res.rows as Array<{ id: string }>).map((r) => r.id));
}

/** One call that started running. */
export interface StartMark {
  id: string;
  kind: string;
  at: Date;
}

/** Sets kind and started_at of each call that is still running. */
export async function markStartedMany(db: Db, marks: StartMark[]): Promise<void> {
  const values = marks.map(() => '(?::uuid, ?::text, ?::timestamptz)').join(', ');
  await db.raw(`UPDATE calls AS c SET kind = v.kind, started_at = v.at
    FROM (VALUES ${values}) AS v(id, kind, at) WHERE c.id = v.id AND c.status = 'running'`,
  marks.flatMap((m) => [m.id, m.kind, m.at]));
}
