import type { CallStore } from '../domain/models';
import type { IdempotencyStore } from '../domain/idempotency';
import type { DeadLetterStore } from '../domain/dead-letter';
import type { CallQueue } from '../domain/queue';
import { log } from '../log';

/** Periodic upkeep shared by both queues: leases that lapsed, calls a broker outage left behind, retention. */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private lastPurge = 0;

  constructor(private readonly deps: {
    calls: CallStore; queue: CallQueue; idempotency?: IdempotencyStore; deadLetters?: Pick<DeadLetterStore, 'purgeBefore'>;
  },
    /** `retryIntervalMs`: how often retried calls whose wait ended are looked for (default 1000); `deadLetterRetentionMs`
     *  how long dead letters are kept ([DEFAULT] dead_letter_retention; unset: forever). */
    private readonly options: {
      intervalMs: number; maxAttempts: number; retentionMs: number; retryIntervalMs?: number; deadLetterRetentionMs?: number;
    }) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.options.intervalMs);
    this.retryTimer ??= setInterval(() => void this.publishDueRetries(), this.options.retryIntervalMs ?? 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.retryTimer);
    this.timer = this.retryTimer = undefined;
  }

  /** Publishes the retried calls whose wait ended (docs/api.md, "Retries"); returns how many. */
  async publishDueRetries(): Promise<number> {
    try {
      const due = await this.deps.calls.releaseDueRetries(500);
      // A publish lost here is made good by the stale-call sweep (the call stays queued in the database).
      for (const id of due) await this.deps.queue.publish(id);
      return due.length;
    } catch (err) {
      log.warn({ err }, 'publishing due retries failed; retrying on the next tick');
      return 0;
    }
  }

  /** Deletes dead letters past [DEFAULT] dead_letter_retention; returns how many. */
  async purgeDeadLetters(): Promise<number> {
    const keep = this.options.deadLetterRetentionMs;
    if (!this.deps.deadLetters || keep === undefined) return 0;
    const purged = await this.deps.deadLetters.purgeBefore(new Date(Date.now() - keep));
    if (purged) log.info({ purged }, 'purged dead letters past retention');
    return purged;
  }

  /** One pass; safe to call at any time. */
  async sweep(): Promise<void> {
    try {
      const requeued = await this.deps.calls.requeueExpired(this.options.maxAttempts);
      // Retried calls whose wait ended (docs/api.md, "Retries"): published again, on any queue.
      const due = await this.deps.calls.releaseDueRetries(500);
      const after = this.deps.queue.republishAfterMs;
      const stale = after ? await this.deps.calls.listStaleQueued(new Date(Date.now() - after), 500) : [];
      for (const id of new Set([...requeued, ...due, ...stale])) await this.deps.queue.publish(id);
      if (Date.now() - this.lastPurge > 3600_000) {
        this.lastPurge = Date.now();
        const purged = await this.deps.calls.purge(new Date(Date.now() - this.options.retentionMs));
        if (purged) log.info({ purged }, 'purged call records past retention');
        const keys = await this.deps.idempotency?.purgeExpired();
        if (keys) log.info({ keys }, 'deleted idempotency keys past their window');
        await this.purgeDeadLetters();
      }
    } catch (err) {
      log.warn({ err }, 'sweep failed; retrying on the next tick');
    }
  }
}
