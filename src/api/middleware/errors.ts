import type { Middleware } from 'koa';
import { FrescoError } from '../../errors';
import { log } from '../../log';
import { isDatabaseUnavailable } from '../../store/pg-errors';

// The one place an error becomes a response: {"error": {"message", "code", "request_id"}}.

const HTTP_CODES: Record<number, string> = {
  400: 'FRESCO_REQUEST_MALFORMED',
  404: 'FRESCO_NOT_FOUND',
  405: 'FRESCO_METHOD_NOT_ALLOWED',
  413: 'FRESCO_REQUEST_TOO_LARGE',
  415: 'FRESCO_REQUEST_UNSUPPORTED_MEDIA_TYPE',
  501: 'FRESCO_NOT_IMPLEMENTED',
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
    const message = invalidJson ? `body: invalid JSON (${e.message})` :
      status === 413 ? 'body: request body is larger than this deployment accepts' : e.message ?? 'bad request';
    return new FrescoError(HTTP_CODES[status] ?? 'FRESCO_REQUEST_INVALID', status, message);
  }
  if (isDatabaseUnavailable(err)) {
    return new FrescoError('FRESCO_DATABASE_UNAVAILABLE', 503, 'The database is not reachable right now; retry later', true);
  }
  return new FrescoError('FRESCO_INTERNAL_ERROR', 500, 'Internal error; the request id identifies it in the logs', false);
}

/** The SPEC §2 answer to `err`: its FrescoError (status, headers) and the JSON body; logs 5xx. */
export function errorAnswer(err: unknown, requestId: string) {
  const fe = normalise(err);
  if (fe.status >= 500) log.error({ err, requestId }, 'request failed');
  const callId = (err as { callId?: string }).callId;
  const body = {
    error: { message: fe.expose ? fe.message : 'Internal error', code: fe.code, request_id: requestId },
    ...(callId ? { call_id: callId } : {}),
  };
  return { fe, body };
}

/** Renders thrown errors (FrescoError, Koa/http-errors) as the SPEC §2 error body; logs 5xx. */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new FrescoError('FRESCO_NOT_FOUND', 404, `No resource at ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const { fe, body } = errorAnswer(err, ctx.state.requestId);
      ctx.status = fe.status;
      ctx.set(fe.headers);
      ctx.body = body;
    }
  };
}
