// Bounded collection of a function's output: keeps the first `cap` bytes and remembers that
// more came, so a flooding function cannot grow the engine's memory.

/** Collects up to `cap` bytes; `onOverflow` fires once when the cap is first exceeded. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number, private readonly onOverflow?: () => void) {}

  /** Adds a chunk, keeping only what fits. */
  push(chunk: Buffer): void {
    if (this.truncated) return;
    const room = this.cap - this.size;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.size = this.cap;
    this.truncated = true;
    this.onOverflow?.();
  }

  /** Everything kept so far, as one buffer. */
  value(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }
}

/**
 * Hands a call's stderr to its `logSink` as it is written (live logs), up to `cap` bytes, so that
 * what was handed on is always a prefix of the call's final log. With a `trailer` prefix (the
 * pre-started launcher's end-of-call nonce), bytes that may be the start of that trailer wait
 * for the next chunk rather than reach the sink; all other bytes go on at once.
 */
export class LogForward {
  private held: Buffer = Buffer.alloc(0);
  private sent = 0;

  constructor(
    private readonly sink: (chunk: Buffer) => void, private readonly cap: number,
    private readonly trailer?: Buffer, private readonly trailerDigits = 3,
  ) {}

  push(chunk: Buffer): void {
    if (this.sent >= this.cap) return;
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const keep = this.trailer ? this.maybeTrailer(buf) : 0;
    const n = Math.min(buf.length - keep, this.cap - this.sent);
    this.held = buf.subarray(buf.length - keep);
    if (n <= 0) return;
    this.sent += n;
    try {
      this.sink(buf.subarray(0, n));
    } catch {
      // A follower's trouble is never the call's.
    }
  }

  /** Length of the longest end of `buf` that could begin the trailer (nonce then digits). */
  private maybeTrailer(buf: Buffer): number {
    const t = this.trailer!;
    for (let k = Math.min(buf.length, t.length + this.trailerDigits); k > 0; k--) {
      const start = buf.length - k;
      const inNonce = Math.min(k, t.length);
      if (buf.compare(t, 0, inNonce, start, start + inNonce) !== 0) continue;
      let digits = true;
      for (let i = start + inNonce; i < buf.length; i++) if (buf[i] < 0x30 || buf[i] > 0x39) digits = false;
      if (digits) return k;
    }
    return 0;
  }
}
