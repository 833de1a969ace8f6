// A request body read as raw-body reads one (same limits, same errors), with
// less machinery: every run's body and every alarm callback's body, on the fast path and in Koa.
import type { IncomingMessage } from 'node:http';
import { requestTooLarge } from '../errors';

function badRequest(message: string, type: string): Error {
  return Object.assign(new Error(message), { status: 400, statusCode: 400, expose: true, type });
}

/** The whole body, at most `limit` bytes: FrescoError 413 above; 400 when aborted or shorter than its Content-Length. */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  // Koa's ctx.request.length: ~~ of the header, absent when the header is.
  const length = declared === undefined || declared === '' ? undefined : ~~declared;
  const tooLarge = () => requestTooLarge(limit);
  if (length !== undefined && length > limit) {
    req.pause();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('aborted', onAborted).off('error', done);
      if (err) {
        req.pause();
        return reject(err);
      }
      if (length !== undefined && received !== length) return reject(badRequest('request size did not match content length', 'request.size.invalid'));
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return done(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onAborted = () => done(badRequest('request aborted', 'request.aborted'));
    req.on('data', onData).on('end', onEnd).on('aborted', onAborted).on('error', done);
  });
}
