// Transfer-Encoding: chunked, decoded incrementally as a hot function's stdout arrives in pieces:
// hex chunk sizes (extensions after ';' ignored), CRLF or bare LF line ends, then the last chunk
// and its optional trailer lines (read, checked, dropped: the caller only gets the head's headers).
import { MAX_HEAD, parseHeaderLines } from './http-head';

const LF = 10;
const CR = 13;
// Go's limit for one chunk-size line.
const MAX_LINE = 4096;
const HEX = /^[0-9a-fA-F]{1,15}$/;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer';

/** Decodes one chunked body; push() until it answers true (complete) or an Error. */
export class ChunkedDecoder {
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineLength = 0;
  private left = 0;
  private trailer: string[] = [];
  private trailerBytes = 0;
  readonly parts: Buffer[] = [];
  length = 0;

  constructor(private readonly cap: number) {}

  /** The decoded body so far (all of it once push() answered true). */
  body(): Buffer {
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
  }

  /** Feeds bytes: true once the body and its trailer ended exactly at the end of `buf`; false for more. */
  push(buf: Buffer): boolean | Error {
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'data') {
        const take = Math.min(this.left, buf.length - i);
        this.parts.push(buf.subarray(i, i + take));
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = 'data-cr';
      } else if (this.state === 'data-cr' || this.state === 'data-lf') {
        const b = buf[i++];
        if (this.state === 'data-cr' && b === CR) this.state = 'data-lf';
        else if (b === LF) this.state = 'size';
        else return new Error('the function answered a chunk that does not end with a line end after its size');
      } else {
        const nl = buf.indexOf(LF, i);
        const end = nl < 0 ? buf.length : nl;
        const err = this.addToLine(buf.subarray(i, end));
        if (err) return err;
        i = end;
        if (nl < 0) return false;
        i++;
        const done = this.endLine();
        if (done !== false) return done instanceof Error ? done : i === buf.length || this.extra();
      }
    }
    return false;
  }

  private extra(): Error {
    return new Error('the function wrote bytes after its chunked response');
  }

  private addToLine(piece: Buffer): Error | undefined {
    this.lineLength += piece.length;
    const limit = this.state === 'size' ? MAX_LINE : MAX_HEAD;
    if (this.lineLength + this.trailerBytes > limit) return new Error(`the function's chunked ${this.state === 'size' ? 'size line' : 'trailer'} is too long`);
    if (piece.length) this.line.push(piece);
    return undefined;
  }

  /** A whole line arrived: a size line or a trailer line. true when the body is complete. */
  private endLine(): boolean | Error {
    let text = (this.line.length === 1 ? this.line[0] : Buffer.concat(this.line)).toString('latin1');
    this.line = [];
    this.trailerBytes += this.lineLength;
    this.lineLength = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (this.state === 'trailer') return this.trailerLine(text);
    this.trailerBytes = 0;
    const size = text.split(';', 1)[0].trim();
    if (!HEX.test(size)) return new Error(`the function answered a bad chunk size ${JSON.stringify(text.slice(0, 20))}`);
    const n = parseInt(size, 16);
    if (n === 0) {
      this.state = 'trailer';
      return false;
    }
    this.length += n;
    if (this.length > this.cap) return new Error(`the function's response exceeds the output cap of ${this.cap} bytes`);
    this.left = n;
    this.state = 'data';
    return false;
  }

  private trailerLine(text: string): boolean | Error {
    if (text !== '') {
      this.trailer.push(text);
      return false;
    }
    const parsed = parseHeaderLines(this.trailer);
    return parsed instanceof Error ? parsed : true;
  }
}
