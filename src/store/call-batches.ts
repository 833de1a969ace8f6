import type { CallOutcome } from '../domain/models';
import type { Db } from './db';
import { callFailed, callTimeout } from '../errors';
import { encodeRow } from './call-row-json';
import { prepared } from './prepared';

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

// A call's status as the lookups by id test it: written so that no partial index on status (calls_pending,
// calls_project_active_idx, whose predicate is "queued or running") can serve them, only the primary key. With
// statistics that a burst of calls made stale, PostgreSQL otherwise ANDed a scan of the whole calls_pending index,
// every dead entry of the burst included, into each claim and completion (1.5 ms per claim statement measured).
// status is NOT NULL: the test means the same as `status = '…'`.
const statusIs = (alias: string, status: 'queued' | 'running'): string => `(${alias}status || '') = '${status}'`;

// The outcomes as one JSON parameter (each row encodeRow's text): one statement text for any number of them, and
// nothing encoded per value by pg.
const DONE = `done AS (UPDATE calls AS c SET status = v.status, kind = v.kind, started_at = v.started_at,
      completed_at = v.completed_at, duration_ms = v.duration_ms, exit_code = v.exit_code, error = v.error,
      result = v.result, result_truncated = v.result_truncated, log = v.log, log_truncated = v.log_truncated,
      lease_until = NULL
    FROM json_to_recordset(?::json) AS v(id uuid, engine_id text, status text, kind text, started_at timestamptz,
      completed_at timestamptz, duration_ms int, exit_code int, error text, result bytea, result_truncated boolean,
      log bytea, log_truncated boolean, dead boolean)
    WHERE c.id = ANY(?::uuid[]) AND c.id = v.id AND ${statusIs('c.', 'running')} AND c.engine_id = v.engine_id
    RETURNING c.id, c.project_id, c.app, c.route, c.trigger, c.trigger_id, c.status, c.error, c.attempts, c.request, v.dead)`;

/**
 * Writes each outcome whose call is still running on its engine; returns the ids written. A call
 * marked `deadLetter` that is written gets its dead letter in the same statement (so atomically):
 * its request as input, the final status as reason.
 */
export async function completeMany(db: Db, items: Completion[]): Promise<Set<string>> {
  const res = await prepared(db, COMPLETE_MANY, [...completionsBindings(items), callTimeout.spec.code, callFailed.spec.code]);
  return new Set((res.rows as Array<{ id: string }>).map((r) => r.id));
}

// DONE's outcomes and their ids. The ids again as an array: PostgreSQL counts an array's elements but takes any
// json_to_recordset for 100 rows, and so joined a scan of the whole calls table to a batch of a few outcomes.
function completionsBindings(items: Completion[]): [string, string[]] {
  return [completionsJson(items), items.map((c) => c.id)];
}

function completionsJson(items: Completion[]): string {
  return `[${items.map(({ id, engineId, outcome: o, deadLetter }) => encodeRow({
    id, engine_id: engineId, status: o.status, kind: o.kind ?? null, started_at: o.startedAt ?? null, completed_at: o.completedAt,
    duration_ms: o.startedAt ? Math.max(0, o.completedAt.getTime() - o.startedAt.getTime()) : null,
    exit_code: o.exitCode ?? null, error: o.error ?? null, result: o.result, result_truncated: o.resultTruncated, log: o.log,
    log_truncated: o.logTruncated, dead: deadLetter === true,
  })).join(',')}]`;
}

// The dead letters of the calls a `done` CTE recorded as failed for good; binds the two error codes (timeout, other).
const DEAD_LETTERS_OF_DONE = `INSERT INTO dead_letters (id, project_id, kind, call_id, app, route, trigger, trigger_id, reason, error_code,
      error, attempts, input, created_at)
      SELECT gen_random_uuid(), project_id, 'call', id, app, route, trigger, trigger_id, status,
        CASE status WHEN 'timeout' THEN ?::text ELSE ?::text END, error, attempts, request, now()
      FROM done WHERE dead AND request IS NOT NULL`;

const COMPLETE_MANY = `WITH ${DONE}, dead AS (${DEAD_LETTERS_OF_DONE}) SELECT id FROM done`;

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
    FROM (VALUES ${values}) AS v(id, kind, at) WHERE c.id = v.id AND ${statusIs('c.', 'running')}`,
  marks.flatMap((m) => [m.id, m.kind, m.at]));
}

// A finished call's columns in table order.
const FINISHED = [
  'id', 'project_id', 'app', 'route', 'trigger', 'trigger_id', 'status', 'kind', 'created_at', 'started_at', 'completed_at',
  'duration_ms', 'exit_code', 'error', 'result', 'result_truncated', 'log', 'log_truncated', 'attempts', 'route_version',
  'request',
];

// Columns the table fills with a default when a row leaves them out (as knex's insert did).
const DEFAULTS: Record<string, string> = { result_truncated: 'false', log_truncated: 'false', attempts: '0' };

// One statement text for any batch size, one parameter: the rows' JSON, which PostgreSQL reads into the
// table's row type (keys not named are NULL). Nothing is encoded per value on this side: the rows come as
// the journal already wrote them (call-row-json.ts, encodeRow).
const INSERT_FINISHED = `INSERT INTO calls (${FINISHED.join(', ')})
  SELECT ${FINISHED.map((c) => (DEFAULTS[c] ? `coalesce(u.${c}, ${DEFAULTS[c]})` : `u.${c}`)).join(', ')}
  FROM json_populate_recordset(NULL::calls, ?::json) AS u
  ON CONFLICT (id) DO NOTHING`;

/** Inserts finished calls' rows, each as encodeRow's JSON text, in one statement; a row whose id exists is skipped.
 *  Columns not listed stay at their default. */
export async function insertFinishedMany(db: Db, lines: string[]): Promise<void> {
  await prepared(db, INSERT_FINISHED, [`[${lines.join(',')}]`]);
}

// ---------------------------------------------------------------------------------------------
// One statement for every state write of the async hot path that is pending at once: the queued
// rows of accepted calls, the claims of calls a queue handed out (by id from RabbitMQ, or the next
// ones from the in-process queue) and the outcomes of finished calls (with their dead letters).
// Each of those used to be its own group commit, so a busy engine sent three statements (three
// round trips, three commits) where one does: the parts are CTEs of one statement, so they commit
// together or not at all, and each caller is answered only after that commit.

/** A queued call's row as the call store builds it (a known column set; missing ones take their default). */
export type QueuedRow = Record<string, unknown>;

/** One state write of the async hot path; the same engine and lease for every claim and pick of a statement. */
export type StateWrite =
  | { op: 'insert'; row: QueuedRow }
  | { op: 'claim'; id: string; engineId: string; leaseMs: number }
  | { op: 'pick'; engineId: string; leaseMs: number; limit: number }
  | { op: 'complete'; completion: Completion };

/** What each state write got, in the order of the writes: an insert whether its row was written (its dedupe key was
 *  free), a claim its call's row (undefined: not claimable), a pick the rows it claimed, a completion whether it was
 *  recorded (the call was still running on its engine). */
export type StateResult = boolean | Record<string, unknown> | undefined | Array<Record<string, unknown>>;

// A queued call's columns with their types, and the default a row without it gets.
const QUEUED: Array<[string, string, string?]> = [
  ['id', 'uuid'], ['project_id', 'text'], ['app', 'text'], ['route', 'text'], ['trigger', 'text'], ['trigger_id', 'uuid'],
  ['route_version', 'int'], ['parent_call_id', 'uuid'], ['root_call_id', 'uuid'], ['depth', 'int', '0'],
  ['priority', 'smallint', '4'], ['status', 'text'], ['created_at', 'timestamptz'], ['request', 'jsonb'],
  ['dedupe_key', 'text'], ['redrive_of', 'uuid'], ['replay_of', 'uuid'], ['engine_id', 'text'], ['attempts', 'int', '0'],
];

// The accepted calls' rows as one JSON parameter (encodeRow's text; the request is JSON text already, read as text and
// cast): one statement text for any number of them.
// A row with an engine_id is a call its accepting engine runs at once (status 'running'): its lease is `lease_s`
// seconds from now on the database clock, as a claim's.
const INSERT_QUEUED = `ins AS (INSERT INTO calls (${QUEUED.map(([c]) => c).join(', ')}, lease_until)
      SELECT ${QUEUED.map(([c, t, d]) => (t === 'jsonb' ? `u.${c}::jsonb` : d ? `coalesce(u.${c}, ${d})` : `u.${c}`)).join(', ')},
        CASE WHEN u.engine_id IS NOT NULL THEN now() + make_interval(secs => u.lease_s) END
      FROM json_to_recordset(?::json) AS u(${QUEUED.map(([c, t]) => `${c} ${t === 'jsonb' ? 'text' : t}`).join(', ')}, lease_s float8)
      ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)`;

/** The columns a claimed call is returned with (the call store's summary and its request). */
export interface StateWriteColumns {
  claimed: string[];
  /** ORDER BY of the next queued calls (highest aged priority first), and its bindings. */
  pickOrder: { sql: string; bindings: unknown[] };
}

/**
 * Writes `items` in as few statements as possible: one, unless claims name different engines or
 * leases (a statement per such group). Returns one result per item (see StateResult).
 */
export async function writeCallStates(db: Db, items: StateWrite[], cols: StateWriteColumns): Promise<StateResult[]> {
  const groups = new Map<string, number[]>();
  const rest: number[] = [];
  items.forEach((w, i) => {
    if (w.op !== 'claim' && w.op !== 'pick') return void rest.push(i);
    const key = `${w.engineId}\u0000${w.leaseMs}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  });
  const statements = [...groups.values()];
  if (statements.length === 0) statements.push([]);
  statements[0] = [...rest, ...statements[0]].sort((a, b) => a - b);
  const out = new Array<StateResult>(items.length);
  for (const indexes of statements) {
    const results = await writeStatesOnce(db, indexes.map((i) => items[i]), cols);
    indexes.forEach((i, k) => { out[i] = results[k]; });
  }
  return out;
}

// The parts of a statement's SQL that depend only on the claimed columns, made once.
const claimSqls = new WeakMap<StateWriteColumns, { pad: string; returning: string; select: string }>();
function claimSql(cols: StateWriteColumns): { pad: string; returning: string; select: string } {
  let sql = claimSqls.get(cols);
  if (!sql) {
    sql = {
      pad: cols.claimed.filter((c) => c !== 'id').map(() => ', NULL').join(''),
      returning: cols.claimed.map((c) => `calls.${c}`).join(', '),
      select: `SELECT 'c' AS op, ${cols.claimed.join(', ')} FROM claimed`,
    };
    claimSqls.set(cols, sql);
  }
  return sql;
}

async function writeStatesOnce(db: Db, items: StateWrite[], cols: StateWriteColumns): Promise<StateResult[]> {
  const inserts = items.filter((w): w is StateWrite & { op: 'insert' } => w.op === 'insert');
  const claims = items.filter((w): w is StateWrite & { op: 'claim' } => w.op === 'claim');
  const picks = items.filter((w): w is StateWrite & { op: 'pick' } => w.op === 'pick');
  const completions = items.filter((w): w is StateWrite & { op: 'complete' } => w.op === 'complete').map((w) => w.completion);
  const ctes: string[] = [];
  const bindings: unknown[] = [];
  const selects: string[] = [];
  const claimIdSet = new Set(claims.map((c) => c.id));
  const claimIds = [...claimIdSet];
  const pickLimit = picks.reduce((n, p) => n + p.limit, 0);
  // The claims' branch comes first: the other branches' NULLs take its column types.
  const hasClaims = claimIds.length > 0 || pickLimit > 0;
  const sql = claimSql(cols);
  const pad = hasClaims ? sql.pad : '';
  if (hasClaims) {
    const { engineId, leaseMs } = (claims[0] ?? picks[0]);
    const due = "(not_before IS NULL OR not_before <= now())";
    if (pickLimit > 0) {
      ctes.push(`pick AS (SELECT id FROM calls WHERE status = 'queued' AND ${due} AND id <> ALL(?::uuid[])
        ORDER BY ${cols.pickOrder.sql} LIMIT ? FOR UPDATE SKIP LOCKED)`);
      bindings.push(claimIds, ...cols.pickOrder.bindings, pickLimit);
    }
    // The ids as one array (claims and picks): `id = ANY(claims) OR id IN (pick)` made PostgreSQL scan the whole
    // table, every finished call included, on each claim (40 ms with 130,000 calls kept).
    ctes.push(`claimed AS (UPDATE calls SET status = 'running', engine_id = ?, lease_until = now() + make_interval(secs => ?),
        attempts = attempts + 1, progress = NULL, progress_message = NULL
      WHERE id = ANY(${pickLimit > 0 ? 'ARRAY(SELECT unnest(?::uuid[]) UNION SELECT id FROM pick)' : '?::uuid[]'}) AND ${statusIs('', 'queued')} AND ${due}
      RETURNING ${sql.returning})`);
    bindings.push(engineId, leaseMs / 1000, claimIds);
    selects.push(sql.select);
  }
  if (inserts.length) {
    ctes.push(INSERT_QUEUED);
    bindings.push(`[${inserts.map(({ row }) => encodeRow(row)).join(',')}]`);
    selects.push(`SELECT 'i' AS op, id${pad} FROM ins`);
  }
  if (completions.length) {
    ctes.push(DONE, `dead AS (${DEAD_LETTERS_OF_DONE})`);
    bindings.push(...completionsBindings(completions), callTimeout.spec.code, callFailed.spec.code);
    selects.push(`SELECT 'd' AS op, id${pad} FROM done`);
  }
  if (!selects.length) return items.map((w) => (w.op === 'pick' ? [] : undefined));
  const res = await prepared(db, `WITH ${ctes.join(',\n')}\n${selects.join('\nUNION ALL ')}`, bindings);
  const rows = res.rows as Array<Record<string, unknown> & { op: string; id: string }>;
  const inserted = new Set<string>();
  const recorded = new Set<string>();
  const claimed = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    if (r.op === 'i') inserted.add(r.id);
    else if (r.op === 'd') recorded.add(r.id);
    else claimed.set(r.id, r);
  }
  // A call claimed by id goes to its first asker; the others (picked) go to the picks in order.
  const picked = [...claimed.values()].filter((r) => !claimIdSet.has(r.id as string));
  return items.map((w) => {
    switch (w.op) {
      case 'insert': return inserted.has(w.row.id as string);
      case 'complete': return recorded.has(w.completion.id);
      case 'pick': return picked.splice(0, w.limit);
      default: {
        const row = claimed.get(w.id);
        claimed.delete(w.id);
        return row;
      }
    }
  });
}
