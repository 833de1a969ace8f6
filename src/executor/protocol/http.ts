// The http hot format: an HTTP/1.1 request per call on stdin, an HTTP/1.1 response framed by
// Content-Length on stdout. Unlike IronFunctions (docs/function-contract.md) the request line carries the
// caller's real method and path, and the function's status and headers reach the caller; the
// IronFunctions per-call headers are still sent so images written for it keep working, but
// config is not (it is env, and may hold secrets).
import type { CallRequest } from '../../domain/executor';
import type { HotProtocol, HotResponse, ResponseReader } from './protocol';

// Framing headers are ours to set; a caller's copy would contradict the body we send.
const SKIP = new Set(['content-length', 'transfer-encoding', 'connection']);
const UNSAFE = /[\r\n]/;

// CR/LF in a value would let a caller forge headers or a second request.
function clean(v: string): string {
  return UNSAFE.test(v) ? v.replace(/[\r\n]/g, ' ') : v;
}

/** The request bytes for `req`: line, caller headers, IronFunctions headers, body. */
export function encodeHttpRequest(req: CallRequest): Buffer {
  let head = `${req.method} ${clean(req.requestPath) || '/'} HTTP/1.1\r\n`;
  let compat = `Method: ${req.method}\r\nRoute: ${req.route.path}\r\nRequest_url: ${clean(req.url)}\r\n`;
  for (const name in req.headers) {
    const value = req.headers[name];
    const values = Array.isArray(value) ? value : [value];
    if (!SKIP.has(name)) for (const v of values) head += `${name}: ${clean(v)}\r\n`;
    compat += `Header_${name.toLowerCase().replace(/-/g, '_')}: ${clean(values.join(' '))}\r\n`;
  }
  head += `${compat}Task-Id: ${req.id}\r\nContent-Length: ${req.body.length}\r\n\r\n`;
  if (req.body.length === 0) return Buffer.from(head, 'latin1');
  const h = Buffer.from(head, 'latin1');
  return Buffer.concat([h, req.body], h.length + req.body.length);
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |$)/;

/** Reads one Content-Length framed HTTP/1.1 response at a time. */
export class HttpResponseReader implements ResponseReader {
  private buf: Buffer | null = null;
  private head: { status: number; headers: Record<string, string[]>; bodyAt: number; length: number } | null = null;

  constructor(private readonly cap: number) {}

  reset(): void {
    this.buf = null;
    this.head = null;
  }

  push(chunk: Buffer): HotResponse | Error | undefined {
    const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.head) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return this.keep(buf, 'response head');
      const head = parseHead(buf.toString('latin1', 0, end), end + 4, this.cap);
      if (head instanceof Error) return head;
      this.head = head;
    }
    const { bodyAt, length } = this.head;
    if (buf.length < bodyAt + length) return this.keep(buf, 'response');
    if (buf.length > bodyAt + length) return new Error('the function wrote bytes after its response');
    const res = { status: this.head.status, headers: this.head.headers, body: buf.subarray(bodyAt) };
    this.reset();
    return res;
  }

  private keep(buf: Buffer, what: string): Error | undefined {
    if (!this.head && buf.length > 64 * 1024) return new Error(`the function's ${what} head exceeds 64 KiB`);
    this.buf = buf;
    return undefined;
  }
}

function parseHead(text: string, bodyAt: number, cap: number) {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) return new Error(`the function did not answer HTTP/1.1 (got ${JSON.stringify(lines[0].slice(0, 40))})`);
  const headers: Record<string, string[]> = {};
  let length = -1;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) return new Error('the function answered a malformed header line');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === 'content-length') length = /^\d+$/.test(value) ? Number(value) : -2;
    else (headers[name] ??= []).push(value);
  }
  if (length < 0) return new Error('the function answered without a valid Content-Length (required by the http format)');
  if (length > cap) return new Error(`the function's response (${length} bytes) exceeds the output cap of ${cap} bytes`);
  return { status: Number(m[1]), headers, bodyAt, length };
}

/** The http format. */
export const httpProtocol: HotProtocol = {
  encode: encodeHttpRequest,
  reader: (cap) => new HttpResponseReader(cap),
};
