import { randomUUID } from 'node:crypto';
import { credentialTest, isCredentialHeader, isIdentityHeader } from '../auth';
import { callDuplicate, engineUnavailable } from '../errors';
import type { CallResult, Executor } from '../domain/executor';
import type { Call, CallOutcome, CallQueue, CallStore, CallTrigger, NewCall } from '../domain/models';
import { log } from '../log';
import type { ResolvedRoute } from './route-resolver';

/** An HTTP request (or event) to run a route with. */
export interface RunInput {
  method: string;
  url: string;
  requestPath: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  trigger: CallTrigger;
  triggerId?: string;
  /** Aborted when the caller goes away (sync calls only); the run service also aborts it on a cancel. */
  abort?: AbortController;
  dedupeKey?: string;
}

export type RunAnswer =
  | { mode: 'sync'; callId: string; result: CallResult }
  | { mode: 'async'; call: Call };

/**
 * The caller's headers, names in lower case, without credentials (the auth module's one list plus
 * `extraCredentials`, [DEFAULT] credential_headers) or identity headers: public runs skip the auth
 * middleware, so identities are removed here too (docs/function-contract.md).
 */
export function functionHeaders(headers: Record<string, string | string[] | undefined>,
  isCredential: (name: string) => boolean = isCredentialHeader): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !isCredential(name) && !isIdentityHeader(name)) out[name.toLowerCase()] = value;
  }
  return out;
}

/** What a run ended with, as its call record keeps it. */
export function outcomeOf(r: CallResult): CallOutcome {
  return {
    status: r.status, kind: r.kind, startedAt: r.startedAt, completedAt: r.completedAt, exitCode: r.exitCode,
    error: r.error, result: r.output, resultTruncated: r.outputTruncated, log: r.log, logTruncated: r.logTruncated,
  };
}

/** How a sync call still running after `visibleAfterMs` becomes a `running` record others can see and cancel. */
export interface SlowCallOptions {
  engineId: string;
  leaseMs: number;
  visibleAfterMs: number;
}

/** A sync call running in this process. */
interface RunningSync {
  ac: AbortController;
  call: NewCall;
  startedAt: number;
  /** Set once the call was recorded as running (it became slow): resolves true when the row exists. */
  recorded?: Promise<boolean>;
  renewedAt?: number;
}

/** Runs routes: sync calls on this process's executor, async ones through the queue. */
export class RunService {
  /** Sync calls running in this process: a cancel seen here stops them at once, slow ones get a record. */
  private readonly running = new Map<string, RunningSync>();
  private watch?: NodeJS.Timeout;

  private readonly isCredential: (name: string) => boolean;

  /** `credentialHeaders`: the operator's further credential headers (default none). */
  constructor(private readonly deps: {
    calls: CallStore; queue: CallQueue; executor?: Executor; slow?: SlowCallOptions; credentialHeaders?: readonly string[];
  }) {
    this.isCredential = credentialTest(deps.credentialHeaders);
  }

  /** Stops sync call `id` if it runs in this process (a cancel). */
  abort(id: string): void {
    this.running.get(id)?.ac.abort();
  }

  /** Runs `input` on the route as its type says; never throws for a function's own failure. */
  run(target: ResolvedRoute, input: RunInput): Promise<RunAnswer> {
    return target.route.type === 'async' ? this.accept(target, input) : this.runSync(target, input);
  }

  /** Records and queues an async call; resolves once it is durably recorded (the queue's publish may still run). */
  async accept(target: ResolvedRoute, input: RunInput): Promise<RunAnswer & { mode: 'async' }> {
    const call = await this.deps.calls.enqueue({
      ...this.newCall(target, input.trigger === 'http' ? 'async' : input.trigger, input.triggerId),
      dedupeKey: input.dedupeKey,
      request: {
        method: input.method, url: input.url, requestPath: input.requestPath,
        headers: functionHeaders(input.headers, this.isCredential), body: input.body.toString('base64'),
      },
    });
    if (!call) throw callDuplicate('event');
    // The committed record is what makes the call accepted, so the answer does not wait for the
    // broker's confirm: a publish that fails is re-sent on reconnect, and should this process die
    // first the engines' sweeper publishes the still-queued call again.
    this.deps.queue.publish(call.id).catch((err) => {
      log.warn({ err, callId: call.id }, 'queue publish failed; the call stays queued in the database');
    });
    return { mode: 'async', call };
  }

  private async runSync(target: ResolvedRoute, input: RunInput): Promise<RunAnswer & { mode: 'sync' }> {
    const executor = this.deps.executor;
    if (!executor) throw engineUnavailable();
    const id = randomUUID();
    const entry: RunningSync = {
      ac: input.abort ?? new AbortController(), call: this.newCall(target, input.trigger, input.triggerId), startedAt: Date.now(),
    };
    this.running.set(id, entry);
    if (this.deps.slow) this.watch ??= setInterval(() => this.watchSlow(), this.deps.slow.visibleAfterMs / 4).unref();
    try {
      const result = await executor.run({
        id, route: target.runnable, method: input.method, url: input.url, requestPath: input.requestPath,
        headers: functionHeaders(input.headers, this.isCredential), body: input.body, signal: entry.ac.signal,
      });
      const outcome = outcomeOf(result);
      // No longer cancellable, and the watcher must not record it as running while we record it.
      this.running.delete(id);
      if (entry.recorded && await entry.recorded) await this.deps.calls.complete(id, this.deps.slow!.engineId, outcome);
      else await this.deps.calls.recordFinished(id, entry.call, outcome);
      return { mode: 'sync', callId: id, result };
    } finally {
      this.running.delete(id);
    }
  }

  /**
   * Most sync calls end in milliseconds and are recorded once, finished. One still running after
   * `visibleAfterMs` gets a `running` record (listable, cancellable from any API process) whose
   * lease this process renews; a cancel ends the lease and so the call.
   */
  private watchSlow(): void {
    const o = this.deps.slow!;
    // Stopped here, once idle, rather than after each call: back-to-back calls share one timer.
    if (this.running.size === 0) {
      clearInterval(this.watch);
      this.watch = undefined;
      return;
    }
    const now = Date.now();
    for (const [id, e] of this.running) {
      if (!e.recorded) {
        if (now - e.startedAt < o.visibleAfterMs) continue;
        e.renewedAt = now;
        e.recorded = this.deps.calls.recordRunning(id, e.call, o.engineId, new Date(e.startedAt), o.leaseMs).then(() => true,
          (err) => { log.warn({ err, callId: id }, 'could not record a slow sync call as running'); return false; });
      } else if (now - (e.renewedAt ?? 0) >= o.leaseMs / 3) {
        e.renewedAt = now;
        void e.recorded.then(async (ok) => {
          if (ok && this.running.has(id) && !(await this.deps.calls.renewLease(id, o.engineId, o.leaseMs))) e.ac.abort();
        }).catch(() => undefined);
      }
    }
  }

  private newCall(target: ResolvedRoute, trigger: CallTrigger, triggerId?: string): NewCall {
    return { projectId: target.route.projectId, app: target.route.appName, route: target.route.path, trigger, triggerId };
  }
}
