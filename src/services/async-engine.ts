import type { Executor } from '../domain/executor';
import type { CallOutcome, CallStore, ClaimedCall } from '../domain/models';
import { isRetryable } from '../errors';
import { log } from '../log';
import type { RouteResolver } from './route-resolver';
import { outcomeOf } from './run-service';

/** Pause after putting back a call the container engine could not take. */
const RETRY_PAUSE_MS = 1000;

export interface AsyncEngineOptions {
  engineId: string;
  /** How long a claimed call is ours before another engine may take it. */
  leaseMs: number;
  /** How many async calls this engine runs at once. */
  concurrency: number;
}

const failed = (error: string): CallOutcome => ({
  status: 'error', completedAt: new Date(), error, result: Buffer.alloc(0), resultTruncated: false,
  log: Buffer.alloc(0), logTruncated: false,
});

/** Runs claimed async calls: keeps their lease alive, notices cancellation, records the outcome. */
export class AsyncEngine {
  private readonly running = new Map<string, AbortController>();
  private stopping = false;

  constructor(
    private readonly deps: { calls: CallStore; executor: Executor; resolver: RouteResolver },
    readonly options: AsyncEngineOptions,
  ) {}

  /** Free slots for more calls. */
  get free(): number {
    return this.options.concurrency - this.running.size;
  }

  /** Takes call `id` (queued) and runs it to a final status; false when it was not ours to take. */
  async runById(id: string): Promise<boolean> {
    const claimed = await this.deps.calls.claim(id, this.options.engineId, this.options.leaseMs);
    if (!claimed) return false;
    if (!(await this.execute(claimed))) {
      throw new Error(`call ${id} was put back in the queue (engine stopping or container engine unusable)`);
    }
    return true;
  }

  /** Takes as many of the oldest queued calls as there are free slots (one statement) and starts them in the
   *  background, `onDone` after each; returns how many it took. */
  async startQueued(onDone: () => void): Promise<number> {
    if (this.free <= 0) return 0;
    const claimed = await this.deps.calls.claimQueued(this.options.engineId, this.options.leaseMs, this.free);
    for (const c of claimed) {
      void this.execute(c).catch((err) => log.error({ err, callId: c.call.id }, 'recording a call failed')).finally(onDone);
    }
    return claimed.length;
  }

  /** Aborts call `id` if this engine runs it (a cancel seen in this process). */
  abort(id: string): void {
    this.running.get(id)?.abort();
  }

  /** Stops every running call and puts it back in the queue for another engine (or our next start). */
  async releaseAll(): Promise<void> {
    this.stopping = true;
    const ids = [...this.running.keys()];
    for (const id of ids) await this.deps.calls.release(id, this.options.engineId).catch(() => false);
    for (const ac of this.running.values()) ac.abort();
  }

  /** Runs a claimed call; false when it was put back in the queue instead of getting a final status. */
  private async execute({ call, request }: ClaimedCall): Promise<boolean> {
    const ac = new AbortController();
    this.running.set(call.id, ac);
    const renew = setInterval(() => void this.renew(call.id, ac), Math.max(200, this.options.leaseMs / 3));
    try {
      const outcome = await this.outcome({ call, request }, ac.signal);
      if (this.stopping) return false;
      if (outcome === 'retry') {
        // The container engine could not take the call (down, busy, stopping): not the function's
        // fault, so the call goes back to the queue; the pause keeps a dead Docker from spinning us.
        await this.deps.calls.release(call.id, this.options.engineId).catch(() => false);
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        return false;
      }
      const recorded = await this.deps.calls.complete(call.id, this.options.engineId, outcome);
      if (!recorded) log.info({ callId: call.id }, 'call was cancelled or taken over; outcome not recorded');
      return true;
    } finally {
      clearInterval(renew);
      this.running.delete(call.id);
    }
  }

  private async outcome({ call, request }: ClaimedCall, signal: AbortSignal): Promise<CallOutcome | 'retry'> {
    let target;
    try {
      target = await this.deps.resolver.private(call.projectId, call.app, call.route);
    } catch (err) {
      return failed(`route ${call.route} of app "${call.app}" cannot be run: ${(err as Error).message}`);
    }
    try {
      const result = await this.deps.executor.run({
        id: call.id, route: target.runnable, method: request.method, url: request.url,
        requestPath: request.requestPath, headers: request.headers, body: Buffer.from(request.body, 'base64'), signal,
        onStart: (kind) => void this.deps.calls.markStarted(call.id, kind, new Date()).catch(() => undefined),
      });
      return outcomeOf(result);
    } catch (err) {
      log.warn({ err, callId: call.id }, 'async call could not run');
      if (isRetryable(err)) return 'retry';
      return failed((err as Error).message);
    }
  }

  private async renew(id: string, ac: AbortController): Promise<void> {
    try {
      if (!(await this.deps.calls.renewLease(id, this.options.engineId, this.options.leaseMs))) ac.abort();
    } catch (err) {
      log.warn({ err, callId: id }, 'lease renewal failed; will retry');
    }
  }
}
