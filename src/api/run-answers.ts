// What a run answers, as data: shared by the Koa handlers (handlers/runs.ts) and the fast path
// (fast-path.ts) so that both give the same statuses, headers and bodies.
import { isUtf8 } from 'node:buffer';
import { callCancelled, callFailed, callTimeout, type FrescoError } from '../errors';
import type { CallOutcome } from '../domain/executor';
import type { ResolvedRoute } from '../services/route-resolver';
import type { InvokeAnswer } from '../services/invoke-service';

/** The run URL patterns (@koa/router syntax); the fast path serves what the router gives these. */
export const PRIVATE_RUN = '/v1/r/:project_id/:app/*route';
export const PUBLIC_RUN = '/r/:app/*route';

/** A response as headers in the order they are set, a status and a body. */
export interface Answer {
  status: number;
  headers: Array<[string, string | string[]]>;
  body: Buffer | object;
}

/** The error a call's result ends the request with, or undefined for a success. */
export function failure(result: CallOutcome): FrescoError | undefined {
  if (result.status === 'success') return undefined;
  // A function's own failure is the caller's business: the message is always shown.
  if (result.status === 'timeout') return callTimeout(result.error);
  if (result.status === 'cancelled') return callCancelled();
  return callFailed(result.error, result.exitCode ?? null);
}

/** 202 with the call's id and location. */
export function asyncAnswer(answer: InvokeAnswer & { mode: 'async' }, publicUrl: string): Answer {
  return {
    status: 202,
    headers: [['Location', `${publicUrl}/v1/${answer.call.projectId}/calls/${answer.call.id}`], ['X-Fresco-Call-Id', answer.call.id]],
    body: { call_id: answer.call.id, message: 'Call accepted' },
  };
}

/** The Picasso answer of POST /v1/r: the output as a string in JSON. */
export function picassoAnswer(callId: string, result: CallOutcome): Answer {
  return {
    status: 200,
    headers: [['X-Fresco-Call-Id', callId]],
    body: { result: result.result.toString('utf8'), call_id: callId, message: 'Call finished' },
  };
}

// Valid UTF-8 without NUL; isUtf8 checks in place where a decode and re-encode copied the output twice.
function looksLikeText(buf: Buffer): boolean {
  return !buf.includes(0) && isUtf8(buf);
}

// Framing is Node's to write; the request and call ids are Fresco's: neither a route's headers nor
// the function may set them.
const RESERVED = /^(content-length|transfer-encoding|connection|x-openstack-request-id|x-fresco-call-id)$/i;

/** The function's own answer on /r: route headers, its status, headers and body (http/json formats), or stdout. */
export function rawAnswer(target: ResolvedRoute, callId: string, result: CallOutcome): Answer {
  const headers: Answer['headers'] = [];
  // As a header map would: the last Content-Type set counts, and an empty one is none.
  let typed = false;
  const add = (name: string, value: string | string[]) => {
    headers.push([name, value]);
    if (name.toLowerCase() === 'content-type') typed = value !== '';
  };
  for (const [name, values] of Object.entries(target.route.headers)) if (values[0] !== undefined && !RESERVED.test(name)) add(name, values[0]);
  for (const [name, values] of Object.entries(result.httpHeaders ?? {})) if (!RESERVED.test(name)) add(name, values);
  headers.push(['X-Fresco-Call-Id', callId]);
  if (!typed) headers.push(['Content-Type', looksLikeText(result.result) ? 'text/plain; charset=utf-8' : 'application/octet-stream']);
  return { status: result.httpStatus ?? 200, headers, body: result.result };
}
