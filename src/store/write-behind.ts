import { log } from '../log';
import { backoffDelay } from '../timing';

export interface WriteBehindOptions<T = unknown> {
  /** Rows written in one statement at most. */
  maxBatch: number;
  /** How long a row may wait for others to join its batch. */
  delayMs: number;
  /** Rows kept while the database is unreachable; beyond it the oldest are dropped (logged). */
  maxPending: number;
  /** Told after each batch committed, with its rows (in the order they were added). */
  onWritten?: (rows: T[]) => void;
  /** Told when rows are given up (maxPending). */
  onDropped?: (rows: T[]) => void;
}

/**
 * Batches rows for one multi-row write after the caller moved on: the write leaves the request's
 * critical path, and many rows share one commit. A row waits at most `delayMs` for others (a full
 * batch goes at once); a failed write keeps its rows and is retried with backoff (the write must be
 * idempotent); `settle()` lets a reader see every row added before it.
 */
export class WriteBehind<T> {
  /** Rows not being written, oldest first. */
  private pending: T[] = [];
  /** Rows of the batch being written. */
  private inFlight: T[] = [];
  /** How many of the oldest pending rows have waited their window (or were asked for by flush()). */
  private due = 0;
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private failures = 0;

  constructor(private readonly write: (rows: T[]) => Promise<void>, private readonly options: WriteBehindOptions<T>) {}

  add(row: T): void {
    this.pending.push(row);
    const over = this.size - this.options.maxPending;
    if (over > 0) {
      // The oldest rows not being written go; a batch in flight is never cut.
      const dropped = this.pending.splice(0, over);
      this.due = Math.max(0, this.due - dropped.length);
      log.error({ dropped: dropped.length }, 'database unreachable for too long: oldest unwritten call records dropped');
      this.options.onDropped?.(dropped);
    }
    if (this.failures > 0) return; // the retry timer writes them
    if (this.pending.length >= this.options.maxBatch) void this.start();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.delayMs);
  }

  /** Writes every row pending now (one batch at a time); never throws: failures retry later. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = this.pending.length;
    return this.start();
  }

  /** Resolves once every row added before the call was written, or its write failed (and will be retried). */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.length) await this.flush();
  }

  get size(): number {
    return this.pending.length + this.inFlight.length;
  }

  private start(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => { this.writing = undefined; });
    return this.writing;
  }

  // Writes the due rows and any full batch; rows still inside their window wait for the timer.
  private async writeAll(): Promise<void> {
    while (this.pending.length && (this.due > 0 || this.pending.length >= this.options.maxBatch)) {
      const batch = this.inFlight = this.pending.splice(0, this.options.maxBatch);
      this.due = Math.max(0, this.due - batch.length);
      try {
        await this.write(batch);
        this.inFlight = [];
        this.failures = 0;
        this.options.onWritten?.(batch);
      } catch (err) {
        this.inFlight = [];
        this.pending.unshift(...batch);
        this.failures++;
        const retryMs = backoffDelay(this.failures - 1, { initialMs: 1000, maxMs: 30_000, jitter: 0 });
        log.warn({ err, rows: this.pending.length, retryMs }, 'writing call records failed; retrying');
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.flush(), retryMs);
        this.timer.unref(); // a retry alone does not keep the process alive
        return;
      }
    }
    if (this.pending.length) this.timer ??= setTimeout(() => void this.flush(), this.options.delayMs);
  }
}
