import type { Middleware } from 'koa';
import coBody from 'co-body';
import { unsupportedMediaType } from '../../errors';

// The JSON types koa-body parsed (its default), kept so that the same requests get a parsed body.
const JSON_TYPES = ['application/json', 'application/json-patch+json', 'application/vnd.api+json',
  'application/csp-report', 'application/reports+json'];
const PARSED_METHODS = ['POST', 'PUT', 'PATCH'];

declare module 'koa' {
  interface Request {
    /** The parsed JSON body (jsonBody), as koa-body declared it: the handlers validate its shape. */
    body?: any;
  }
}

/** Parses JSON bodies up to `limit` bytes (co-body, strict: an object or array); any other content type with a body
 *  is a 415. co-body's errors (400 invalid JSON, 413 too large) go to the error middleware as they are. */
export function jsonBody(limit: number): Middleware {
  return async (ctx, next) => {
    // Runs take any body as the function's input; they read it themselves.
    if (ctx.path.startsWith('/v1/r/')) return next();
    if (!PARSED_METHODS.includes(ctx.method)) return next();
    const hasBody = ctx.request.length > 0 || ctx.get('Transfer-Encoding') !== '';
    if (hasBody && !ctx.is('json')) throw unsupportedMediaType(ctx.get('Content-Type'));
    if (ctx.is(JSON_TYPES)) ctx.request.body = await coBody.json(ctx, { encoding: 'utf-8', limit, strict: true });
    return next();
  };
}
