import { EventEmitter } from 'node:events';
import type { CallQueue, HereSlot, QueueConsumer, QueuedCallRunner } from '../domain/queue';
import { log } from '../log';

/** The in-process queue (no transport_url): the database holds the calls; publish wakes this process's runners. */
export class LocalCallQueue implements CallQueue {
  private readonly wakeups = new EventEmitter();
  private dispatcher?: PollingDispatcher;

  /** `pollMs`: how often consumers look for queued calls without a wake-up (other processes' calls, retries); default 500. */
  constructor(private readonly options: { pollMs?: number } = {}) {}

  async publish(): Promise<void> {
    this.wakeups.emit('wake');
  }

  /** Claims queued calls from the database for `runner` while it has free slots (its own limit, not `prefetch`). */
  async consume(runner: QueuedCallRunner): Promise<QueueConsumer> {
    const dispatcher = this.dispatcher = new PollingDispatcher(runner, this.wakeups, this.options.pollMs ?? 500);
    dispatcher.start();
    return { stop: async () => dispatcher.stop() };
  }

  /** A call accepted here runs here at once, without a wake-up and a look at the queue, when this process's runner
   *  has a free slot and its last look found the queue empty: nothing queued waits for that slot. */
  runHere(): HereSlot | undefined {
    return this.dispatcher?.runHere();
  }
}

/** Feeds a runner from the database: claims queued calls while it has free slots, on each wake-up and poll. */
class PollingDispatcher {
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private again = false;
  private stopped = true;
  /** True when the last look took a full batch: more calls may be queued than this process knows of. */
  private backlog = true;
  /** Calls this process queued since the current look began: the next look takes them. */
  private published = 0;
  /** Calls this process queued before the current look began: it takes them. */
  private looking = 0;
  private readonly wake = () => void this.pump();
  /** This process queued a call: a free slot is its, not a newer call's, until a look took it. */
  private readonly queued = () => {
    this.published++;
    this.wake();
  };
  /** After a call that ran here at once: a look at the queue only if it may hold calls. */
  private readonly afterHere = () => {
    if (this.backlog || this.published > 0) this.wake();
  };

  constructor(private readonly runner: QueuedCallRunner, private readonly wakeups: EventEmitter,
    private readonly pollMs: number) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wakeups.on('wake', this.queued);
    this.timer = setInterval(this.wake, this.pollMs);
    void this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.wakeups.off('wake', this.queued);
    clearInterval(this.timer);
  }

  runHere(): HereSlot | undefined {
    if (this.stopped || this.backlog) return undefined;
    return this.runner.reserve?.(this.afterHere, this.published + this.looking);
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
      // The calls this process queued so far are visible to this look (each was committed before its publish).
      this.looking += this.published;
      this.published = 0;
      const got = await this.runner.claimQueued(this.wake).finally(() => { this.looking = 0; });
      // Short: it took every queued call it could see. Full: there may be more.
      this.backlog = got >= want;
      if (!this.backlog) return;
    }
  }
}
