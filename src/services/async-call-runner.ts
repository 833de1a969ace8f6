import { type CallFollower, type ChainLinks, chainLinksOf } from '../domain/chain';
import type { Executor } from '../domain/executor';
import { outcomeWithoutRun } from '../domain/call';
import type { CallSignal } from '../domain/call-abort';
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy, shouldRetry } from '../domain/retry';
import type { CallOutcome, CallStore, ClaimedCall } from '../domain/models';
import type { HereSlot, QueuedCallRunner } from '../domain/queue';
import { isRetryable } from '../errors';
import { log } from '../log';
import type { RouteResolver } from './route-resolver';
import type { RunningCalls } from './running-calls';

/** Pause after putting back a call Docker could not take. */
const RETRY_PAUSE_MS = 1000;

/** Runs claimed async calls to a final status; their leases, cancels and drain are `running`'s. */
export class AsyncCallRunner implements QueuedCallRunner {
  constructor(
    /** `follower`: what follows a finished call (chaining); without it nothing does. */
    private readonly deps: { calls: CallStore; executor: Executor; resolver: RouteResolver; running: RunningCalls; follower?: CallFollower;
      /** Per-project running_calls (docs/api.md, "Quotas"): a call over it goes back to wait in the queue. */
      quota?: { holdBack(projectId: string, id: string, engineId: string): Promise<boolean> } },
    /** How many async calls this process runs at once. */
    readonly concurrency: number,
  ) {}

  /** Slots taken by reserve() whose call is not recorded yet. */
  private reserved = 0;

  /**
   * Free slots for more calls (sync calls of this process do not take them). A call's slot is free
   * again once it ran, while its outcome is still being written: with short functions most of a
   * slot's time went to that write. The writes are bounded apart, as many more as there are slots,
   * so that claimed calls never exceed twice `concurrency` (their requests and outcomes in memory).
   */
  get free(): number {
    const { claimed, claimedWriting } = this.deps.running;
    return Math.min(this.concurrency - (claimed - claimedWriting), 2 * this.concurrency - claimed) - this.reserved;
  }

  reserve(onDone: () => void, waiting = 0): HereSlot | undefined {
    if (this.free <= waiting || this.deps.running.draining) return undefined;
    this.reserved++;
    let open = true;
    // True the first time only: the slot leaves `reserved` once, by run() or release().
    const close = () => {
      if (!open) return false;
      open = false;
      this.reserved--;
      return true;
    };
    const { engineId, leaseMs } = this.deps.running.options;
    return {
      engineId, leaseMs,
      run: (claimed) => {
        // execute() counts the call as claimed before it yields: the slot passes straight from reserved to claimed.
        if (close()) this.background(claimed, onDone);
      },
      release: () => void close(),
    };
  }

  async claimAndRun(id: string): Promise<boolean> {
    const { engineId, leaseMs } = this.deps.running.options;
    const claimed = await this.deps.calls.claim(id, engineId, leaseMs);
    if (!claimed) return false;
    if (!(await this.execute(claimed))) {
      throw new Error(`call ${id} was put back in the queue (engine stopping or Docker unusable)`);
    }
    return true;
  }

  async claimQueued(onDone: () => void): Promise<number> {
    if (this.free <= 0) return 0;
    const { engineId, leaseMs } = this.deps.running.options;
    const claimed = await this.deps.calls.claimQueued(engineId, leaseMs, this.free);
    for (const c of claimed) this.background(c, onDone);
    return claimed.length;
  }

  private background(c: ClaimedCall, onDone: () => void): void {
    void this.execute(c, onDone).catch((err) => log.error({ err, callId: c.call.id }, 'recording a call failed')).finally(onDone);
  }

  /** Runs a claimed call; false when it was put back in the queue instead of getting a final status. `onRan`: its slot
   *  is free (see `free`) while its outcome is written. */
  private async execute({ call, request }: ClaimedCall, onRan?: () => void): Promise<boolean> {
    const running = this.deps.running;
    const signal = running.addClaimed(call.id);
    try {
      // Its project already runs its running_calls: back to the queue, durably, never dropped (the fair share).
      if (!running.draining && await this.deps.quota?.holdBack(call.projectId, call.id, running.options.engineId)) return true;
      // Claimed while this process stops (a delivery still on its way): straight back to the queue.
      const ran = running.draining ? undefined : await this.outcome({ call, request }, signal);
      const outcome = ran?.outcome ?? 'retry';
      if (running.draining) {
        await running.requeue(call.id);
        return false;
      }
      if (outcome === 'retry') {
        // Docker could not take the call (down, busy, stopping): not the function's fault, so the
        // call goes back to the queue; the pause keeps a dead Docker from spinning us.
        await running.requeue(call.id);
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        return false;
      }
      const policy = ran?.retry ?? DEFAULT_RETRY;
      if (shouldRetry(policy, outcome.status, call.attempts)) {
        // The route's retry policy: the wait is in the database (not_before), the sweeper publishes the call when due.
        const delayMs = retryDelayMs(policy, call.attempts);
        running.forget(call.id);
        if (await this.deps.calls.retryLater(call.id, running.options.engineId, outcome, delayMs)) {
          log.info({ callId: call.id, attempt: call.attempts, status: outcome.status, delayMs }, 'call failed; retrying later');
        }
        return true;
      }
      // Its follow-up (if its route chains one) is written with the final state, in one transaction.
      const follow = ran?.links && await this.deps.follower?.next(call, outcome, ran.links, request);
      // Attempts exhausted on a failure no on_failure route takes over: a dead letter, written with
      // the outcome (docs/api.md, "Dead letters").
      const dead = (outcome.status === 'error' || outcome.status === 'timeout') && !(follow && follow.call);
      // finish() counts the call as writing before it yields: `onRan` sees its slot free.
      const finishing = running.finish(call.id, outcome, follow || undefined, dead);
      onRan?.();
      if (!(await finishing)) {
        log.info({ callId: call.id }, 'call was cancelled or taken over; outcome not recorded');
        return true;
      }
      if (follow) this.deps.follower?.started(follow);
      if (policy.retries > 0) await this.deps.calls.recordAttempt(call.id, call.attempts, outcome);
      return true;
    } finally {
      running.forget(call.id);
    }
  }

  /** The call's outcome and its route's retry policy; 'retry': Docker could not take it (not an attempt). */
  private async outcome({ call, request }: ClaimedCall, signal: CallSignal): Promise<{ outcome: CallOutcome | 'retry'; retry?: RetryPolicy; links?: ChainLinks }> {
    let target;
    try {
      target = await this.deps.resolver.private(call.projectId, call.app, call.route);
      // A call accepted for a published version runs that version (docs/api.md, "Versions and aliases").
      if (call.routeVersion) target = await this.deps.resolver.version(target, { version: call.routeVersion });
    } catch (err) {
      return { outcome: outcomeWithoutRun('error', `route ${call.route} of app "${call.app}" cannot be run: ${(err as Error).message}`) };
    }
    const retry = target.route.retry;
    const links = chainLinksOf(target.route);
    try {
      // The attempt number reaches the function as FRESCO_ATTEMPT (default format) and the Fresco-Attempt header.
      return {
        retry, links,
        outcome: await this.deps.executor.run({
          ...request, headers: { ...request.headers, 'fresco-attempt': String(call.attempts) }, id: call.id,
          route: target.runnable, signal, attempt: call.attempts, logSink: this.deps.running.logSink(call.id),
          onStart: (kind) => void this.deps.calls.markStarted(call.id, kind, new Date()).catch(() => undefined),
        }),
      };
    } catch (err) {
      log.warn({ err, callId: call.id }, 'async call could not run');
      if (isRetryable(err)) return { outcome: 'retry', retry };
      return { outcome: outcomeWithoutRun('error', (err as Error).message), retry, links };
    }
  }
}
