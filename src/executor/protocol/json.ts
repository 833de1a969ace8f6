// The json hot format: one JSON object per line each way. The request carries Fresco's flat
// fields (body, headers, call_id, method, request_url) and, for images written for Fn's json
// format, the same under `protocol`; the answer may be flat ({body, status, headers}) or Fn's
// ({body, content_type, protocol: {status_code, headers}}). Bodies are UTF-8 strings.
import type { ExecutorCall } from '../../domain/executor';
import { checkAnswerHeaders, checkAnswerStatus } from './http-head';
import type { HotProtocol, HotResponse, ResponseReader } from './protocol';

/** The request line for `req`, newline-terminated. */
export function encodeJsonRequest(req: ExecutorCall): Buffer {
  const headers: Record<string, string[]> = {};
  for (const name in req.headers) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v : [v];
  }
  const ct = headers['content-type']?.[0] ?? '';
  const line = JSON.stringify({
    call_id: req.id, method: req.method, request_url: req.url, route: req.route.path, headers,
    content_type: ct, body: req.body.toString('utf8'),
    protocol: { type: 'http', method: req.method, request_url: req.url, headers },
  });
  return Buffer.from(line + '\n', 'utf8');
}

/** Reads one JSON line at a time. */
export class JsonResponseReader implements ResponseReader {
  private buf: Buffer | null = null;

  constructor(private readonly cap: number) {}

  reset(): void {
    this.buf = null;
  }

  push(chunk: Buffer): HotResponse | Error | undefined {
    const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const nl = buf.indexOf(10);
    if (nl < 0) {
      if (buf.length > this.cap) return new Error(`the function's response exceeds the output cap of ${this.cap} bytes`);
      this.buf = buf;
      return undefined;
    }
    this.buf = null;
    const answer = decode(buf.toString('utf8', 0, nl));
    if (answer instanceof Error || nl === buf.length - 1) return answer;
    return new Error('the function wrote bytes after its JSON response line');
  }
}

function decode(line: string): HotResponse | Error {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return new Error(`the function's answer is not JSON (got ${JSON.stringify(line.slice(0, 40))})`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return new Error('the function\'s answer is not a JSON object');
  const proto = (o.protocol ?? {}) as Record<string, unknown>;
  const status = Number(o.status ?? proto.status_code ?? 200);
  const headers = headerMap(o.headers ?? proto.headers);
  const refused = checkAnswerStatus(status) ?? checkAnswerHeaders(headers);
  if (refused) return refused;
  if (typeof o.content_type === 'string' && !headers['content-type']) headers['content-type'] = [o.content_type];
  const body = o.body === undefined || o.body === null ? '' : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const failure = typeof o.fresco_error === 'string' ? o.fresco_error.slice(0, 1024) || 'the function failed' : undefined;
  return { status, headers, body: Buffer.from(body, 'utf8'), ...(failure !== undefined ? { failure } : {}) };
}

function headerMap(raw: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    out[k.toLowerCase()] = (Array.isArray(v) ? v : [v]).map(String);
  }
  return out;
}

/** The json format. */
export const jsonProtocol: HotProtocol = {
  encode: encodeJsonRequest,
  reader: (cap) => new JsonResponseReader(cap),
};
