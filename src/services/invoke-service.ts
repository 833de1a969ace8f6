import { randomUUID } from 'node:crypto';
import { credentialTest, isCredentialHeader, isIdentityHeader } from '../auth';
import { callDuplicate, engineUnavailable } from '../errors';
import type { Executor } from '../domain/executor';
import type { Call, CallOutcome, CallRequest, CallStore, CallTrigger, NewCall } from '../domain/models';
import type { CallQueue } from '../domain/queue';
import { log } from '../log';
import type { ResolvedRoute } from './route-resolver';
import type { RunningCalls } from './running-calls';

/** A call arriving at an entry point (HTTP, event, schedule, alarm): its request and what started it. */
export interface IncomingCall extends CallRequest {
  trigger: CallTrigger;
  triggerId?: string;
  /** Aborted when the caller goes away (sync calls only); a cancel aborts it too. */
  abort?: AbortController;
  /** Makes a second call with the same key a duplicate (redelivered events, schedule slots). */
  dedupeKey?: string;
}

/** A sync call's outcome, or the accepted async call. */
export type InvokeAnswer =
  | { mode: 'sync'; callId: string; outcome: CallOutcome }
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

/** Invokes routes: sync calls on this process's executor, async ones through the queue. */
export class InvokeService {
  private readonly isCredential: (name: string) => boolean;

  /** `credentialHeaders`: the operator's further credential headers (default none). */
  constructor(private readonly deps: {
    calls: CallStore; queue: CallQueue; running: RunningCalls; executor?: Executor; credentialHeaders?: readonly string[];
  }) {
    this.isCredential = credentialTest(deps.credentialHeaders);
  }

  /** Invokes the route with `incoming` as its type says; never throws for a function's own failure. */
  invoke(target: ResolvedRoute, incoming: IncomingCall): Promise<InvokeAnswer> {
    return target.route.type === 'async' ? this.accept(target, incoming) : this.runSync(target, incoming);
  }

  /** Records and queues an async call; resolves once it is durably recorded (the queue's publish may still run). */
  async accept(target: ResolvedRoute, incoming: IncomingCall): Promise<InvokeAnswer & { mode: 'async' }> {
    const call = await this.deps.calls.enqueue({
      ...this.newCall(target, incoming.trigger === 'http' ? 'async' : incoming.trigger, incoming.triggerId),
      dedupeKey: incoming.dedupeKey, request: this.request(incoming),
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

  private async runSync(target: ResolvedRoute, incoming: IncomingCall): Promise<InvokeAnswer & { mode: 'sync' }> {
    const executor = this.deps.executor;
    if (!executor) throw engineUnavailable();
    const id = randomUUID();
    const signal = this.deps.running.addSync(id, this.newCall(target, incoming.trigger, incoming.triggerId), incoming.abort);
    try {
      const outcome = await executor.run({
        id, route: target.runnable, method: incoming.method, url: incoming.url, requestPath: incoming.requestPath,
        headers: functionHeaders(incoming.headers, this.isCredential), body: incoming.body, signal,
      });
      await this.deps.running.finish(id, outcome);
      return { mode: 'sync', callId: id, outcome };
    } finally {
      this.deps.running.forget(id);
    }
  }

  /** The request as the function sees it: only the five request fields, headers without credentials. */
  private request(c: IncomingCall): CallRequest {
    return {
      method: c.method, url: c.url, requestPath: c.requestPath, headers: functionHeaders(c.headers, this.isCredential), body: c.body,
    };
  }

  private newCall(target: ResolvedRoute, trigger: CallTrigger, triggerId?: string): NewCall {
    return { projectId: target.route.projectId, app: target.route.appName, route: target.route.path, trigger, triggerId };
  }
}
