import Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { callCancelled, callFailed, callTimeout, type FrescoError, requestTooLarge } from '../../errors';
import type { CallResult } from '../../domain/executor';
import type { Authorizer } from '../../domain/identity';
import type { ResolvedRoute, RouteResolver } from '../../services/route-resolver';
import type { RunAnswer, RunService } from '../../services/run-service';
import { guard, type FrescoState } from '../context';
import { answerError } from '../middleware/errors';

export interface RunDeps {
  resolver: RouteResolver;
  runs: RunService;
  authorizer: Authorizer;
  maxBodySize: number;
  publicUrl: string;
}

/** The raw request body, at most `limit` bytes (413 above). */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.request.length });
  } catch (err) {
    if ((err as { status?: number }).status === 413) {
      throw requestTooLarge(limit);
    }
    throw err;
  }
}

/** An AbortController aborted when the caller goes away before the answer is written. */
function callerGone(ctx: Context): AbortController {
  const ac = new AbortController();
  ctx.res.once('close', () => { if (!ctx.res.writableFinished) ac.abort(); });
  return ac;
}

async function start(ctx: Context, target: ResolvedRoute, deps: RunDeps): Promise<RunAnswer> {
  const body = await readBody(ctx, deps.maxBodySize);
  return deps.runs.run(target, {
    method: ctx.method, url: ctx.href, requestPath: ctx.originalUrl, headers: ctx.headers as Record<string, string>,
    body, trigger: 'http', abort: callerGone(ctx),
  });
}

function failure(result: CallResult): FrescoError | undefined {
  if (result.status === 'success') return undefined;
  if (result.status === 'timeout') return callTimeout(result.error);
  if (result.status === 'cancelled') return callCancelled();
  return callFailed(result.error, result.exitCode);
}

function answerAsync(ctx: Context, answer: RunAnswer & { mode: 'async' }, publicUrl: string): void {
  ctx.status = 202;
  ctx.set('Location', `${publicUrl}/v1/${answer.call.projectId}/calls/${answer.call.id}`);
  ctx.set('X-Fresco-Call-Id', answer.call.id);
  ctx.body = { call_id: answer.call.id, message: 'Call accepted' };
}

/** Answers with the call's error; the call id comes from the run's answer, beside the error. */
function answerFailure(ctx: Context, callId: string, err: FrescoError): void {
  ctx.set('X-Fresco-Call-Id', callId);
  answerError(ctx, err, { call_id: callId });
}

/** POST /v1/r/{project}/{app}/{route} (token) and any method on /r/{app}/{route} (public). */
export function runRoutes(router: Router<FrescoState>, deps: RunDeps): void {
  const allow = guard(deps.authorizer);
  router.post('/v1/r/:project_id/:app/*route', async (ctx) => {
    allow(ctx, 'fresco:route:run');
    const target = await deps.resolver.private(ctx.params.project_id, ctx.params.app, `/${ctx.params.route}`);
    const answer = await start(ctx, target, deps);
    if (answer.mode === 'async') return answerAsync(ctx, answer, deps.publicUrl);
    const err = failure(answer.result);
    if (err) return answerFailure(ctx, answer.callId, err);
    ctx.set('X-Fresco-Call-Id', answer.callId);
    ctx.body = { result: answer.result.output.toString('utf8'), call_id: answer.callId, message: 'Call finished' };
  });
  router.all('/r/:app/*route', async (ctx) => {
    const target = await deps.resolver.public(ctx.params.app, `/${ctx.params.route}`);
    const answer = await start(ctx, target, deps);
    if (answer.mode === 'async') return answerAsync(ctx, answer, deps.publicUrl);
    const err = failure(answer.result);
    if (err) return answerFailure(ctx, answer.callId, err);
    writeRaw(ctx, target, answer.callId, answer.result);
  });
}

function looksLikeText(buf: Buffer): boolean {
  return !buf.includes(0) && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** The function's own answer: status, headers and body (http/json formats), or stdout. */
function writeRaw(ctx: Context, target: ResolvedRoute, callId: string, result: CallResult): void {
  for (const [name, values] of Object.entries(target.route.headers)) if (values[0] !== undefined) ctx.set(name, values[0]);
  for (const [name, values] of Object.entries(result.httpHeaders ?? {})) {
    if (!/^(content-length|transfer-encoding|connection)$/i.test(name)) ctx.set(name, values);
  }
  ctx.set('X-Fresco-Call-Id', callId);
  ctx.status = result.httpStatus ?? 200;
  if (!ctx.response.get('Content-Type')) {
    ctx.type = looksLikeText(result.output) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  }
  ctx.body = result.output;
}
