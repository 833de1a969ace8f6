// Async call priorities (docs/api.md, "Priorities"): 0 (lowest) to 9 (highest), the route's
// `priority` unless the run says otherwise (the Fresco-Priority header). Served highest first by
// both queues; the in-process queue ages waiting calls so low ones are never starved for ever.
// No I/O here.

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 9;
/** The middle: a route can be made more or less urgent than the others without touching them. */
export const DEFAULT_PRIORITY = 4;
/** The run's override, lower-cased as the headers are. */
export const PRIORITY_HEADER = 'fresco-priority';

/** A waiting call gains one priority level per this many seconds in the in-process queue (its aging). */
export const PRIORITY_AGING_S = 10;

/** The priority a header value asks for, or a message naming what is wrong with it. */
export function parsePriority(value: string | string[] | undefined): number | { problem: string } | undefined {
  if (value === undefined) return undefined;
  const v = (Array.isArray(value) ? value.join(',') : value).trim();
  if (!/^\d$/.test(v)) return { problem: `must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` };
  return Number(v);
}

/**
 * The in-process queue's order key: the priority plus one level per `agingS` seconds waited,
 * capped at MAX_PRIORITY; the higher key goes first, the older call on a tie. So a call of
 * priority p is overtaken only by calls accepted less than (MAX_PRIORITY - p) × agingS seconds
 * after it. Mirrored in SQL by the call store's claim.
 */
export function effectivePriority(priority: number, waitedMs: number, agingS = PRIORITY_AGING_S): number {
  return Math.min(MAX_PRIORITY, priority + Math.floor(Math.max(0, waitedMs) / 1000 / agingS));
}

/** Orders queued calls as the in-process queue claims them, at time `now` (ms). */
export function comparePriority(a: { priority: number; createdAt: Date }, b: { priority: number; createdAt: Date },
  now: number, agingS = PRIORITY_AGING_S): number {
  const ka = effectivePriority(a.priority, now - a.createdAt.getTime(), agingS);
  const kb = effectivePriority(b.priority, now - b.createdAt.getTime(), agingS);
  return kb - ka || a.createdAt.getTime() - b.createdAt.getTime();
}
