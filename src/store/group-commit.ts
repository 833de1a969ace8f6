import { isDatabaseUnavailable } from './pg-errors';

/** Options of a GroupCommit. */
export interface GroupCommitOptions<In = unknown> {
  /** Items in one statement at most; default 200. */
  maxBatch?: number;
  /** Statements running at once; default 2 (one commits while the next one fills). */
  maxInFlight?: number;
  /** Items someone waits for with a client on the line (an accept's 202): while one waits, up to `maxInFlightUrgent`
   *  statements may run, so that it never queues behind statements of other items only. */
  urgent?: (item: In) => boolean;
  /** Default: maxInFlight (no difference). */
  maxInFlightUrgent?: number;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: callers that each need one row written (and wait for its commit) share one
 * statement. While `maxInFlight` statements run, new items wait and then go together, so under
 * load a statement carries as many items as arrived during the previous one, and a lone caller
 * waits for nothing but its own statement. `write` gets the items in order and returns one
 * result per item, in the same order; when it throws, every caller of that batch gets the error.
 */
export class GroupCommit<In, Out> {
  private readonly waiting: Array<Waiting<In, Out>> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxInFlightUrgent: number;
  /** Urgent items among `waiting`. */
  private urgentWaiting = 0;

  constructor(private readonly write: (items: In[]) => Promise<Out[]>, private readonly options: GroupCommitOptions<In> = {}) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 200);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxInFlightUrgent = Math.max(this.maxInFlight, options.maxInFlightUrgent ?? this.maxInFlight);
  }

  /** Resolves with `item`'s result once the statement that carried it committed; rejects with its error. */
  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.options.urgent?.(item)) this.urgentWaiting++;
      this.schedule();
    });
  }

  // setImmediate: items submitted in the same turn of the event loop (a burst of deliveries or
  // requests read from one socket chunk) go in one statement.
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.limit()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  /** Statements that may run now: more while an urgent item waits. */
  private limit(): number {
    return this.urgentWaiting > 0 ? this.maxInFlightUrgent : this.maxInFlight;
  }

  private next(): void {
    while (this.waiting.length && this.inFlight < this.limit()) {
      const batch = this.waiting.splice(0, this.maxBatch);
      if (this.options.urgent) for (const w of batch) if (this.options.urgent(w.item)) this.urgentWaiting--;
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.waiting.length) this.schedule();
      });
    }
  }

  private async run(batch: Array<Waiting<In, Out>>): Promise<void> {
    try {
      const out = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(out[i]));
    } catch (err) {
      // One bad item must not fail its neighbours: each goes again alone. Not when the database
      // is away, which would only multiply the failures.
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      for (const w of batch) await this.run([w]);
    }
  }
}
