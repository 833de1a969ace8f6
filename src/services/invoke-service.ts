import { randomUUID } from 'node:crypto';
import { credentialTest, isCredentialHeader, isIdentityHeader } from '../auth';
import {
  callDuplicate, engineUnavailable, idempotencyKeyConflict, idempotencyKeyInProgress, idempotencyKeyInvalid, requestInvalid,
} from '../errors';
import { DEFAULT_PRIORITY, parsePriority, PRIORITY_HEADER } from '../domain/priority';
import {
  IDEMPOTENCY_HEADER, type IdempotencyRecord, type IdempotencyStore, type KeptAnswer, keyProblem, requestFingerprint,
} from '../domain/idempotency';
import { type CallFollower, chainLinksOf } from '../domain/chain';
import type { CallAbort } from '../domain/call-abort';
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
  abort?: CallAbort;
  /** Makes a second call with the same key a duplicate (redelivered events, schedule slots). */
  dedupeKey?: string;
  /** The dead letter this call redrives (docs/api.md, "Dead letters"). */
  redriveOf?: string;
  /** The finished call this one replays. */
  replayOf?: string;
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

  /** `credentialHeaders`: the operator's further credential headers (default none). `idempotency`: the keys'
   *  store and how long a key holds, in seconds ([DEFAULT] idempotency_window); without it the header is ignored. */
  constructor(private readonly deps: {
    calls: CallStore; queue: CallQueue; running: RunningCalls; executor?: Executor; credentialHeaders?: readonly string[];
    idempotency?: { store: IdempotencyStore; windowS: number };
    /** What follows a finished sync call (chaining); without it nothing does. */
    follower?: CallFollower;
    /** Per-project quotas of HTTP runs (docs/api.md, "Quotas"); without it none. */
    quota?: {
      admit(projectId: string, mode: 'sync' | 'async'): Promise<void>;
      /** admit() when it can answer at once: true admitted, false ask admit(); throws as admit() does. */
      admitNow?(projectId: string, mode: 'sync' | 'async'): boolean;
    };
  }) {
    this.isCredential = credentialTest(deps.credentialHeaders);
  }

  /**
   * Invokes the route with `incoming` as its type says; never throws for a function's own failure.
   * With an `Idempotency-Key` header, a key already used in the project within the window answers
   * the first call's answer instead (docs/api.md, "Sending a call twice").
   */
  invoke(target: ResolvedRoute, incoming: IncomingCall): Promise<InvokeAnswer> {
    try {
      // A bad Fresco-Priority is a 400 before anything (an idempotency key) is kept.
      const priority = target.route.type === 'async' ? this.priorityOf(target, incoming) : undefined;
      // Runs at the API (sync and async) count against the project's quotas; events, schedules and redrives do not.
      // The usual case (limits cached, no count limit) is decided at once: no promise on the hot path.
      const quota = this.deps.quota;
      if (incoming.trigger === 'http' && quota) {
        const { projectId } = target.route;
        const mode = priority === undefined ? 'sync' : 'async';
        if (!quota.admitNow?.(projectId, mode)) return quota.admit(projectId, mode).then(() => this.admitted(target, incoming, priority));
      }
      return this.admitted(target, incoming, priority);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** invoke() once the quotas admitted the call; `priority` is an async call's. */
  private admitted(target: ResolvedRoute, incoming: IncomingCall, priority: number | undefined): Promise<InvokeAnswer> {
    const header = incoming.headers[IDEMPOTENCY_HEADER];
    if (header !== undefined && this.deps.idempotency) {
      return this.invokeOnce(target, incoming, Array.isArray(header) ? header.join(', ') : header, this.deps.idempotency, priority);
    }
    return this.dispatch(target, incoming, randomUUID(), priority);
  }

  private dispatch(target: ResolvedRoute, incoming: IncomingCall, id: string, priority: number | undefined): Promise<InvokeAnswer> {
    return target.route.type === 'async' ? this.accept(target, incoming, id, priority) : this.runSync(target, incoming, id);
  }

  /** Runs the call only if this request takes the key; otherwise answers from the key's first call. */
  private async invokeOnce(target: ResolvedRoute, incoming: IncomingCall, key: string,
    idem: { store: IdempotencyStore; windowS: number }, priority: number | undefined): Promise<InvokeAnswer> {
    const problem = keyProblem(key);
    if (problem) throw idempotencyKeyInvalid(problem);
    const { projectId, appName: app, path } = target.route;
    const fingerprint = requestFingerprint(incoming.method, { projectId, app, path }, incoming.body, target);
    const id = randomUUID();
    // A sync call holds its key while it may run (its timeout, plus a margin); should its process
    // die, the key is free again after that. An async call holds it only until it is recorded.
    const leaseS = target.route.type === 'async' ? 60 : target.runnable.timeout + 60;
    const claim = await idem.store.claim(projectId, key, fingerprint, id, idem.windowS, leaseS);
    if (!claim.taken) return this.replay(projectId, claim.record, fingerprint);
    let answer: InvokeAnswer;
    try {
      answer = await this.dispatch(target, incoming, id, priority);
    } catch (err) {
      // Nothing ran (no engine, the call could not be recorded): the caller may try again with the key.
      await idem.store.release(projectId, key, id).catch((e) => log.warn({ err: e }, 'could not free an idempotency key'));
      throw err;
    }
    if (answer.mode === 'sync' && answer.outcome.status === 'cancelled') {
      // The caller went away (or cancelled): a retry with the key should run, not be told "cancelled".
      await idem.store.release(projectId, key, id);
    } else {
      await idem.store.finish(projectId, key, answer.mode === 'sync'
        ? { mode: 'sync', callId: answer.callId, outcome: answer.outcome }
        : { mode: 'async', callId: answer.call.id, app: answer.call.app, route: answer.call.route, createdAt: answer.call.createdAt });
    }
    return answer;
  }

  /** The first call's answer for a request whose key was taken. */
  private async replay(projectId: string, record: IdempotencyRecord, fingerprint: string): Promise<InvokeAnswer> {
    if (record.fingerprint !== fingerprint) throw idempotencyKeyConflict(record.callId);
    if (record.state === 'running' || !record.answer) throw idempotencyKeyInProgress(record.callId);
    return this.answerOf(projectId, record.answer);
  }

  private async answerOf(projectId: string, kept: KeptAnswer): Promise<InvokeAnswer> {
    if (kept.mode === 'sync') return { mode: 'sync', callId: kept.callId, outcome: kept.outcome };
    // The 202 names the call; its record may have been purged already when the window outlasts call_retention.
    const call = await this.deps.calls.get(projectId, kept.callId) ?? {
      id: kept.callId, projectId, app: kept.app, route: kept.route, trigger: 'async', status: 'queued',
      createdAt: kept.createdAt, resultTruncated: false, logTruncated: false, attempts: 0,
    };
    return { mode: 'async', call };
  }

  /** Records and queues an async call; resolves once it is durably recorded (the queue's publish may still run).
   *  `priority`: the call's, when the caller already worked it out (priorityOf). */
  async accept(target: ResolvedRoute, incoming: IncomingCall, id?: string,
    priority = this.priorityOf(target, incoming)): Promise<InvokeAnswer & { mode: 'async' }> {
    const record: NewCall = {
      ...this.newCall(target, incoming.trigger === 'http' ? 'async' : incoming.trigger, incoming.triggerId),
      dedupeKey: incoming.dedupeKey, request: this.request(incoming), id, redriveOf: incoming.redriveOf,
      replayOf: incoming.replayOf, priority,
    };
    // A redrive marks its dead letter in the same transaction: it runs once, and never is marked without its call.
    if (record.redriveOf) return this.queued(record, await this.deps.calls.enqueueRedrive(record));
    // This process's engine has a free slot and nothing queued waits for it: the call is recorded as claimed by it and
    // runs at once, without a queue's round trip (docs/durability.md: it is leased as any claimed call).
    const here = this.deps.queue.runHere?.();
    if (!here) return this.queued(record, await this.deps.calls.enqueue(record));
    let call: Call | undefined;
    try {
      call = await this.deps.calls.enqueue(record, here);
    } finally {
      if (!call) here.release();
    }
    if (!call) throw callDuplicate('event');
    here.run({ call, request: record.request! });
    return { mode: 'async', call };
  }

  /** Publishes queued call `call` (undefined: a duplicate, nothing was recorded). */
  private queued(record: NewCall, call: Call | undefined): InvokeAnswer & { mode: 'async' } {
    if (!call) throw callDuplicate(record.redriveOf ? 'redrive' : 'event');
    // The committed record is what makes the call accepted, so the answer does not wait for the
    // broker's confirm: a publish that fails is re-sent on reconnect, and should this process die
    // first the engines' sweeper publishes the still-queued call again.
    this.deps.queue.publish(call.id, record.priority).catch((err) => {
      log.warn({ err, callId: call.id }, 'queue publish failed; the call stays queued in the database');
    });
    return { mode: 'async', call };
  }

  private async runSync(target: ResolvedRoute, incoming: IncomingCall, id: string): Promise<InvokeAnswer & { mode: 'sync' }> {
    const executor = this.deps.executor;
    if (!executor) throw engineUnavailable();
    const headers = functionHeaders(incoming.headers, this.isCredential);
    // keep_input (docs/api.md, "Replay"): the record keeps the input as an async call's does; other routes pay nothing.
    const call: NewCall = {
      ...this.newCall(target, incoming.trigger, incoming.triggerId),
      ...(target.route.keepInput ? { request: this.request(incoming) } : {}),
    };
    const signal = this.deps.running.addSync(id, call, incoming.abort);
    try {
      const outcome = await executor.run({
        id, route: target.runnable, method: incoming.method, url: incoming.url, requestPath: incoming.requestPath,
        headers, body: incoming.body, signal, logSink: this.deps.running.logSink(id),
      });
      const links = chainLinksOf(target.route);
      const follow = links && await this.deps.follower?.next({
        id, projectId: target.route.projectId, app: target.route.appName, route: target.route.path, attempts: 1, depth: 0,
      }, outcome, links, { method: incoming.method, url: incoming.url, requestPath: incoming.requestPath, headers, body: incoming.body });
      if (await this.deps.running.finish(id, outcome, follow || undefined) && follow) this.deps.follower?.started(follow);
      return { mode: 'sync', callId: id, outcome };
    } finally {
      this.deps.running.forget(id);
    }
  }

  /** The run's Fresco-Priority header, else the route's priority (docs/api.md, "Priorities"); throws a 400 naming the header. */
  private priorityOf(target: ResolvedRoute, incoming: IncomingCall): number {
    const asked = parsePriority(incoming.headers[PRIORITY_HEADER]);
    if (typeof asked === 'object') throw requestInvalid(`Fresco-Priority: ${asked.problem}`);
    return asked ?? target.route.priority ?? DEFAULT_PRIORITY;
  }

  /** The request as the function sees it: only the five request fields, headers without credentials. */
  private request(c: IncomingCall): CallRequest {
    return {
      method: c.method, url: c.url, requestPath: c.requestPath, headers: functionHeaders(c.headers, this.isCredential), body: c.body,
    };
  }

  private newCall(target: ResolvedRoute, trigger: CallTrigger, triggerId?: string): NewCall {
    return {
      projectId: target.route.projectId, app: target.route.appName, route: target.route.path, trigger, triggerId,
      ...(target.version ? { routeVersion: target.version } : {}),
    };
  }
}
