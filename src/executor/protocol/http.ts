// The http hot format: an HTTP/1.1 request per call on stdin, an HTTP/1.x response framed by
// Content-Length or chunked on stdout (read as Go's http.ReadResponse reads it: http-head.ts). Unlike IronFunctions (docs/function-contract.md) the request line carries the
// caller's real method and path, and the function's status and headers reach the caller; the
// IronFunctions per-call headers are still sent so images written for it keep working, but
// config is not (it is env, and may hold secrets).
import type { ExecutorCall } from '../../domain/executor';
import { ChunkedDecoder } from './chunked';
import { findHeadEnd, MAX_HEAD, parseResponseHead, resumeAt, type ResponseHead } from './http-head';
import type { HotProtocol, HotResponse, ResponseReader } from './protocol';

// Framing headers are ours to set; a caller's copy would contradict the body we send.
const SKIP = new Set(['content-length', 'transfer-encoding', 'connection']);
const UNSAFE = /[\r\n]/;

// CR/LF in a value would let a caller forge headers or a second request.
function clean(v: string): string {
  return UNSAFE.test(v) ? v.replace(/[\r\n]/g, ' ') : v;
}

// IronFunctions' name for a header (`Header_content_type`), worked out once per header name.
const compatNames = new Map<string, string>();
function compatName(name: string): string {
  let c = compatNames.get(name);
  if (c === undefined) {
    c = `Header_${name.toLowerCase().replace(/-/g, '_')}: `;
    if (compatNames.size >= 1000) compatNames.clear();
    compatNames.set(name, c);
  }
  return c;
}

/** The request bytes for `req`: line, caller headers, IronFunctions headers, body. */
export function encodeHttpRequest(req: ExecutorCall): Buffer {
  let head = `${req.method} ${clean(req.requestPath) || '/'} HTTP/1.1\r\n`;
  let compat = `Method: ${req.method}\r\nRoute: ${req.route.path}\r\nRequest_url: ${clean(req.url)}\r\n`;
  for (const name in req.headers) {
    const value = req.headers[name];
    const values = Array.isArray(value) ? value : [value];
    if (!SKIP.has(name)) for (const v of values) head += `${name}: ${clean(v)}\r\n`;
    compat += `${compatName(name)}${clean(Array.isArray(value) ? value.join(' ') : value)}\r\n`;
  }
  head += `${compat}Task-Id: ${req.id}\r\nContent-Length: ${req.body.length}\r\n\r\n`;
  if (req.body.length === 0) return Buffer.from(head, 'latin1');
  const h = Buffer.from(head, 'latin1');
  return Buffer.concat([h, req.body], h.length + req.body.length);
}

/** Reads one response at a time, framed by Content-Length or chunked (see http-head.ts). */
export class HttpResponseReader implements ResponseReader {
  private pending: Buffer | null = null;
  private scan = 0;
  private head: ResponseHead | null = null;
  private parts: Buffer[] = [];
  private left = 0;
  private chunked: ChunkedDecoder | null = null;
  private method = 'GET';

  constructor(private readonly cap: number) {}

  /** Forgets any partial response; `method` is the next request's (a HEAD answer has no body). */
  reset(method = 'GET'): void {
    this.pending = null;
    this.scan = 0;
    this.head = null;
    this.parts = [];
    this.chunked = null;
    this.method = method;
  }

  push(chunk: Buffer): HotResponse | Error | undefined {
    let buf = chunk;
    if (!this.head) {
      buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      const end = findHeadEnd(buf, this.scan);
      if (end < 0) return this.keepHead(buf);
      const head = parseResponseHead(buf.toString('latin1', 0, end), this.method);
      if (head instanceof Error) return head;
      this.head = head;
      this.pending = null;
      buf = buf.subarray(end);
      if (head.framing.kind === 'chunked') this.chunked = new ChunkedDecoder(this.cap);
      else if (head.framing.length > this.cap) {
        return new Error(`the function's response (${head.framing.length} bytes) exceeds the output cap of ${this.cap} bytes`);
      } else this.left = head.framing.length;
    }
    return this.chunked ? this.pushChunked(buf, this.chunked) : this.pushSized(buf);
  }

  private pushSized(buf: Buffer): HotResponse | Error | undefined {
    if (buf.length > this.left) return new Error('the function wrote bytes after its response');
    this.left -= buf.length;
    if (this.left > 0) {
      if (buf.length) this.parts.push(buf);
      return undefined;
    }
    // The usual case, a whole response in one read, takes its body without a copy.
    const body = this.parts.length === 0 ? buf : Buffer.concat([...this.parts, buf]);
    return this.done(body);
  }

  private pushChunked(buf: Buffer, decoder: ChunkedDecoder): HotResponse | Error | undefined {
    const r = decoder.push(buf);
    if (r instanceof Error) return r;
    return r ? this.done(decoder.body()) : undefined;
  }

  private done(body: Buffer): HotResponse {
    const { status, headers } = this.head!;
    this.reset(this.method);
    return { status, headers, body };
  }

  private keepHead(buf: Buffer): Error | undefined {
    if (buf.length > MAX_HEAD) return new Error(`the function's response head exceeds ${MAX_HEAD / 1024} KiB`);
    this.pending = buf;
    this.scan = resumeAt(buf);
    return undefined;
  }
}

/** The http format. */
export const httpProtocol: HotProtocol = {
  encode: encodeHttpRequest,
  reader: (cap) => new HttpResponseReader(cap),
};
