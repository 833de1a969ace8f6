// The function create/update bodies of python-qinlingclient (docs/qinling.md): multipart/form-data
// (with a `package` zip part) or application/x-www-form-urlencoded, every field a string, `code` a
// JSON string. Read with busboy, the package bounded as it streams.
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { packageInvalid, requestInvalid } from '../../errors';
import type { Upload } from '../../runtimes/code-routes';

/** The text fields (the last value of a repeated one; Swift updates repeat `swift`) and the package. */
export interface FunctionForm {
  fields: Record<string, string>;
  upload?: Upload;
}

/** Reads a function form; FRESCO_REQUEST_INVALID or FRESCO_PACKAGE_INVALID naming the problem. */
export function readFunctionForm(req: IncomingMessage, maxFile: number): Promise<FunctionForm> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fileSize: maxFile, files: 1, fields: 32, fieldSize: 64 * 1024 } });
    } catch (err) {
      return reject(requestInvalid(`body: a function is sent as a form (multipart or urlencoded) (${(err as Error).message})`));
    }
    const fields: Record<string, string> = {};
    let upload: Upload | undefined;
    let failed: Error | undefined;
    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      if (name !== 'package') failed ??= requestInvalid(`body: unknown file part "${name}" (expected "package")`);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => { failed ??= packageInvalid(`the package is over the limit of ${maxFile} bytes`); });
      stream.on('end', () => { upload = { name: info.filename || 'package.zip', content: Buffer.concat(chunks) }; });
    });
    bb.on('filesLimit', () => { failed ??= requestInvalid('body: one package part at most'); });
    bb.on('error', (err: Error) => reject(requestInvalid(`body: not a valid form (${err.message})`)));
    bb.on('close', () => (failed ? reject(failed) : resolve({ fields, upload })));
    req.pipe(bb);
  });
}

/** `code`'s JSON: {"source": "package"|"swift"|"image", ...}. */
export function parseCode(text: string | undefined): { source?: string; image?: string; swift?: unknown } {
  if (text === undefined) return {};
  try {
    const code = JSON.parse(text) as unknown;
    if (code && typeof code === 'object' && !Array.isArray(code)) return code as { source?: string; image?: string; swift?: unknown };
  } catch { /* below */ }
  throw requestInvalid('code: must be JSON such as {"source": "package"} or {"source": "image", "image": "repo/name:tag"}');
}
