import { randomUUID } from 'node:crypto';
import {
  type CallFollower, type ChainLinks, chainTarget, childLineage, type FinishedCall, type FollowUp, failureDescription, linkFor, routeName,
} from '../domain/chain';
import type { CallOutcome, CallRequest } from '../domain/call';
import type { CallQueue } from '../domain/queue';
import { chainTargetGone, chainTooDeep, routeNotFound } from '../errors';
import { log } from '../log';
import type { RouteResolver } from './route-resolver';

/**
 * Chaining (docs/api.md, "Chaining"): the follow-up of a finished call is an async call of the
 * route its on_success / on_failure names, with the call's output (or a description of its
 * failure) as input and its lineage; one deeper than `maxDepth` is not started.
 */
export class CallChainer implements CallFollower {
  constructor(private readonly deps: { resolver: Pick<RouteResolver, 'private'>; queue: Pick<CallQueue, 'publish'>; maxDepth: number }) {}

  /** Throws only when the target's route cannot be read (not when it is missing: a note says so). */
  async next(call: FinishedCall, outcome: CallOutcome, links: ChainLinks, input?: CallRequest): Promise<FollowUp | undefined> {
    const link = linkFor(links, outcome.status);
    if (!link) return undefined;
    const ref = chainTarget(link.target, call.app);
    if (!ref) return { note: chainTargetGone(link.field, link.target).message };
    const lineage = childLineage(call.id, { rootCallId: call.rootCallId, depth: call.depth ?? 0 });
    if (lineage.depth > this.deps.maxDepth) return { note: chainTooDeep(routeName(ref), lineage.depth, this.deps.maxDepth).message };
    try {
      await this.deps.resolver.private(call.projectId, ref.app, ref.path);
    } catch (err) {
      // Deleted since the link was set (links are checked when set, not when their target goes). Any
      // other failure (the database away) throws: the call stays running and is run again.
      if (!routeNotFound.is(err)) throw err;
      return { note: chainTargetGone(link.field, routeName(ref)).message };
    }
    const success = outcome.status === 'success';
    const body = success ? outcome.result : Buffer.from(JSON.stringify(failureDescription(call, outcome, input)));
    const contentType = success ? contentTypeOf(outcome) : 'application/json';
    const request: CallRequest = {
      method: 'POST', url: `fresco-chain://${call.id}`, requestPath: ref.path, body,
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        'fresco-parent-call-id': call.id, 'fresco-root-call-id': lineage.rootCallId, 'fresco-chain-depth': String(lineage.depth),
      },
    };
    return {
      call: { id: randomUUID(), projectId: call.projectId, app: ref.app, route: ref.path, request, dedupeKey: `chain:${call.id}`, ...lineage },
    };
  }

  started(follow: FollowUp): void {
    if (!follow.call) return;
    const id = follow.call.id;
    this.deps.queue.publish(id).catch((err) => log.warn({ err, callId: id }, 'publishing a chained call failed; it stays queued in the database'));
  }
}

/** The content type the function answered with (http and json formats); none for the default format. */
function contentTypeOf(o: CallOutcome): string | undefined {
  for (const [name, values] of Object.entries(o.httpHeaders ?? {})) {
    if (name.toLowerCase() === 'content-type' && values.length) return values[0];
  }
  return undefined;
}
