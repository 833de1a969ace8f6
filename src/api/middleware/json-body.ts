import type { Middleware } from 'koa';
import { koaBody } from 'koa-body';
import { requestInvalid, unsupportedMediaType } from '../../errors';

/** A body the decompressor failed on (zlib and brotli errors carry no status) as the caller's 400. */
function undecodable(err: unknown, encoding: string): unknown {
  const e = err as { status?: number; message?: string };
  if (!encoding || encoding.toLowerCase() === 'identity' || e?.status !== undefined) return err;
  return requestInvalid(`body: not valid ${encoding} data as its Content-Encoding says (${e?.message ?? 'decoding failed'})`);
}

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
    let parsed = false;
    try {
      return await parse(ctx, () => { parsed = true; return next(); });
    } catch (err) {
      throw parsed ? err : undecodable(err, ctx.get('Content-Encoding'));
    }
  };
}
