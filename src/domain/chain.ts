// Chaining (docs/api.md, "Chaining"): a route's on_success / on_failure name the route whose async
// call follows each of its calls once that call is final. The rules (targets, cycles, depth, what
// the next call gets) and the port the runners hand finished calls to. No I/O here.
import type { CallOutcome, CallRequest } from './call';

/** The route fields that chain, as the wire names them. */
export const CHAIN_FIELDS = ['on_success', 'on_failure'] as const;
export type ChainField = (typeof CHAIN_FIELDS)[number];

/** A route's chain links: targets as the user wrote them (`/path` or `app/path`); null or absent: none. */
export interface ChainLinks {
  onSuccess?: string | null;
  onFailure?: string | null;
}

/** A route named across apps of one project. */
export interface RouteRef {
  app: string;
  /** With its leading slash. */
  path: string;
}

/** A route and its links, as the cycle check walks them. */
export interface ChainNode extends RouteRef, ChainLinks {}

const APP = /^[A-Za-z0-9_.-]{1,255}$/;

/**
 * The route `target` names from a route of app `fromApp`: `/path` is in the same app, `app/path`
 * in another app of the project. Undefined when it is neither.
 */
export function chainTarget(target: string, fromApp: string): RouteRef | undefined {
  if (target.startsWith('/')) return { app: fromApp, path: target };
  const slash = target.indexOf('/');
  if (slash <= 0 || !APP.test(target.slice(0, slash))) return undefined;
  return { app: target.slice(0, slash), path: target.slice(slash) };
}

/** A route's name in messages and lineage: `app/path`. */
export const routeName = (r: RouteRef): string => `${r.app}${r.path}`;

/** The link a call that ended with `status` follows: on_success after success, on_failure after error or timeout, none after cancelled. */
export function linkFor(links: ChainLinks, status: string): { field: ChainField; target: string } | undefined {
  if (status === 'success') return links.onSuccess ? { field: 'on_success', target: links.onSuccess } : undefined;
  if (status === 'error' || status === 'timeout') return links.onFailure ? { field: 'on_failure', target: links.onFailure } : undefined;
  return undefined;
}

/**
 * The cycle that giving route `from` the links `links` would close among `nodes` (the project's
 * routes, `from`'s stored links ignored), as route names from `from` back to `from`; undefined
 * when none. Both kinds of link count: a run may take either.
 */
export function findCycle(nodes: readonly ChainNode[], from: RouteRef, links: ChainLinks): string[] | undefined {
  const start = routeName(from);
  const edges = new Map<string, string[]>();
  const targetsOf = (n: ChainNode & ChainLinks) => [n.onSuccess, n.onFailure]
    .flatMap((t) => (t ? [chainTarget(t, n.app)] : [])).flatMap((r) => (r ? [routeName(r)] : []));
  for (const n of nodes) edges.set(routeName(n), targetsOf(n));
  edges.set(start, targetsOf({ ...from, ...links }));
  const done = new Set<string>();
  const path: string[] = [start];
  const walk = (at: string): string[] | undefined => {
    for (const next of edges.get(at) ?? []) {
      if (next === start) return [...path, start];
      if (done.has(next)) continue;
      done.add(next);
      path.push(next);
      const found = walk(next);
      if (found) return found;
      path.pop();
    }
    return undefined;
  };
  return walk(start);
}

/** A route's chain links, or undefined when it chains nothing (most routes: no follower is asked). */
export function chainLinksOf(route: ChainLinks): ChainLinks | undefined {
  return route.onSuccess || route.onFailure ? { onSuccess: route.onSuccess, onFailure: route.onFailure } : undefined;
}

/** Where a call stands in its chain: a call no chain started is its own root at depth 0. */
export interface Lineage {
  parentCallId?: string;
  rootCallId?: string;
  depth: number;
}

/** The lineage of a call that follows call `parentId` (whose own lineage is `parent`). */
export function childLineage(parentId: string, parent: Lineage): Required<Lineage> {
  return { parentCallId: parentId, rootCallId: parent.rootCallId ?? parentId, depth: parent.depth + 1 };
}

/** What the follow-up of a call that failed gets as its input (JSON): which call failed, how, and with what input. */
export function failureDescription(call: FinishedCall,
  outcome: CallOutcome, input?: CallRequest): Record<string, unknown> {
  const body = input?.body;
  const text = body && isUtf8(body) ? body.toString('utf8') : undefined;
  return {
    call_id: call.id, app: call.app, route: call.route, status: outcome.status,
    error: { code: outcome.status === 'timeout' ? 'timeout' : 'error', message: outcome.error ?? null, exit_code: outcome.exitCode ?? null },
    attempts: call.attempts, root_call_id: call.rootCallId ?? call.id, depth: call.depth ?? 0,
    // The input is there when the call kept it (async calls; sync ones while they ran here).
    input: input ? {
      content_type: headerOf(input.headers, 'content-type') ?? null,
      ...(text !== undefined ? { body: text } : { body_base64: body?.toString('base64') ?? '' }),
    } : null,
  };
}

function headerOf(headers: Record<string, string | string[]>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** A finished call as the follower sees it (depth absent: 0). */
export interface FinishedCall {
  parentCallId?: string;
  rootCallId?: string;
  depth?: number;
  id: string;
  projectId: string;
  app: string;
  route: string;
  attempts: number;
}

/** The call to start after a finished call: recorded together with its parent's final state. */
export interface FollowCall extends Required<Lineage> {
  id: string;
  projectId: string;
  app: string;
  route: string;
  request: CallRequest;
  /** One follow-up per parent, however often its final state is written. */
  dedupeKey: string;
}

/** What follows a finished call: a call to record, or why none is started (kept in the parent's chain_error). */
export type FollowUp = { call: FollowCall; note?: undefined } | { call?: undefined; note: string };

/**
 * Decides what follows a call once it is final (no retry comes). The runners record the answer
 * with the parent's final state, in one transaction (async calls) or before it (sync calls), and
 * then call started(), so a follow-up is never lost once its parent is final.
 */
export interface CallFollower {
  /** The follow-up of `call`, which ended with `outcome` on a route with `links`; undefined when nothing follows.
   *  Throws only when it cannot tell (the store unreachable); a user's link that cannot be followed is a note. */
  next(call: FinishedCall, outcome: CallOutcome, links: ChainLinks, input?: CallRequest): Promise<FollowUp | undefined>;
  /** Hands a recorded follow-up call to the queue; a publish lost here is made good by the sweeper. */
  started(follow: FollowUp): void;
}
