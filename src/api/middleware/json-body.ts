import type { Middleware } from 'koa';
import coBody from 'co-body';
import { requestInvalid, unsupportedMediaType } from '../../errors';

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

/** A body the decompressor failed on (zlib and brotli errors carry no status) as the caller's 400. */
function undecodable(err: unknown, encoding: string): unknown {
  const e = err as { status?: number; message?: string };
  if (!encoding || encoding.toLowerCase() === 'identity' || e?.status !== undefined) return err;
  return requestInvalid(`body: not valid ${encoding} data as its Content-Encoding says (${e?.message ?? 'decoding failed'})`);
}

/** Parses JSON bodies up to `limit` bytes (co-body, strict: an object or array); any other content type with a body
 *  is a 415. co-body's errors (400 invalid JSON, 413 too large) go to the error middleware as they are; a body its
 *  Content-Encoding cannot decode is a 400 naming the encoding. */
export function jsonBody(limit: number): Middleware {
  return async (ctx, next) => {
    // Runs take any body as the function's input; they read it themselves.
    if (ctx.path.startsWith('/v1/r/')) return next();
    if (!PARSED_METHODS.includes(ctx.method)) return next();
    // A route with its code may come as a form (docs/runtimes.md); its handler reads it.
    if (ctx.is('multipart') && /^\/v1\/[^/]+\/apps\/[^/]+\/routes(\/|$)/.test(ctx.path)) return next();
    const hasBody = ctx.request.length > 0 || ctx.get('Transfer-Encoding') !== '';
    if (hasBody && !ctx.is('json')) throw unsupportedMediaType(ctx.get('Content-Type'));
    if (ctx.is(JSON_TYPES)) {
      try {
        ctx.request.body = await coBody.json(ctx, { encoding: 'utf-8', limit, strict: true });
      } catch (err) {
        throw undecodable(err, ctx.get('Content-Encoding'));
      }
    }
    return next();
  };
}
