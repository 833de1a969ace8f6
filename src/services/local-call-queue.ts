import { EventEmitter } from 'node:events';
import type { CallQueue, QueueConsumer, QueuedCallRunner } from '../domain/queue';
import { log } from '../log';

/** The in-process queue (no transport_url): the database holds the calls; publish wakes this process's runners. */
export class LocalCallQueue implements CallQueue {
  private readonly wakeups = new EventEmitter();

  /** `pollMs`: how often consumers look for queued calls without a wake-up (other processes' calls, retries); default 500. */
  constructor(private readonly options: { pollMs?: number } = {}) {}

  async publish(): Promise<void> {
    this.wakeups.emit('wake');
  }

  /** Claims queued calls from the database for `runner` while it has free slots (its own limit, not `prefetch`). */
  async consume(runner: QueuedCallRunner): Promise<QueueConsumer> {
    const dispatcher = new PollingDispatcher(runner, this.wakeups, this.options.pollMs ?? 500);
    dispatcher.start();
    return { stop: async () => dispatcher.stop() };
  }
}

/** Feeds a runner from the database: claims queued calls while it has free slots, on each wake-up and poll. */
class PollingDispatcher {
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private stopped = true;
  private readonly wake = () => void this.pump();

  constructor(private readonly runner: QueuedCallRunner, private readonly wakeups: EventEmitter,
    private readonly pollMs: number) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wakeups.on('wake', this.wake);
    this.timer = setInterval(this.wake, this.pollMs);
    void this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.wakeups.off('wake', this.wake);
    clearInterval(this.timer);
  }

  private async pump(): Promise<void> {
    // A wake during a pump (a call accepted or finished meanwhile) makes it look once more.
    this.again = true;
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.claimWhileFree();
      }
    } catch (err) {
      log.warn({ err }, 'dispatcher could not claim a call; retrying on the next tick');
    } finally {
      this.pumping = false;
    }
  }

  private async claimWhileFree(): Promise<void> {
    // A full batch may mean more are queued; a short one that the queue is empty.
    for (let want = this.runner.free; !this.stopped && want > 0; want = this.runner.free) {
      if (await this.runner.claimQueued(this.wake) < want) return;
    }
  }
}
