import type { ServerResponse } from 'node:http';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { FrescoError } from '../../errors';
import { CallAbort } from '../../domain/call-abort';
import type { Authorizer } from '../../domain/identity';
import type { ResolvedRoute, RouteResolver } from '../../services/route-resolver';
import type { InvokeAnswer, InvokeService } from '../../services/invoke-service';
import { guard, type FrescoState } from '../context';
import { answerError } from '../middleware/errors';
import { readRequestBody } from '../request-body';
import { Answer, asyncAnswer, failure, picassoAnswer, PRIVATE_RUN, PUBLIC_RUN, rawAnswer } from '../run-answers';

export interface InvokeDeps {
  resolver: RouteResolver;
  invoker: InvokeService;
  authorizer: Authorizer;
  maxBodySize: number;
  publicUrl: string;
}

/** The raw request body, at most `limit` bytes (413 above): the fast path's reader, so both paths read alike. */
export function readBody(ctx: Context, limit: number): Promise<Buffer> {
  return readRequestBody(ctx.req, limit);
}

/** A CallAbort aborted when the caller goes away before the answer is written (the Koa path and the fast path). */
export function callerGone(res: ServerResponse): CallAbort {
  const ac = new CallAbort();
  res.once('close', () => { if (!res.writableFinished) ac.abort(); });
  return ac;
}

async function start(ctx: Context, target: ResolvedRoute, deps: InvokeDeps): Promise<InvokeAnswer> {
  const body = await readBody(ctx, deps.maxBodySize);
  return deps.invoker.invoke(target, {
    method: ctx.method, url: ctx.href, requestPath: ctx.originalUrl, headers: ctx.headers as Record<string, string>,
    body, trigger: 'http', abort: callerGone(ctx.res),
  });
}

/** Sets an Answer on the Koa context. */
function reply(ctx: Context, a: Answer): void {
  for (const [name, value] of a.headers) ctx.set(name, value);
  ctx.status = a.status;
  ctx.body = a.body;
}

/** Answers with the call's error; the call id comes from the run's answer, beside the error. */
function answerFailure(ctx: Context, callId: string, err: FrescoError): void {
  ctx.set('X-Fresco-Call-Id', callId);
  answerError(ctx, err, { call_id: callId });
}

/** POST /v1/r/{project}/{app}/{route} (token) and any method on /r/{app}/{route} (public). */
export function runRoutes(router: Router<FrescoState>, deps: InvokeDeps): void {
  const allow = guard(deps.authorizer);
  router.post(PRIVATE_RUN, async (ctx) => {
    allow(ctx, 'fresco:route:run');
    const target = await deps.resolver.pick(
      await deps.resolver.private(ctx.params.project_id, ctx.params.app, `/${ctx.params.route}`), ctx.headers);
    const answer = await start(ctx, target, deps);
    if (answer.mode === 'async') return reply(ctx, asyncAnswer(answer, deps.publicUrl));
    const err = failure(answer.outcome);
    if (err) return answerFailure(ctx, answer.callId, err);
    reply(ctx, picassoAnswer(answer.callId, answer.outcome));
  });
  router.all(PUBLIC_RUN, async (ctx) => {
    const target = await deps.resolver.pick(await deps.resolver.public(ctx.params.app, `/${ctx.params.route}`), ctx.headers);
    const answer = await start(ctx, target, deps);
    if (answer.mode === 'async') return reply(ctx, asyncAnswer(answer, deps.publicUrl));
    const err = failure(answer.outcome);
    if (err) return answerFailure(ctx, answer.callId, err);
    reply(ctx, rawAnswer(target, answer.callId, answer.outcome));
  });
}
