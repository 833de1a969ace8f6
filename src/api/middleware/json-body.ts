import type { Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { unsupportedMediaType } from '../../errors';

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
      throw unsupportedMediaType(ctx.get('Content-Type'));
    }
    return parse(ctx, next);
  };
}
