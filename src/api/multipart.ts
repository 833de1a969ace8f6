// multipart/form-data for routes with code (docs/runtimes.md): a `route` field holding the route's
// JSON (as in a JSON body) and one file part, `file` (a single source file) or `package` (a zip;
// python-qinlingclient's name). Read with busboy; a file over the package limit is refused as it
// streams, before it is kept whole.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { packageInvalid, requestInvalid } from '../errors';
import type { Upload } from '../runtimes/code-routes';

/** The parsed form: the route body (`{"route": {...}}`) and the uploaded file, if any. */
export interface RouteForm {
  body: unknown;
  upload?: Upload;
}

/** Reads a route form from `req`; throws FRESCO_REQUEST_INVALID or FRESCO_PACKAGE_INVALID naming the problem. */
export function readRouteForm(req: IncomingMessage, maxFile: number): Promise<RouteForm> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: maxFile, files: 1, fields: 16, fieldSize: 1024 * 1024 } });
    } catch (err) {
      return reject(requestInvalid(`body: not a multipart form (${(err as Error).message})`));
    }
    let routeText: string | undefined;
    let upload: Upload | undefined;
    let failed: Error | undefined;
    const fail = (err: Error) => { failed ??= err; };
    bb.on('field', (name, value) => {
      if (name === 'route') routeText = value;
      else fail(requestInvalid(`body: unknown form field "${name}" (expected "route" and a "file" or "package" part)`));
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      if (name !== 'file' && name !== 'package') fail(requestInvalid(`body: unknown file part "${name}" (expected "file" or "package")`));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(packageInvalid(`the package is over the limit of ${maxFile} bytes`)));
      stream.on('end', () => { upload = { name: info.filename ?? '', content: Buffer.concat(chunks) }; });
    });
    bb.on('filesLimit', () => fail(requestInvalid('body: one file part at most')));
    bb.on('error', (err: Error) => reject(requestInvalid(`body: not a valid multipart form (${err.message})`)));
    bb.on('close', () => {
      if (failed) return reject(failed);
      if (routeText === undefined) return reject(requestInvalid('route: required, a form field holding the route\'s JSON, e.g. {"path": "/hello", "runtime": "python3", "entry": "hello.main"}'));
      let route: unknown;
      try {
        route = JSON.parse(routeText);
      } catch {
        return reject(requestInvalid('route: the form field must hold JSON'));
      }
      resolve({ body: { route }, upload });
    });
    req.pipe(bb);
  });
}
