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
