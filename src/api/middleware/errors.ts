import type { Context, Middleware } from 'koa';
import {
  databaseUnavailable, type ErrorSpec, FrescoError, internalError, methodNotAllowed, notFound, notImplemented,
  requestInvalid, requestMalformed, requestTooLarge, unsupportedMediaType,
} from '../../errors';
import { log } from '../../log';
import { isDatabaseUnavailable } from '../../store/pg-errors';

// The one place an error becomes a response: {"error": {"message", "code", "request_id"}}.

// Koa's and its body parser's own 4xx errors, by status; any other 4xx is FRESCO_REQUEST_INVALID.
const HTTP_ERRORS: Record<number, ErrorSpec> = {
  400: requestMalformed.spec,
  404: notFound.spec,
  405: methodNotAllowed.spec,
  413: requestTooLarge.spec,
  415: unsupportedMediaType.spec,
  501: notImplemented.spec,
};

interface HttpishError {
  status?: number; statusCode?: number; expose?: boolean; message?: string; name?: string; type?: string;
}

function normalise(err: unknown): FrescoError {
  if (err instanceof FrescoError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (status && status >= 400 && status < 500 && e.expose !== false) {
    const invalidJson = e.type === 'entity.parse.failed' || e.name === 'SyntaxError';
    if (status === 413 && !invalidJson) return requestTooLarge();
    const message = invalidJson ? `body: invalid JSON (${e.message})` : e.message ?? 'bad request';
    return new FrescoError(HTTP_ERRORS[status] ?? requestInvalid.spec, message, {}, status);
  }
  if (status === 501) return notImplemented(e.message ?? 'The method is not implemented.');
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  return internalError();
}

/**
 * The answer (docs/api.md, "Errors") to `err`: its FrescoError (status, headers) and the JSON body, with `extra`
 * top-level fields beside `error` (a failed call's `call_id`); logs 5xx.
 */
export function errorAnswer(err: unknown, requestId: string, extra: Record<string, unknown> = {}) {
  const fe = normalise(err);
  // A 501 is the caller's choice of method, not a failure of Fresco's.
  if (fe.status >= 500 && fe.status !== 501) log.error({ err, requestId }, 'request failed');
  const body = {
    error: { message: fe.expose ? fe.message : 'Internal error', code: fe.code, request_id: requestId },
    ...extra,
  };
  return { fe, body };
}

/** Answers the Koa request with errorAnswer(err, its request id, extra). */
export function answerError(ctx: Context, err: unknown, extra: Record<string, unknown> = {}): void {
  const { fe, body } = errorAnswer(err, ctx.state.requestId, extra);
  ctx.status = fe.status;
  ctx.set(fe.headers);
  ctx.body = body;
}

// TRACE echoes a request back (cross-site tracing); no resource of Fresco, nor a function, answers it.
const UNIMPLEMENTED = new Set(['TRACE', 'CONNECT', 'TRACK']);

/** True for a method Fresco answers 501 to on every path (runs included: the fast path leaves them to Koa). */
export function isUnimplementedMethod(method: string): boolean {
  return UNIMPLEMENTED.has(method.toUpperCase());
}

/** Renders thrown errors (FrescoError, Koa/http-errors) with answerError. */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      if (isUnimplementedMethod(ctx.method)) throw notImplemented(`${ctx.method} is not implemented`);
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFound(ctx.method, ctx.path);
    } catch (err) {
      answerError(ctx, err);
    }
  };
}
