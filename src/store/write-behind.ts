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
 * critical path, and many rows share one commit. A failed write keeps its rows and is retried
 * (the write must be idempotent); `settle()` lets a reader see every row added before it.
 */
export class WriteBehind<T> {
  private pending: T[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private failures = 0;

  constructor(private readonly write: (rows: T[]) => Promise<void>, private readonly options: WriteBehindOptions<T>) {}

  add(row: T): void {
    this.pending.push(row);
    if (this.pending.length > this.options.maxPending) {
      const dropped = this.pending.splice(0, this.pending.length - this.options.maxPending);
      log.error({ dropped: dropped.length }, 'database unreachable for too long: oldest unwritten call records dropped');
      this.options.onDropped?.(dropped);
    }
    if (this.pending.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.delayMs);
  }

  /** Writes what is pending now (one batch at a time); never throws: failures retry later. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.writeAll().finally(() => { this.writing = undefined; });
    return this.writing;
  }

  /** Resolves once every row added before the call was written, or its write failed (and will be retried). */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.length) await this.flush();
  }

  get size(): number {
    return this.pending.length;
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.slice(0, this.options.maxBatch);
      try {
        await this.write(batch);
        this.pending.splice(0, batch.length);
        this.failures = 0;
        this.options.onWritten?.(batch);
      } catch (err) {
        this.failures++;
        const retryMs = backoffDelay(this.failures - 1, { initialMs: 1000, maxMs: 30_000, jitter: 0 });
        log.warn({ err, rows: this.pending.length, retryMs }, 'writing call records failed; retrying');
        this.timer ??= setTimeout(() => void this.flush(), retryMs);
        this.timer.unref(); // a retry alone does not keep the process alive
        return;
      }
    }
  }
}
