import { randomUUID } from 'node:crypto';
import { engineLost, requestInvalid } from '../errors';
import type { FollowCall, FollowUp } from '../domain/chain';
import type {
  Call, CallAttempt, CallFilter, CallKind, CallOutcome, CallRequest, CallStore, ClaimedCall, NewCall,
} from '../domain/models';
import {
  completeMany, insertFinishedMany, markStartedMany, type StartMark, type StateResult, type StateWrite, type StateWriteColumns, writeCallStates,
} from './call-batches';
import { Db } from './db';
import { comparePriority, DEFAULT_PRIORITY, MAX_PRIORITY, PRIORITY_AGING_S } from '../domain/priority';
import { GroupCommit } from './group-commit';
import { encodeRow } from './call-row-json';
import type { RecordJournal } from './record-journal';
import { WriteBehind } from './write-behind';

/** A call still running after this long gets its own "started" write; a shorter one is recorded once, finished. */
const START_MARK_DELAY_MS = 200;

/**
 * How long a finished sync call's record may wait for others to share its INSERT. One statement
 * costs this process ~0.4 ms of CPU (most of it the socket write to the database) whatever its
 * size, so at 2 ms a busy hot route paid ~0.1 ms per call for its records; at 20 ms a route doing
 * 2,000 calls/s shares each statement among ~40 calls. The journal keeps the records meanwhile,
 * and every read of this store writes what is pending first.
 */
const FINISHED_WINDOW_MS = 20;

interface CallRow {
  id: string; project_id: string; app: string; route: string; trigger: Call['trigger']; trigger_id: string | null;
  status: Call['status']; kind: Call['kind'] | null; created_at: Date; started_at: Date | null;
  completed_at: Date | null; duration_ms: number | null; exit_code: number | null; error: string | null;
  result: Uint8Array | null; result_truncated: boolean; log_truncated: boolean; attempts: number;
  progress?: number | null; progress_message?: string | null;
  request?: RequestColumn | null; redrive_of: string | null; replay_of: string | null;
  parent_call_id: string | null; root_call_id: string | null; depth: number; chain_error: string | null;
  route_version?: number | null;
  priority?: number | null;
}

/** The `request` column (JSON): a call's request with its body in base64. */
type RequestColumn = Omit<CallRequest, 'body'> & { body: string };

// A call's request as its jsonb column holds it (the body in base64): as JSON text for a parameter, as a value inside
// a finished row's JSON (encodeRow).
const requestValue = (r: CallRequest): Record<string, unknown> => ({ ...r, body: r.body.toString('base64') });
const requestColumn = (r: CallRequest): string => JSON.stringify(requestValue(r));
const fromRequestColumn = (c: RequestColumn): CallRequest => ({ ...c, body: Buffer.from(c.body, 'base64') });

const SUMMARY = ['id', 'project_id', 'app', 'route', 'trigger', 'trigger_id', 'status', 'kind', 'created_at',
  'started_at', 'completed_at', 'duration_ms', 'exit_code', 'error', 'result', 'result_truncated', 'log_truncated',
  'attempts', 'parent_call_id', 'root_call_id', 'depth', 'chain_error', 'redrive_of', 'replay_of', 'progress', 'progress_message', 'route_version', 'priority'];

const date = (d: Date | null) => (d ? new Date(d) : undefined);

function toCall(r: CallRow): Call {
  return {
    id: r.id, projectId: r.project_id, app: r.app, route: r.route, trigger: r.trigger,
    triggerId: r.trigger_id ?? undefined, status: r.status, kind: r.kind ?? undefined,
    createdAt: new Date(r.created_at), startedAt: date(r.started_at), completedAt: date(r.completed_at),
    durationMs: r.duration_ms ?? undefined, exitCode: r.exit_code ?? undefined, error: r.error ?? undefined,
    result: r.result ? Buffer.from(r.result) : undefined, resultTruncated: r.result_truncated,
    logTruncated: r.log_truncated, attempts: r.attempts, parentCallId: r.parent_call_id ?? undefined,
    rootCallId: r.root_call_id ?? undefined, depth: r.depth ?? 0, chainError: r.chain_error ?? undefined,
    redriveOf: r.redrive_of ?? undefined, replayOf: r.replay_of ?? undefined,
    progress: r.progress ?? undefined, progressMessage: r.progress_message ?? undefined,
    ...(r.route_version ? { routeVersion: r.route_version } : {}),
    priority: r.priority ?? DEFAULT_PRIORITY,
  };
}

/** The columns every new call row starts with: who and what it is. */
function newCallColumns(id: string, call: NewCall): Record<string, unknown> {
  return {
    id, project_id: call.projectId, app: call.app, route: call.route, trigger: call.trigger,
    trigger_id: call.triggerId ?? null, route_version: call.routeVersion ?? null,
    ...(call.depth ? { parent_call_id: call.parentCallId ?? null, root_call_id: call.rootCallId ?? null, depth: call.depth } : {}),
    ...(call.priority !== undefined ? { priority: call.priority } : {}),
  };
}

/** A follow-up call as the queue records it. */
function followCall(f: FollowCall): NewCall {
  return {
    id: f.id, projectId: f.projectId, app: f.app, route: f.route, trigger: 'chain', request: f.request,
    dedupeKey: f.dedupeKey, parentCallId: f.parentCallId, rootCallId: f.rootCallId, depth: f.depth,
  };
}

/** A finished sync call's row: who and what it is, and its outcome, built in one object (the hot path). */
function finishedColumns(id: string, call: NewCall, o: CallOutcome): Record<string, unknown> {
  return {
    id, project_id: call.projectId, app: call.app, route: call.route, trigger: call.trigger,
    trigger_id: call.triggerId ?? null, route_version: call.routeVersion ?? null, created_at: o.startedAt ?? o.completedAt, attempts: 1,
    status: o.status, kind: o.kind ?? null, started_at: o.startedAt ?? null, completed_at: o.completedAt,
    duration_ms: o.startedAt ? Math.max(0, o.completedAt.getTime() - o.startedAt.getTime()) : null,
    exit_code: o.exitCode ?? null, error: o.error ?? null, result: o.result, result_truncated: o.resultTruncated,
    log: o.log, log_truncated: o.logTruncated, lease_until: null,
    ...(call.request ? { request: requestValue(call.request) } : {}),
  };
}

/** One finished attempt's row in call_attempts. */
function attemptColumns(id: string, attempt: number, o: CallOutcome): Record<string, unknown> {
  return {
    call_id: id, attempt, status: o.status, started_at: o.startedAt ?? null, completed_at: o.completedAt,
    exit_code: o.exitCode ?? null, error: o.error ?? null, log: o.log, log_truncated: o.logTruncated,
  };
}

/** A page marker after row `c` (newest-first lists keyed by created_at, id). */
export function encodeMarker(c: { createdAt: Date; id: string }): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`).toString('base64url');
}

/** The row a marker names; throws ValidationError for anything this API did not return. */
export function decodeMarker(marker: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(marker, 'base64url').toString().split('|');
  const createdAt = new Date(at);
  // Both parts go into typed SQL (timestamptz, uuid): anything forged is refused here, not by PostgreSQL.
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw requestInvalid('marker: not a marker this API returned');
  return { createdAt, id };
}

/** A finished sync call's row on its way to the database, and its place in the journal. */
interface Finished {
  /** Its row's JSON text (encodeRow). */
  line: string;
  seq: number;
}

/** The call a row of queuedColumns() becomes once inserted (what RETURNING would give, without reading it back): queued,
 *  or running on its first attempt when its accepting engine runs it at once (enqueue's runHere). */
function queuedCall(row: Record<string, unknown>): Call {
  return toCall({
    ...(row as unknown as CallRow), kind: null, started_at: null, completed_at: null, duration_ms: null, exit_code: null,
    error: null, result: null, result_truncated: false, log_truncated: false, attempts: (row.attempts as number | undefined) ?? 0, chain_error: null,
    parent_call_id: (row.parent_call_id as string | undefined) ?? null, root_call_id: (row.root_call_id as string | undefined) ?? null,
    depth: (row.depth as number | undefined) ?? 0, priority: (row.priority as number | undefined) ?? DEFAULT_PRIORITY,
  });
}

/** What the one statement of the hot path's state writes returns for a claimed call, and how it picks the next ones. */
const STATE_COLUMNS: StateWriteColumns = {
  claimed: [...SUMMARY, 'request'],
  // Highest priority first, aged (domain/priority.ts, effectivePriority): a waiting call gains a
  // level per PRIORITY_AGING_S seconds, so low ones are overtaken for a bounded time only.
  pickOrder: {
    sql: 'least(?::int, priority + floor(extract(epoch from (now() - created_at)) / ?)::int) desc, created_at',
    bindings: [MAX_PRIORITY, PRIORITY_AGING_S],
  },
};

/**
 * The knex implementation of CallStore; leases use the database clock. The state writes of the
 * async hot path (enqueue, claim, claimQueued, complete) are group-committed together: whatever
 * of them is pending at once goes in one statement (call-batches.ts, writeCallStates), and each
 * caller resolves once that statement committed. A call's start is written only if it is still
 * running START_MARK_DELAY_MS later, with the others that started meanwhile.
 */
export class KnexCallStore implements CallStore {
  /** Finished sync calls, written after their answer went out, many per commit. */
  private readonly finished: WriteBehind<Finished>;
  /** Accepts, claims and outcomes of async calls, as many per statement as are pending. */
  private readonly states: GroupCommit<StateWrite, StateResult>;
  private readonly startMarks = new Map<string, StartMark & { addedAt: number }>();
  private startTimer?: NodeJS.Timeout;
  private readonly journal?: RecordJournal;

  /** With a `journal`, finished sync calls survive this process being killed before their write (see recover()). */
  constructor(private readonly db: Db, options: { journal?: RecordJournal } = {}) {
    const journal = this.journal = options.journal;
    this.finished = new WriteBehind((rows) => insertFinishedMany(this.db, rows.map((f) => f.line)), {
      maxBatch: 200, delayMs: FINISHED_WINDOW_MS, maxPending: 100_000,
      onWritten: (rows) => journal?.committed(rows[rows.length - 1].seq),
      onDropped: () => journal?.keepEverything(),
    });
    // An accept has its caller waiting for the 202: it may start a statement even while two carry claims and outcomes.
    this.states = new GroupCommit((items) => writeCallStates(this.db, items, STATE_COLUMNS),
      { urgent: (w) => w.op === 'insert', maxInFlightUrgent: 4 });
  }

  /** Writes the records still pending (at shutdown); what the database did not take stays in the journal. */
  async close(): Promise<void> {
    await this.finished.settle();
    this.journal?.close();
  }

  /** Writes the finished calls a killed run of this process left in its journal; call once, before serving. */
  async recover(): Promise<number> {
    if (!this.journal) return 0;
    const { files, lines } = this.journal.leftovers();
    for (let i = 0; i < lines.length; i += 200) await insertFinishedMany(this.db, lines.slice(i, i + 200));
    this.journal.forget(files);
    return lines.length;
  }

  async enqueue(call: NewCall, runHere?: { engineId: string; leaseMs: number }): Promise<Call | undefined> {
    const row = this.queuedColumns(call);
    if (runHere) Object.assign(row, { status: 'running', engine_id: runHere.engineId, attempts: 1, lease_s: runHere.leaseMs / 1000 });
    return (await this.states.submit({ op: 'insert', row })) ? queuedCall(row) : undefined;
  }

  async enqueueRedrive(call: NewCall): Promise<Call | undefined> {
    const row = this.queuedColumns(call);
    return this.db.transaction(async (tx) => {
      const marked = await tx('dead_letters').where({ id: call.redriveOf, project_id: call.projectId }).whereNull('redriven_at')
        .update({ redriven_at: tx.fn.now(), redrive_call_id: row.id }).returning('id');
      if (marked.length === 0) return undefined;
      const [inserted] = await tx('calls').insert(row).returning(SUMMARY);
      return toCall(inserted);
    });
  }

  private queuedColumns(call: NewCall): Record<string, unknown> {
    return {
      ...newCallColumns(call.id ?? randomUUID(), call), status: 'queued', created_at: new Date(),
      request: call.request ? requestColumn(call.request) : null, dedupe_key: call.dedupeKey ?? null,
      redrive_of: call.redriveOf ?? null, replay_of: call.replayOf ?? null,
    };
  }

  /** Resolves at once (after one append to the journal, if any): the row is written within a few ms, and every read
   *  of this store waits for it. */
  async recordFinished(id: string, call: NewCall, outcome: CallOutcome): Promise<void> {
    const line = encodeRow(finishedColumns(id, call, outcome));
    this.finished.add({ line, seq: this.journal?.append(line) ?? 0 });
  }

  async keepRequest(id: string, request: CallRequest): Promise<void> {
    await this.db('calls').where({ id }).update({ request: requestColumn(request) });
  }

  async recordRunning(id: string, call: NewCall, engineId: string, startedAt: Date, leaseMs: number): Promise<void> {
    await this.db('calls').insert({
      ...newCallColumns(id, call), status: 'running', created_at: startedAt, started_at: startedAt, attempts: 1,
      engine_id: engineId, lease_until: this.leaseUntil(leaseMs),
    });
  }

  async get(projectId: string, id: string): Promise<Call | undefined> {
    if (!isUuid(id)) return undefined;
    await this.finished.settle();
    const row = await this.db('calls').where({ project_id: projectId, id }).first(SUMMARY);
    return row && toCall(row);
  }

  async getWithRequest(projectId: string, id: string): Promise<{ call: Call; request?: CallRequest } | undefined> {
    if (!isUuid(id)) return undefined;
    await this.finished.settle();
    const row: CallRow | undefined = await this.db('calls').where({ project_id: projectId, id }).first([...SUMMARY, 'request']);
    return row && { call: toCall(row), request: row.request ? fromRequestColumn(row.request) : undefined };
  }

  async getLog(projectId: string, id: string): Promise<{ log: Buffer; truncated: boolean } | undefined> {
    if (!isUuid(id)) return undefined;
    await this.finished.settle();
    const row = await this.db('calls').where({ project_id: projectId, id }).first('log', 'log_truncated');
    return row && { log: row.log ? Buffer.from(row.log) : Buffer.alloc(0), truncated: row.log_truncated };
  }

  async list(projectId: string, f: CallFilter): Promise<{ calls: Call[]; next: string | null }> {
    await this.finished.settle();
    const q = this.db('calls').where(f.allProjects ? {} : { project_id: projectId }).select(SUMMARY)
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(f.limit + 1);
    if (f.app) q.where({ app: f.app });
    if (f.route) q.where({ route: f.route });
    if (f.status) q.where({ status: f.status });
    if (f.since) q.where('created_at', '>=', f.since);
    if (f.marker) {
      const m = decodeMarker(f.marker);
      q.whereRaw('(created_at, id) < (?, ?)', [m.createdAt, m.id]);
    }
    const calls = (await q).map(toCall);
    const more = calls.length > f.limit;
    if (more) calls.pop();
    return { calls, next: more ? encodeMarker(calls[calls.length - 1]) : null };
  }

  async claim(id: string, engineId: string, leaseMs: number): Promise<ClaimedCall | undefined> {
    if (!isUuid(id)) return undefined;
    return this.claimed(await this.states.submit({ op: 'claim', id: id.toLowerCase(), engineId, leaseMs }) as unknown as CallRow | undefined);
  }

  async claimQueued(engineId: string, leaseMs: number, limit: number): Promise<ClaimedCall[]> {
    if (limit <= 0) return [];
    const rows = await this.states.submit({ op: 'pick', engineId, leaseMs, limit }) as unknown as CallRow[];
    const now = Date.now();
    const key = (c: ClaimedCall) => ({ priority: c.call.priority ?? DEFAULT_PRIORITY, createdAt: c.call.createdAt });
    return rows.map((r) => this.claimed(r)!).sort((a, b) => comparePriority(key(a), key(b), now));
  }

  /** Resolves at once; written START_MARK_DELAY_MS later, unless the call was recorded finished first. */
  async markStarted(id: string, kind: CallKind, at: Date): Promise<void> {
    this.startMarks.set(id, { id, kind, at, addedAt: Date.now() });
    this.startTimer ??= setTimeout(() => void this.writeStartMarks(), START_MARK_DELAY_MS).unref();
  }

  async renewLease(id: string, engineId: string, leaseMs: number, progress?: { progress: number; message: string | null }): Promise<boolean> {
    const n = await this.db('calls').where({ id, status: 'running', engine_id: engineId })
      .update({
        lease_until: this.leaseUntil(leaseMs),
        ...(progress && { progress: progress.progress, progress_message: progress.message }),
      }).returning('id');
    return n.length > 0;
  }

  async requeue(id: string, engineId: string): Promise<boolean> {
    this.startMarks.delete(id);
    const n = await this.db('calls').where({ id, status: 'running', engine_id: engineId })
      .update({ status: 'queued', engine_id: null, lease_until: null, started_at: null, kind: null }).returning('id');
    return n.length > 0;
  }

  complete(id: string, engineId: string, outcome: CallOutcome, follow?: FollowUp, deadLetter = false): Promise<boolean> {
    this.startMarks.delete(id);
    if (!follow) return this.states.submit({ op: 'complete', completion: { id, engineId, outcome, deadLetter } }) as Promise<boolean>;
    // The follow-up commits with its parent's final state, or neither does (docs/durability.md).
    return this.db.transaction(async (tx) => {
      if (!(await completeMany(tx, [{ id, engineId, outcome, deadLetter }])).has(id)) return false;
      if (follow.call) {
        await tx('calls').insert(this.queuedColumns(followCall(follow.call))).onConflict('dedupe_key').ignore();
      } else {
        await tx('calls').where({ id }).update({ chain_error: follow.note });
      }
      return true;
    });
  }

  async enqueueFollowUp(follow: FollowUp): Promise<Call | undefined> {
    return follow.call ? this.enqueue(followCall(follow.call)) : undefined;
  }

  async noteChainError(id: string, note: string): Promise<void> {
    await this.finished.settle();
    await this.db('calls').where({ id }).update({ chain_error: note });
  }

  async lineage(projectId: string, id: string): Promise<Call[] | undefined> {
    const call = await this.get(projectId, id);
    if (!call) return undefined;
    const root = call.rootCallId ?? call.id;
    const rows: CallRow[] = await this.db('calls').where({ project_id: projectId })
      .where((q) => q.where({ id: root }).orWhere({ root_call_id: root }))
      .orderBy([{ column: 'depth' }, { column: 'created_at' }, { column: 'id' }]).select(SUMMARY);
    return rows.map(toCall);
  }

  async cancel(projectId: string, id: string): Promise<Call | undefined> {
    if (!isUuid(id)) return undefined;
    await this.db('calls').where({ project_id: projectId, id }).whereIn('status', ['queued', 'running'])
      .update({
        status: 'cancelled', completed_at: new Date(), lease_until: null, error: 'cancelled by the user',
        duration_ms: this.db.raw('CASE WHEN started_at IS NULL THEN NULL ELSE ' +
          '(EXTRACT(EPOCH FROM (now() - started_at)) * 1000)::int END'),
      });
    return this.get(projectId, id);
  }

  async requeueExpired(maxAttempts: number): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await this.expire(tx, maxAttempts);
      // An async call whose engines were lost maxAttempts times ran out of attempts: a dead letter, in this transaction.
      const lost = rows.filter((r: { status: string; request: unknown }) => r.status === 'error' && r.request).map((r: { id: string }) => r.id);
      if (lost.length) {
        await tx.raw(`INSERT INTO dead_letters (id, project_id, kind, call_id, app, route, trigger, trigger_id, reason,
            error_code, error, attempts, input, created_at)
          SELECT gen_random_uuid(), project_id, 'call', id, app, route, trigger, trigger_id, 'lost', ?::text,
            error, attempts, request, now() FROM calls WHERE id IN (${lost.map(() => '?::uuid').join(', ')})`, [engineLost.spec.code, ...lost]);
      }
      return rows.filter((r: { status: string }) => r.status === 'queued').map((r: { id: string }) => r.id);
    });
  }

  private async expire(tx: Db, maxAttempts: number) {
    // A sync call (no stored request) cannot run again: its caller is gone with the process that ran it.
    return tx('calls').where({ status: 'running' }).where('lease_until', '<', this.db.fn.now())
      .update({
        status: this.db.raw("CASE WHEN request IS NULL OR attempts >= ? THEN 'error' ELSE 'queued' END", [maxAttempts]),
        error: this.db.raw('CASE WHEN request IS NULL THEN ? WHEN attempts >= ? THEN ? ELSE NULL END',
          ['the process running this sync call stopped answering', maxAttempts,
            `the engine running this call stopped answering ${maxAttempts} times`]),
        completed_at: this.db.raw('CASE WHEN request IS NULL OR attempts >= ? THEN now() ELSE NULL END', [maxAttempts]),
        engine_id: null, lease_until: null, started_at: this.db.raw('CASE WHEN request IS NULL THEN started_at ELSE NULL END'),
      }).returning(['id', 'status', this.db.raw('request IS NOT NULL AS request')]);
  }

  async listStaleQueued(olderThan: Date, limit: number): Promise<string[]> {
    const rows = await this.db('calls').where({ status: 'queued' }).where('created_at', '<', olderThan).where((q) => this.due(q))
      .orderBy('created_at').limit(limit).select('id');
    return rows.map((r: { id: string }) => r.id);
  }

  async purge(before: Date): Promise<number> {
    await this.finished.settle();
    const rows = await this.db('calls').whereNotIn('status', ['queued', 'running'])
      .where('completed_at', '<', before).delete().returning('id');
    return rows.length;
  }

  async retryLater(id: string, engineId: string, o: CallOutcome, delayMs: number): Promise<boolean> {
    this.startMarks.delete(id);
    return this.db.transaction(async (tx) => {
      const rows = await tx('calls').where({ id, status: 'running', engine_id: engineId })
        .update({
          status: 'queued', engine_id: null, lease_until: null, started_at: null, kind: null, error: o.error ?? null,
          not_before: tx.raw('now() + make_interval(secs => ?)', [delayMs / 1000]),
        }).returning(['attempts', 'not_before']);
      if (rows.length === 0) return false;
      await tx('call_attempts').insert({ ...attemptColumns(id, rows[0].attempts, o), retry_at: rows[0].not_before })
        .onConflict(['call_id', 'attempt']).ignore();
      return true;
    });
  }

  async recordAttempt(id: string, attempt: number, o: CallOutcome): Promise<void> {
    await this.db('call_attempts').insert(attemptColumns(id, attempt, o)).onConflict(['call_id', 'attempt']).ignore();
  }

  async releaseDueRetries(limit: number): Promise<string[]> {
    const due = this.db('calls').select('id').where({ status: 'queued' }).where('not_before', '<=', this.db.fn.now())
      .orderBy('not_before').limit(limit).forUpdate().skipLocked();
    const rows = await this.db('calls').whereIn('id', due).update({ not_before: null }).returning('id');
    return rows.map((r: { id: string }) => r.id);
  }

  async attempts(projectId: string, id: string): Promise<CallAttempt[]> {
    if (!isUuid(id)) return [];
    const rows = await this.db('call_attempts').join('calls', 'calls.id', 'call_attempts.call_id')
      .where({ 'calls.project_id': projectId, 'call_attempts.call_id': id }).orderBy('call_attempts.attempt')
      .select('call_attempts.*');
    return rows.map((r: Record<string, any>) => ({
      attempt: r.attempt, status: r.status, startedAt: date(r.started_at), completedAt: new Date(r.completed_at),
      exitCode: r.exit_code ?? undefined, error: r.error ?? undefined, retryAt: date(r.retry_at),
      log: r.log ? Buffer.from(r.log) : Buffer.alloc(0), logTruncated: r.log_truncated,
    }));
  }

  /** Queued calls that may be claimed now: not waiting for a retry. */
  private due(q: ReturnType<Db>) {
    return q.whereNull('not_before').orWhere('not_before', '<=', this.db.fn.now());
  }

  private leaseUntil(leaseMs: number) {
    return this.db.raw(`now() + make_interval(secs => ?)`, [leaseMs / 1000]);
  }

  private async writeStartMarks(): Promise<void> {
    this.startTimer = undefined;
    const due = Date.now() - START_MARK_DELAY_MS;
    const marks = [...this.startMarks.values()].filter((m) => m.addedAt <= due).slice(0, 500);
    for (const m of marks) this.startMarks.delete(m.id);
    if (this.startMarks.size) this.startTimer = setTimeout(() => void this.writeStartMarks(), START_MARK_DELAY_MS / 4).unref();
    // Only shown while the call runs (its final record carries the start time), so a failed write is not retried.
    if (marks.length) await markStartedMany(this.db, marks).catch(() => undefined);
  }

  private claimed(row: CallRow | undefined): ClaimedCall | undefined {
    if (!row?.request) return row ? { call: toCall(row), request: emptyRequest() } : undefined;
    return { call: toCall(row), request: fromRequestColumn(row.request) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);
const emptyRequest = (): CallRequest => ({ method: 'POST', url: '', requestPath: '', headers: {}, body: Buffer.alloc(0) });
