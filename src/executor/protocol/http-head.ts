// The head of a hot function's HTTP response, read as liberally as Go's http.ReadResponse reads
// it (IronFunctions hands stdout to it, so images written for IronFunctions answer whatever it
// accepts): CRLF or bare LF line ends, HTTP/1.0 or 1.1, a status line without a reason phrase,
// folded header lines, repeated Content-Length lines that agree, Transfer-Encoding: chunked.
// What it cannot frame (no length at all: the body would end only when the container closes its
// stdout) is refused with a message the function's author can act on.

/** How the body after the head is delimited. */
export type Framing = { kind: 'length'; length: number } | { kind: 'chunked' };

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  /** Lower-case names; framing headers (Content-Length, Transfer-Encoding, Trailer) are left out. */
  headers: Record<string, string[]>;
  framing: Framing;
}

/** Larger heads are refused (a function writing garbage without a blank line). */
export const MAX_HEAD = 64 * 1024;

const LF = 10;
const CR = 13;

/**
 * The offset just past the blank line ending the head in `buf`, or -1 when it has not arrived;
 * `from` is where to resume scanning (the last value of `resume`). Lines end in LF or CRLF.
 */
export function findHeadEnd(buf: Buffer, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i >= 0) {
    const next = buf[i + 1];
    if (next === LF) return i + 2;
    if (next === CR && buf[i + 2] === LF) return i + 3;
    // A line end split across chunks: look at this LF again once more bytes are in.
    if (next === undefined || (next === CR && i + 2 >= buf.length)) return -1;
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}

/** Where findHeadEnd should resume on `buf` plus more bytes: at its last LF, or its end. */
export function resumeAt(buf: Buffer): number {
  const last = buf.lastIndexOf(LF);
  return last >= 0 ? last : Math.max(0, buf.length - 1);
}

// Go: the version is HTTP/<major>.<minor>; the code is exactly three digits after the first run
// of spaces; the reason phrase is optional.
const STATUS_LINE = /^HTTP\/(\d{1,7})\.(\d{1,7}) +(\d{3})(?: .*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What Node can send on: TAB, printable ASCII and obs-text.
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const FRAMING = new Set(['content-length', 'transfer-encoding', 'trailer']);

/** Error unless `status` is a final HTTP status a caller can be given (200-599: no 1xx, no 999). */
export function checkAnswerStatus(status: number): Error | undefined {
  if (Number.isInteger(status) && status >= 200 && status <= 599) return undefined;
  return new Error(`the function answered status ${String(status)}, not a valid HTTP status for its caller (200-599)`);
}

/** Error naming the first header whose name is not an HTTP token or whose value Node cannot send. */
export function checkAnswerHeaders(headers: Record<string, string[]>): Error | undefined {
  for (const name in headers) {
    if (!TOKEN.test(name)) return new Error(`the function answered an invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    if (headers[name].some((v) => BAD_VALUE.test(v))) return new Error(`the function answered header ${name} with control characters`);
  }
  return undefined;
}

/** Splits a head (ending with its blank line) into lines without their CR, the blank one dropped. */
function lines(head: string): string[] {
  const out = head.split('\n');
  for (let i = 0; i < out.length; i++) if (out[i].endsWith('\r')) out[i] = out[i].slice(0, -1);
  out.length -= 2;
  return out;
}

/**
 * Header lines → lower-case name → values, folded continuation lines joined with one space
 * (RFC 7230 obs-fold, as Go does). Returns an Error naming the bad line.
 */
export function parseHeaderLines(raw: string[]): Record<string, string[]> | Error {
  const headers: Record<string, string[]> = {};
  let last: string[] | undefined;
  for (const line of raw) {
    if (line[0] === ' ' || line[0] === '\t') {
      if (!last) return new Error('the function answered a header block that starts with a continuation line');
      last[last.length - 1] = `${last[last.length - 1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) return new Error(`the function answered a malformed header line ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) return new Error(`the function answered an invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    last = headers[name] ??= [];
    last.push(line.slice(colon + 1).trim());
  }
  return checkAnswerHeaders(headers) ?? headers;
}

/** Go's rules for the body's length: no body for 1xx/204/304 and HEAD; chunked wins (HTTP/1.1); else Content-Length. */
function framingOf(status: number, http10: boolean, method: string, h: Record<string, string[]>): Framing | Error {
  const te = http10 ? undefined : h['transfer-encoding'];
  if (te && (te.length !== 1 || te[0].toLowerCase() !== 'chunked')) {
    return new Error(`the function answered Transfer-Encoding ${JSON.stringify(te.join(', '))}; only chunked is supported`);
  }
  const cl = te ? undefined : h['content-length'];
  if (cl && cl.some((v) => v !== cl[0])) return new Error(`the function answered several Content-Length values that differ (${cl.join(', ')})`);
  if (cl && !/^\d{1,15}$/.test(cl[0])) return new Error(`the function answered an invalid Content-Length ${JSON.stringify(cl[0].slice(0, 20))}`);
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'length', length: 0 };
  if (te) return { kind: 'chunked' };
  if (cl) return { kind: 'length', length: Number(cl[0]) };
  return new Error('the function answered without Content-Length or Transfer-Encoding: chunked, so its response has no end '
    + 'a hot container can signal (it would end only when the container exits)');
}

/** Parses the head text (latin1, up to and including its blank line); `method` is the request's. */
export function parseResponseHead(text: string, method: string): ResponseHead | Error {
  const all = lines(text);
  const m = STATUS_LINE.exec(all[0] ?? '');
  if (!m) return new Error(`the function did not answer HTTP/1.x (got ${JSON.stringify((all[0] ?? '').slice(0, 40))})`);
  const status = Number(m[3]);
  const refused = checkAnswerStatus(status);
  if (refused) return refused;
  const headers = parseHeaderLines(all.slice(1));
  if (headers instanceof Error) return headers;
  // Go ignores Transfer-Encoding below HTTP/1.1.
  const before11 = Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 1);
  const framing = framingOf(status, before11, method, headers);
  if (framing instanceof Error) return framing;
  for (const name of FRAMING) delete headers[name];
  return { status, headers, framing };
}
