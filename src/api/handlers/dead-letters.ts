import Router from '@koa/router';
import type { DeadLetter } from '../../domain/dead-letter';
import type { Authorizer } from '../../domain/identity';
import type { DeadLetterService, RedriveResult } from '../../services/dead-letter-service';
import { guard, type FrescoState } from '../context';
import { presentCall } from './calls';

/** A kept body as text when it is UTF-8, else base64 (`body_encoding` says which). */
function presentBody(body: Buffer): { body: string; body_encoding: 'utf8' | 'base64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { body: text, body_encoding: 'utf8' } : { body: body.toString('base64'), body_encoding: 'base64' };
}

/** The DeadLetter of docs/api.md ("Dead letters"); `withInput` adds the kept input (show only). */
export function presentDeadLetter(d: DeadLetter, withInput = false) {
  const ct = d.input.headers['content-type'];
  return {
    id: d.id, project_id: d.projectId, kind: d.kind, call_id: d.callId ?? null, app: d.app, route: d.route,
    trigger: d.trigger, trigger_id: d.triggerId ?? null, reason: d.reason, error_code: d.errorCode ?? null,
    error: d.error ?? null, attempts: d.attempts, input_size: d.input.body.length,
    content_type: (Array.isArray(ct) ? ct[0] : ct) ?? null,
    created_at: d.createdAt.toISOString(), redriven_at: d.redrivenAt?.toISOString() ?? null,
    redrive_call_id: d.redriveCallId ?? null,
    ...(withInput ? { input: { method: d.input.method, headers: d.input.headers, ...presentBody(d.input.body) } } : {}),
  };
}

const presentResult = (r: RedriveResult) =>
  ('callId' in r ? { id: r.id, call_id: r.callId, error: null } : { id: r.id, call_id: null, error: r.error });

/** /v1/{project_id}/deadletters[/{id}[/redrive]], .../deadletters/redrive and .../deadletters/purge. */
export function deadLetterRoutes(router: Router<FrescoState>, deps: { deadLetters: DeadLetterService; authorizer: Authorizer }): void {
  const allow = guard(deps.authorizer);
  router.get('/v1/:project_id/deadletters', async (ctx) => {
    allow(ctx, 'fresco:deadletter:list');
    const page = await deps.deadLetters.list(ctx.params.project_id, ctx.query);
    ctx.body = { deadletters: page.deadLetters.map((d) => presentDeadLetter(d)), next: page.next };
  });
  router.post('/v1/:project_id/deadletters/redrive', async (ctx) => {
    allow(ctx, 'fresco:deadletter:redrive');
    const { results, more } = await deps.deadLetters.redriveMany(ctx.params.project_id, ctx.request.body);
    const redriven = results.filter((r) => 'callId' in r).length;
    ctx.body = { results: results.map(presentResult), redriven, more, message: `${redriven} dead letter(s) redriven` };
  });
  router.post('/v1/:project_id/deadletters/purge', async (ctx) => {
    allow(ctx, 'fresco:deadletter:delete');
    const purged = await deps.deadLetters.purge(ctx.params.project_id, ctx.request.body);
    ctx.body = { purged, message: `${purged} dead letter(s) purged` };
  });
  router.get('/v1/:project_id/deadletters/:id', async (ctx) => {
    allow(ctx, 'fresco:deadletter:get');
    ctx.body = { deadletter: presentDeadLetter(await deps.deadLetters.get(ctx.params.project_id, ctx.params.id), true) };
  });
  router.post('/v1/:project_id/deadletters/:id/redrive', async (ctx) => {
    allow(ctx, 'fresco:deadletter:redrive');
    const { deadLetter, call } = await deps.deadLetters.redrive(ctx.params.project_id, ctx.params.id);
    ctx.status = 202;
    ctx.set('Location', `/v1/${encodeURIComponent(ctx.params.project_id)}/calls/${call.id}`);
    ctx.body = { deadletter: presentDeadLetter(deadLetter), call: presentCall(call), call_id: call.id, message: 'Dead letter redriven' };
  });
  router.delete('/v1/:project_id/deadletters/:id', async (ctx) => {
    allow(ctx, 'fresco:deadletter:delete');
    await deps.deadLetters.delete(ctx.params.project_id, ctx.params.id);
    ctx.body = { message: 'Dead letter deleted' };
  });
}
