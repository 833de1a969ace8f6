import type { Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { FrescoError } from '../../errors';

/** Parses JSON bodies up to `limit` bytes; any other content type with a body is a 415. */
export function jsonBody(limit: number): Middleware {
  const parse = koaBody({
    json: true, jsonStrict: true, jsonLimit: limit, urlencoded: false, text: false, multipart: false,
    parsedMethods: ['POST', 'PUT', 'PATCH'] as never,
  });
  return async (ctx, next) => {
    // Runs take any body as the function's input; they read it themselves.
    if (ctx.path.startsWith('/v1/r/')) return next();
    const hasBody = ctx.request.length > 0 || ctx.get('Transfer-Encoding') !== '';
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(ctx.method) && !ctx.is('json')) {
      throw new FrescoError('FRESCO_REQUEST_UNSUPPORTED_MEDIA_TYPE', 415,
        `Content-Type must be application/json (got "${ctx.get('Content-Type') || 'none'}")`);
    }
    return parse(ctx, next);
  };
}
