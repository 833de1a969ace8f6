import type { Knex } from 'knex';
import type { CallOutcome } from '../domain/models';
import type { Db } from './db';
import { callFailed, callTimeout } from '../errors';

// Multi-row UPDATEs of the call store's hot path: many calls' outcomes (or start marks) in one
// statement, each row matched by id, so that a busy engine commits once per batch, not per call.
// Every placeholder is cast: a VALUES list takes its column types from its first row otherwise.

/** One finished call to record, if it is still running on `engineId`. */
export interface Completion {
  id: string;
  engineId: string;
  outcome: CallOutcome;
  /** The call's last attempt failed: it becomes a dead letter in the same statement (docs/api.md, "Dead letters"). */
  deadLetter?: boolean;
}

const COMPLETE_COLUMNS = '(?::uuid, ?::text, ?::text, ?::text, ?::timestamptz, ?::timestamptz, ?::int, ?::int, ?::text, '
  + '?::bytea, ?::boolean, ?::bytea, ?::boolean, ?::boolean)';

/**
 * Writes each outcome whose call is still running on its engine; returns the ids written. A call
 * marked `deadLetter` that is written gets its dead letter in the same statement (so atomically):
 * its request as input, the final status as reason.
 */
export async function completeMany(db: Db, items: Completion[]): Promise<Set<string>> {
  const values = items.map(() => COMPLETE_COLUMNS).join(', ');
  const bindings = items.flatMap(({ id, engineId, outcome: o, deadLetter }) => [
    id, engineId, o.status, o.kind ?? null, o.startedAt ?? null, o.completedAt,
    o.startedAt ? Math.max(0, o.completedAt.getTime() - o.startedAt.getTime()) : null,
    o.exitCode ?? null, o.error ?? null, o.result, o.resultTruncated, o.log, o.logTruncated, deadLetter === true,
  ]);
  const res = await db.raw(`WITH done AS (UPDATE calls AS c SET status = v.status, kind = v.kind, started_at = v.started_at,
      completed_at = v.completed_at, duration_ms = v.duration_ms, exit_code = v.exit_code, error = v.error,
      result = v.result, result_truncated = v.result_truncated, log = v.log, log_truncated = v.log_truncated,
      lease_until = NULL
    FROM (VALUES ${values}) AS v(id, engine_id, status, kind, started_at, completed_at, duration_ms, exit_code, error,
      result, result_truncated, log, log_truncated, dead)
    WHERE c.id = v.id AND c.status = 'running' AND c.engine_id = v.engine_id
    RETURNING c.id, c.project_id, c.app, c.route, c.trigger, c.trigger_id, c.status, c.error, c.attempts, c.request, v.dead),
    dead AS (INSERT INTO dead_letters (id, project_id, kind, call_id, app, route, trigger, trigger_id, reason, error_code,
      error, attempts, input, created_at)
      SELECT gen_random_uuid(), project_id, 'call', id, app, route, trigger, trigger_id, status,
        CASE status WHEN 'timeout' THEN ?::text ELSE ?::text END, error, attempts, request, now()
      FROM done WHERE dead AND request IS NOT NULL)
    SELECT id FROM done`, [...bindings, callTimeout.spec.code, callFailed.spec.code]);
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

// A finished call's columns in table order, with the array type its unnest() parameter has.
// bytea goes as hex text (decoded in SQL): PGlite and pg both pass text arrays as they are.
const FINISHED: Array<[string, string]> = [
  ['id', 'uuid'], ['project_id', 'text'], ['app', 'text'], ['route', 'text'], ['trigger', 'text'],
  ['trigger_id', 'uuid'], ['status', 'text'], ['kind', 'text'], ['created_at', 'timestamptz'],
  ['started_at', 'timestamptz'], ['completed_at', 'timestamptz'], ['duration_ms', 'int'], ['exit_code', 'int'],
  ['error', 'text'], ['result', 'bytea'], ['result_truncated', 'boolean'], ['log', 'bytea'],
  ['log_truncated', 'boolean'], ['attempts', 'int'], ['route_version', 'int'], ['request', 'jsonb'],
];

// Columns the table fills with a default when a row leaves them out (as knex's insert did).
const DEFAULTS: Record<string, string> = { result_truncated: 'false', log_truncated: 'false', attempts: '0' };

// One statement text for any batch size: one array parameter per column, so nothing is compiled per batch.
const INSERT_FINISHED = `INSERT INTO calls (${FINISHED.map(([c]) => c).join(', ')})
  SELECT ${FINISHED.map(([c, t]) => (t === 'bytea' ? `decode(u.${c}, 'hex')`
    : DEFAULTS[c] ? `coalesce(u.${c}, ${DEFAULTS[c]})` : `u.${c}`)).join(', ')}
  FROM unnest(${FINISHED.map(([, t]) => `?::${t === 'bytea' ? 'text' : t}[]`).join(', ')})
    AS u(${FINISHED.map(([c]) => c).join(', ')})
  ON CONFLICT (id) DO NOTHING`;

function columnValue(v: unknown, type: string): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'bytea') return Buffer.isBuffer(v) ? v.toString('hex') : Buffer.from(v as Uint8Array).toString('hex');
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** Inserts finished calls' rows (as the call store builds them, or as a journal gives them back: dates as strings,
 *  buffers as Uint8Array) in one statement; a row whose id exists is skipped. Columns not listed stay at their default. */
export async function insertFinishedMany(db: Db, rows: Array<Record<string, unknown>>): Promise<void> {
  const columns = FINISHED.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let c = 0; c < FINISHED.length; c++) columns[c][i] = columnValue(row[FINISHED[c][0]], FINISHED[c][1]);
  }
  await db.raw(INSERT_FINISHED, columns as Knex.RawBinding[]);
}
