import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Call, CallAttempt } from '../../domain/models';
import { callNotFound, requestInvalid } from '../../errors';
import { DEFAULT_PRIORITY } from '../../domain/priority';
import type { Authorizer } from '../../domain/identity';
import type { CallService } from '../../services/call-service';
import { guard, type FrescoState } from '../context';

/** The Call of docs/api.md (Calls). */
export function presentCall(c: Call) {
  return {
    id: c.id, project_id: c.projectId, app: c.app, route: c.route, status: c.status, trigger: c.trigger,
    trigger_id: c.triggerId ?? null, cold: c.kind ? c.kind !== 'hot' : null, kind: c.kind ?? null,
    created_at: c.createdAt.toISOString(), started_at: c.startedAt?.toISOString() ?? null,
    completed_at: c.completedAt?.toISOString() ?? null, duration_ms: c.durationMs ?? null,
    exit_code: c.exitCode ?? null, error: c.error ?? null, result: c.result?.toString('utf8') ?? null,
    truncated: c.resultTruncated, log_truncated: c.logTruncated, attempts: c.attempts,
    progress: c.progress ?? null, progress_message: c.progressMessage ?? null,
    parent_call_id: c.parentCallId ?? null, root_call_id: c.rootCallId ?? c.id, depth: c.depth ?? 0, chain_error: c.chainError ?? null,
    redrive_of: c.redriveOf ?? null, replay_of: c.replayOf ?? null,
    route_version: c.routeVersion ?? null,
    priority: c.priority ?? DEFAULT_PRIORITY,
  };
}

/** One attempt of a retried call (docs/api.md, "Retries"); its log at .../log?attempt=N. */
function presentAttempt(a: CallAttempt) {
  return {
    attempt: a.attempt, status: a.status, started_at: a.startedAt?.toISOString() ?? null,
    completed_at: a.completedAt.toISOString(), exit_code: a.exitCode ?? null, error: a.error ?? null,
    retry_at: a.retryAt?.toISOString() ?? null, log_truncated: a.logTruncated,
  };
}

/** /v1/{project_id}/calls[/{id}[/log]]. */
export function callRoutes(router: Router<FrescoState>, deps: { calls: CallService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);
  router.get('/v1/:project_id/calls', async (ctx) => {
    allow(ctx, 'fresco:call:list');
    const page = await deps.calls.list(ctx.params.project_id, ctx.query);
    ctx.body = { calls: page.calls.map(presentCall), next: page.next };
  });
  router.get('/v1/:project_id/calls/:id', async (ctx) => {
    allow(ctx, 'fresco:call:get');
    const call = presentCall(await deps.calls.get(ctx.params.project_id, ctx.params.id));
    const attempts = await deps.calls.attempts(ctx.params.project_id, ctx.params.id);
    // Only retried calls have the list: a call that ran once answers as before.
    ctx.body = { call: attempts.length ? { ...call, attempt_history: attempts.map(presentAttempt) } : call };
  });
  router.get('/v1/:project_id/calls/:id/log', async (ctx) => {
    allow(ctx, 'fresco:call:get');
    const follow = ctx.query.follow;
    if (follow !== undefined && follow !== 'true' && follow !== 'false') throw requestInvalid('follow: must be true or false');
    if (follow === 'true') {
      if (ctx.query.attempt !== undefined) throw requestInvalid('attempt: cannot be combined with follow');
      return followLog(ctx, deps.calls, ctx.params.project_id, ctx.params.id);
    }
    let log = await deps.calls.log(ctx.params.project_id, ctx.params.id);
    if (ctx.query.attempt !== undefined) {
      const n = Number(ctx.query.attempt);
      if (!Number.isInteger(n) || n < 1) throw requestInvalid('attempt: must be a whole number of at least 1');
      const a = (await deps.calls.attempts(ctx.params.project_id, ctx.params.id)).find((x) => x.attempt === n);
      if (!a) throw callNotFound(`${ctx.params.id} attempt ${n}`);
      log = { log: a.log, truncated: a.logTruncated };
    }
    ctx.type = 'text/plain; charset=utf-8';
    if (log.truncated) ctx.set('X-Fresco-Log-Truncated', 'true');
    ctx.body = log.log;
  });
  // Chaining (docs/api.md): whoever may read a call may read the chain it belongs to.
  router.get('/v1/:project_id/calls/:id/lineage', async (ctx) => {
    allow(ctx, 'fresco:call:get');
    const calls = await deps.calls.lineage(ctx.params.project_id, ctx.params.id);
    ctx.body = { lineage: { root_call_id: calls[0].id, calls: calls.map(presentCall) } };
  });
  router.post('/v1/:project_id/calls/:id/replay', async (ctx) => {
    allow(ctx, 'fresco:call:replay');
    const call = await deps.calls.replay(ctx.params.project_id, ctx.params.id);
    ctx.status = 202;
    ctx.set('Location', `/v1/${encodeURIComponent(ctx.params.project_id)}/calls/${call.id}`);
    ctx.body = { call: presentCall(call), call_id: call.id, message: 'Call replayed' };
  });
  router.delete('/v1/:project_id/calls/:id', async (ctx) => {
    allow(ctx, 'fresco:call:cancel');
    const call = await deps.calls.cancel(ctx.params.project_id, ctx.params.id);
    ctx.body = { call: presentCall(call), message: call.status === 'cancelled' ? 'Call cancelled' : 'Call had already finished' };
  });
}

/** How often a follow of a call running in another process reads its record. */
export const FOLLOW_POLL_MS = 250;

const FINAL = new Set(['success', 'error', 'timeout', 'cancelled']);

/**
 * GET .../log?follow=true: the call's log as it is written, until the call ends. A call running in
 * this process is tailed live (X-Fresco-Log-Follow: live); one running elsewhere is awaited by
 * reading its record, then answered with its stored log, as is a call already ended (final).
 * The stream ends when the client leaves, and everything it held is let go.
 */
async function followLog(ctx: Context, calls: CallService, projectId: string, id: string): Promise<void> {
  const first = await calls.get(projectId, id);
  const out = new PassThrough();
  let stop: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    stop?.();
    stop = undefined;
    clearTimeout(timer);
    out.end();
  };
  const finalLog = async () => {
    if (closed) return;
    const log = await calls.log(projectId, id).catch(() => undefined);
    if (log && !closed) out.write(log.log);
    close();
  };
  // Follows here while the call runs here; reads the record while it runs elsewhere (or waits
  // between attempts); ends with the stored log once the call is final.
  const step = async (): Promise<void> => {
    timer = undefined;
    if (closed) return;
    const call = await calls.get(projectId, id).catch(() => undefined);
    if (closed) return;
    if (!call || FINAL.has(call.status)) return finalLog();
    if (tryHere()) return;
    timer = setTimeout(() => void step().catch(close), FOLLOW_POLL_MS);
  };
  const tryHere = (): boolean => {
    stop = calls.followHere(id, {
      data: (chunk) => { if (!closed) out.write(chunk); },
      end: (recorded) => {
        stop = undefined;
        // Its outcome recorded here, the follower has the whole final log; otherwise (retry
        // later, back in the queue) the call goes on, here or elsewhere.
        if (recorded) close();
        else if (!closed) timer = setTimeout(() => void step().catch(close), 0);
      },
    });
    return stop !== undefined;
  };
  ctx.type = 'text/plain; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  if (FINAL.has(first.status)) {
    ctx.set('X-Fresco-Log-Follow', 'final');
    const log = await calls.log(projectId, id);
    if (log.truncated) ctx.set('X-Fresco-Log-Truncated', 'true');
    ctx.body = log.log;
    return;
  }
  ctx.res.once('close', close);
  out.once('close', close);
  ctx.body = out;
  if (tryHere()) {
    ctx.set('X-Fresco-Log-Follow', 'live');
  } else {
    ctx.set('X-Fresco-Log-Follow', 'final');
    timer = setTimeout(() => void step().catch(close), FOLLOW_POLL_MS);
  }
  // The client learns at once that the follow began (and which kind), not with the first line.
  ctx.flushHeaders();
}
