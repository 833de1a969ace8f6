import type { CallStore } from '../domain/models';
import type { IdempotencyStore } from '../domain/idempotency';
import type { CallQueue } from '../domain/queue';
import { log } from '../log';

/** Periodic upkeep shared by both queues: leases that lapsed, calls a broker outage left behind, retention. */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private lastPurge = 0;

  constructor(private readonly deps: { calls: CallStore; queue: CallQueue; idempotency?: IdempotencyStore },
    private readonly options: { intervalMs: number; maxAttempts: number; retentionMs: number }) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; safe to call at any time. */
  async sweep(): Promise<void> {
    try {
      const requeued = await this.deps.calls.requeueExpired(this.options.maxAttempts);
      const after = this.deps.queue.republishAfterMs;
      const stale = after ? await this.deps.calls.listStaleQueued(new Date(Date.now() - after), 500) : [];
      for (const id of new Set([...requeued, ...stale])) await this.deps.queue.publish(id);
      if (Date.now() - this.lastPurge > 3600_000) {
        this.lastPurge = Date.now();
        const purged = await this.deps.calls.purge(new Date(Date.now() - this.options.retentionMs));
        if (purged) log.info({ purged }, 'purged call records past retention');
        const keys = await this.deps.idempotency?.purgeExpired();
        if (keys) log.info({ keys }, 'deleted idempotency keys past their window');
      }
    } catch (err) {
      log.warn({ err }, 'sweep failed; retrying on the next tick');
    }
  }
}
