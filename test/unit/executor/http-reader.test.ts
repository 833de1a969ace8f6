import assert from 'node:assert/strict';
import { HttpResponseReader } from '../../../src/executor/protocol/http';
import type { HotResponse } from '../../../src/executor/protocol/protocol';

// Every answer is fed whole, byte by byte, and split at every offset into two pieces: the reader
// must give the same result however stdout arrives.

type Outcome = HotResponse | Error | undefined;

function feed(reader: HttpResponseReader, pieces: Buffer[]): Outcome {
  let r: Outcome;
  for (const [i, p] of pieces.entries()) {
    r = reader.push(p);
    if (r !== undefined && i < pieces.length - 1) return new Error(`answered early, after piece ${i}: ${show(r)}`);
  }
  return r;
}

function show(r: Outcome): string {
  if (r === undefined) return 'undefined (waiting for more)';
  if (r instanceof Error) return `Error: ${r.message}`;
  return JSON.stringify({ ...r, body: r.body.toString('latin1') });
}

/** Every way of splitting `text`; each run on a fresh reader, then on one reused after reset. */
function splits(text: string): Buffer[][] {
  const b = Buffer.from(text, 'latin1');
  const out: Buffer[][] = [[b], [...b].map((x) => Buffer.from([x]))];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  return out;
}

function read(text: string, method = 'GET', cap = 1 << 20): HotResponse {
  let first: HotResponse | undefined;
  const reused = new HttpResponseReader(cap);
  for (const pieces of splits(text)) {
    for (const reader of [new HttpResponseReader(cap), reused]) {
      reader.reset(method);
      const r = feed(reader, pieces);
      if (r === undefined || r instanceof Error) {
        assert.fail(`${JSON.stringify(text)} split ${pieces.map((p) => p.length).join('+')}: ${show(r)}`);
      }
      if (first) assert.deepEqual(r, first);
      first ??= r;
    }
  }
  return first!;
}

/** The error every split of `text` ends in (some splits may only see it with the last byte). */
function refuse(text: string, pattern: RegExp, method = 'GET', ways = splits(text)): void {
  for (const pieces of ways) {
    const reader = new HttpResponseReader(1 << 20);
    reader.reset(method);
    let r: Outcome;
    for (const p of pieces) if ((r = reader.push(p)) !== undefined) break;
    assert.ok(r instanceof Error, `${JSON.stringify(text)} split ${pieces.map((p) => p.length).join('+')}: ${show(r)}`);
    assert.match(r.message, pattern);
  }
}

const body = (r: HotResponse) => r.body.toString('latin1');

describe('http response reader (what Go http.ReadResponse accepts)', () => {
  it('reads CRLF answers with Content-Length', () => {
    const r = read('HTTP/1.1 404 Not Found\r\nX-Y: z\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(r, { status: 404, headers: { 'x-y': ['z'] }, body: Buffer.from('hello') });
  });

  it('reads bare LF line ends, and mixed ones', () => {
    assert.equal(body(read('HTTP/1.1 200 OK\nContent-Length: 12\n\nHello World\n')), 'Hello World\n');
    const r = read('HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\nhi');
    assert.deepEqual(r.headers, { 'x-a': ['1'] });
    assert.equal(body(r), 'hi');
  });

  it('reads status line variants: HTTP/1.0, no reason phrase, extra spaces', () => {
    assert.equal(read('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx').status, 200);
    assert.equal(read('HTTP/1.1 201\r\nContent-Length: 0\r\n\r\n').status, 201);
    assert.equal(read('HTTP/1.1 202 \nContent-Length: 0\n\n').status, 202);
    assert.equal(read('HTTP/1.1  203 Non Authoritative\r\nContent-Length: 0\r\n\r\n').status, 203);
  });

  it('joins folded header lines and keeps repeated headers', () => {
    const r = read('HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\tc\r\nSet-Cookie: 1\r\nSet-Cookie: 2\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual(r.headers, { 'x-long': ['a b c'], 'set-cookie': ['1', '2'] });
  });

  it('accepts several Content-Length lines that agree, and refuses ones that differ', () => {
    assert.equal(body(read('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length:  3 \r\n\r\nabc')), 'abc');
    refuse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', /several Content-Length/);
    refuse('HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc', /invalid Content-Length/);
  });

  it('decodes chunked bodies with extensions, LF line ends and trailers', () => {
    const r = read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nHello\r\n7;ext=1\r\n World!\r\n0\r\n\r\n');
    assert.deepEqual(r, { status: 200, headers: { 'x-a': ['1'] }, body: Buffer.from('Hello World!') });
    assert.equal(body(read('HTTP/1.1 200 OK\nTransfer-Encoding: Chunked\n\na\n0123456789\n0\n\n')), '0123456789');
    assert.equal(body(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 ; x="y"\r\nabc\r\n0;last\r\nX-T: 1\r\n  more\r\nX-U: 2\r\n\r\n')), 'abc');
    assert.equal(body(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')), '');
  });

  it('lets chunked win over Content-Length, and ignores Transfer-Encoding on HTTP/1.0', () => {
    assert.equal(body(read('HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')), 'ok');
    assert.equal(body(read('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok')), 'ok');
  });

  it('expects no body for 1xx, 204, 304 and HEAD', () => {
    assert.equal(body(read('HTTP/1.1 204 No Content\r\n\r\n')), '');
    assert.equal(body(read('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')), '');
    assert.equal(body(read('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD')), '');
  });

  it('refuses a response with no determinable end, naming the cause', () => {
    refuse('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n', /without Content-Length or Transfer-Encoding: chunked/);
    refuse('HTTP/1.0 200 OK\n\n', /without Content-Length/);
  });

  it('refuses garbage, bad headers, unknown encodings and overflow', () => {
    refuse('garbage\r\n\r\n', /did not answer HTTP/);
    refuse('HTTP/1.1 20 OK\r\n\r\n', /did not answer HTTP/);
    refuse('HTTP/1.1 2000 OK\r\n\r\n', /did not answer HTTP/);
    refuse('HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n', /not a valid HTTP status/);
    refuse('HTTP/1.1 100 Continue\r\n\r\n', /status 100, not a valid HTTP status/);
    refuse('HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n', /status 999, not a valid HTTP status/);
    refuse('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line/);
    refuse('HTTP/1.1 200 OK\r\n folded first\r\n\r\n', /continuation/);
    refuse('HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n', /invalid header name/);
    refuse('HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n', /control characters/);
    refuse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /only chunked/);
    refuse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /only chunked/);
    refuse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size/);
    refuse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX', /does not end with a line end/);
    // Bytes after an answer in the same read; in a later read the container sees them outside a call.
    const whole = (t: string) => [[Buffer.from(t)]];
    refuse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX', /bytes after its response/, 'GET', whole('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX'));
    const extra = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX';
    refuse(extra, /bytes after its chunked response/, 'GET', whole(extra));
    assert.ok(new HttpResponseReader(3).push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n')) instanceof Error);
    const chunked = new HttpResponseReader(3).push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\n'));
    assert.match((chunked as Error).message, /output cap/);
    assert.match((new HttpResponseReader(100).push(Buffer.alloc(70_000, 'a')) as Error).message, /head exceeds 64 KiB/);
  });

  it('reads one response after another with reset between them', () => {
    const reader = new HttpResponseReader(100);
    for (const text of ['HTTP/1.1 200 OK\nContent-Length: 1\n\na', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n']) {
      reader.reset('POST');
      assert.equal(body(reader.push(Buffer.from(text)) as HotResponse), text.endsWith('a') ? 'a' : 'b');
    }
  });
});
