import type { FollowUp } from '../domain/chain';
import { CallAbort, type CallSignal } from '../domain/call-abort';
import type { CallOutcome, CallStore, NewCall } from '../domain/models';
import { log } from '../log';

/** How calls running in this process hold their records. */
export interface RunningCallsOptions {
  /** This process's id as the holder of call leases. */
  engineId: string;
  /** How long a call's record is ours before another process may take it (renewed while it runs). */
  leaseMs: number;
  /** A sync call still running after this long gets a `running` record others can list and cancel. */
  visibleAfterMs: number;
}

/** One call running here. */
interface Entry {
  ac: CallAbort;
  /** A sync call's record-to-be (nothing is written before it ends or becomes slow). */
  call?: NewCall;
  startedAt: number;
  /** Resolves true while a `running` record leased to us exists: at once for a claimed call, once recorded for a slow sync one. */
  leased?: Promise<boolean>;
  renewedAt: number;
  /** The call's log so far and its followers (live logs), made on the first stderr byte or follow(). */
  tail?: LogTail;
}

/** Someone following a running call's log (GET .../log?follow=true). */
export interface LogFollower {
  data(chunk: Buffer): void;
  /** The call left this process; `recorded`: its outcome (and so its final log) was recorded. */
  end(recorded: boolean): void;
}

/** A call's progress as its function reported it (docs/function-contract.md, "Progress"). */
export interface CallProgress {
  progress: number;
  message: string | null;
}

const PROGRESS_LINE = /^FRESCO_PROGRESS[ \t]+(\d{1,3}(?:\.\d+)?)(?:[ \t]+(.*))?$/;
/** Longest progress message kept; longer ones are cut. */
export const PROGRESS_MESSAGE_MAX = 255;
/** A line longer than this cannot be a progress line: only its end is kept while looking for one. */
const LINE_MAX = 512;

/** A running call's log as written so far (a prefix of its final log), its followers and progress. */
export class LogTail {
  private readonly chunks: Buffer[] = [];
  size = 0;
  readonly followers = new Set<LogFollower>();
  progress?: CallProgress;
  /** True while `progress` has not been written to the call's record. */
  progressDirty = false;
  private line = '';

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (const f of this.followers) f.data(chunk);
    // Progress lines: only a chunk that may complete one is parsed.
    if (this.line.length === 0 && !chunk.includes(0x46 /* F */)) {
      // Mid-line after this chunk: the line's rest cannot start a progress line.
      if (chunk[chunk.length - 1] !== 0x0a) this.line = '\0';
      return;
    }
    const text = this.line + chunk.toString('utf8');
    const lines = text.split('\n');
    this.line = lines.pop()!.slice(-LINE_MAX);
    for (const l of lines) this.parse(l.replace(/\r$/, ''));
  }

  private parse(line: string): void {
    const m = PROGRESS_LINE.exec(line);
    if (!m) return;
    const value = Number(m[1]);
    if (!(value >= 0 && value <= 100)) return;
    this.progress = { progress: Math.round(value), message: m[2]?.trim().slice(0, PROGRESS_MESSAGE_MAX) || null };
    this.progressDirty = true;
  }

  /** What was written so far. */
  value(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }

  /** The call's final log is `log`: hands followers what of it they have not seen, then ends them. */
  end(recorded: boolean, log?: Buffer): void {
    if (log && log.length > this.size) this.write(log.subarray(this.size));
    for (const f of this.followers) f.end(recorded);
    this.followers.clear();
  }
}

/**
 * The calls running in this process, sync and async alike: one place for their leases (renewed
 * while they run; a lost lease, e.g. a cancel from another process, aborts the call), for a cancel
 * seen here, for making a slow sync call visible as `running`, and for draining on stop.
 */
export class RunningCalls {
  private readonly entries = new Map<string, Entry>();
  private timer?: NodeJS.Timeout;
  private drainingFlag = false;
  /** Claimed (async) calls here, until their outcome is written or they went back to the queue. */
  private claimedCount = 0;
  /** Outcomes being written of calls no longer in `entries`. */
  private writing = 0;
  /** Of those, claimed (async) calls'. */
  private claimedWritingCount = 0;
  /** Resolves drain()'s wait once the last call left and its record is written. */
  private emptied?: () => void;
  private drained?: Promise<void>;

  constructor(private readonly deps: { calls: CallStore }, readonly options: RunningCallsOptions) {}

  /** How many calls run here now (sync and claimed), or still write their outcome. */
  get size(): number {
    return this.entries.size + this.writing;
  }

  /** How many claimed (async) calls run here now, or still write their outcome. */
  get claimed(): number {
    return this.claimedCount;
  }

  /** How many claimed (async) calls ran and now write their outcome (counted in `claimed` too). */
  get claimedWriting(): number {
    return this.claimedWritingCount;
  }

  /** True once drain() began: a claimed call's outcome is no longer recorded (it went back to the queue). */
  get draining(): boolean {
    return this.drainingFlag;
  }

  /**
   * The executor's logSink for call `id` (ExecutorCall.logSink): its stderr as written, for
   * followers and progress. Undefined when the call does not run here. The tail is made on the
   * first byte (or the first follower): the many calls that write no stderr keep none.
   */
  logSink(id: string): ((chunk: Buffer) => void) | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return (chunk) => (e.tail ??= new LogTail()).write(chunk);
  }

  /**
   * Follows call `id`'s log while it runs here: `f` gets what was written so far at once, then
   * each chunk as written, then end(). Returns the function that stops following, or undefined
   * when the call does not run in this process.
   */
  follow(id: string, f: LogFollower): (() => void) | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const tail = (e.tail ??= new LogTail());
    if (tail.size > 0) f.data(tail.value());
    tail.followers.add(f);
    return () => { tail.followers.delete(f); };
  }

  /** Call `id`'s progress as last reported, when it runs here and reported any. */
  progress(id: string): CallProgress | undefined {
    return this.entries.get(id)?.tail?.progress;
  }

  /** Registers sync call `id`, which has no record yet; aborting `ac` (or a cancel) ends it. Returns its signal. */
  addSync(id: string, call: NewCall, ac = new CallAbort()): CallSignal {
    return this.add(id, ac, call, undefined);
  }

  /** Registers call `id` whose `running` record this process claimed (leased to our engine id). Returns its signal. */
  addClaimed(id: string): CallSignal {
    this.claimedCount++;
    return this.add(id, new CallAbort(), undefined, Promise.resolve(true));
  }

  /**
   * Records call `id`'s outcome and forgets the call: completes its leased record, or writes a sync
   * call's record in one go. False when the record was no longer ours (cancelled or taken over).
   * `follow` (chaining) is recorded with it: in the same transaction for a leased record; before the
   * record of a sync call, so that no final record exists without its follow-up. `deadLetter`: a
   * claimed call's last attempt failed; it becomes a dead letter with its outcome.
   */
  async finish(id: string, outcome: CallOutcome, follow?: FollowUp, deadLetter = false): Promise<boolean> {
    const e = this.entries.get(id);
    if (!e) return false;
    // No longer cancellable, and the watcher must not record it as running while we record it.
    this.entries.delete(id);
    this.writing++;
    if (!e.call) this.claimedWritingCount++;
    let recorded = false;
    try {
      if (e.leased && await e.leased) {
        // The last progress (if new since the renewal) is kept on the final record; calls that
        // report none pay nothing for it.
        if (e.tail?.progressDirty) {
          e.tail.progressDirty = false;
          await this.deps.calls.renewLease(id, this.options.engineId, this.options.leaseMs, e.tail.progress).catch(() => false);
        }
        recorded = await this.deps.calls.complete(id, this.options.engineId, outcome, follow, deadLetter);
        // A slow sync call of a keep_input route: its input is kept once it finished (see CallStore.keepRequest).
        if (recorded && e.call?.request) {
          await this.deps.calls.keepRequest?.(id, e.call.request).catch((err) => log.warn({ err, callId: id }, 'could not keep a sync call\'s input'));
        }
        return recorded;
      }
      if (!e.call) return false;
      if (follow?.call) await this.deps.calls.enqueueFollowUp(follow);
      await this.deps.calls.recordFinished(id, e.call, outcome);
      if (follow?.note) await this.deps.calls.noteChainError(id, follow.note);
      return (recorded = true);
    } finally {
      // Followers end once the record is final, so a read after their end finds it.
      e.tail?.end(recorded, outcome.log);
      this.writing--;
      if (!e.call) this.claimedWritingCount--;
      this.left(e);
    }
  }

  /** Puts claimed call `id` back in the queue (for another engine, or our next start) and forgets it. */
  async requeue(id: string): Promise<void> {
    this.forget(id);
    await this.deps.calls.requeue(id, this.options.engineId).catch(() => false);
  }

  /** Forgets call `id` without recording anything. */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.tail?.end(false);
    this.left(e);
  }

  /** Aborts call `id` if it runs here (a cancel seen in this process). */
  cancel(id: string): void {
    this.entries.get(id)?.ac.abort();
  }

  /**
   * On stop: claimed calls go back to the queue and are aborted; then waits (up to `timeoutMs`,
   * default 10 s) for every call to leave, sync ones included. Safe to call twice.
   */
  drain(timeoutMs = 10_000): Promise<void> {
    this.drained ??= this.drainOnce(timeoutMs);
    return this.drained;
  }

  private async drainOnce(timeoutMs: number): Promise<void> {
    this.drainingFlag = true;
    const claimed = [...this.entries].filter(([, e]) => !e.call);
    for (const [id] of claimed) await this.deps.calls.requeue(id, this.options.engineId).catch(() => false);
    for (const [, e] of claimed) e.ac.abort();
    if (this.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.emptied = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  /** Bookkeeping once call `e` left for good. */
  private left(e: Entry): void {
    if (!e.call) this.claimedCount--;
    if (this.size === 0) this.emptied?.();
  }

  private add(id: string, ac: CallAbort, call: NewCall | undefined, leased: Promise<boolean> | undefined): CallSignal {
    const now = Date.now();
    this.entries.set(id, { ac, call, leased, startedAt: now, renewedAt: now });
    this.timer ??= setInterval(() => this.watch(), this.tickMs).unref();
    return ac.signal;
  }

  /** How often a lease is renewed: a third of it, at least every 200 ms. */
  private get renewEveryMs(): number {
    return Math.max(200, this.options.leaseMs / 3);
  }

  private get tickMs(): number {
    return Math.min(this.options.visibleAfterMs / 4, this.renewEveryMs);
  }

  /**
   * Most sync calls end in milliseconds and are recorded once, finished. One still running after
   * `visibleAfterMs` gets a `running` record (listable, cancellable from any API process); every
   * leased call's lease is renewed, and a call whose lease is lost is aborted.
   */
  private watch(): void {
    // Stopped here, once idle, rather than after each call: back-to-back calls share one timer.
    if (this.entries.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = Date.now();
    for (const [id, e] of this.entries) {
      if (!e.leased) {
        if (e.call && now - e.startedAt >= this.options.visibleAfterMs) this.recordRunning(id, e, now);
      } else if (now - e.renewedAt >= this.renewEveryMs - this.tickMs / 2) {
        e.renewedAt = now;
        void this.renew(id, e);
      }
    }
  }

  private recordRunning(id: string, e: Entry, now: number): void {
    const o = this.options;
    e.renewedAt = now;
    e.leased = this.deps.calls.recordRunning(id, e.call!, o.engineId, new Date(e.startedAt), o.leaseMs).then(() => true,
      (err) => { log.warn({ err, callId: id }, 'could not record a slow sync call as running'); return false; });
  }

  private async renew(id: string, e: Entry): Promise<void> {
    try {
      if (!(await e.leased) || !this.entries.has(id)) return;
      // The progress reported since the last renewal rides along: one write per renewal, not per line.
      const tail = e.tail;
      const progress = tail?.progressDirty ? tail.progress : undefined;
      if (tail) tail.progressDirty = false;
      if (!(await this.deps.calls.renewLease(id, this.options.engineId, this.options.leaseMs, progress))) e.ac.abort();
    } catch (err) {
      log.warn({ err, callId: id }, 'lease renewal failed; will retry');
    }
  }
}
