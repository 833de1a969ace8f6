import { Cron } from 'croner';

// Schedule triggers: 5-field cron (minute resolution) or an @nickname, in an IANA time zone.
// Slots are instants, so a scheduler that records the last slot it fired (and dedupes calls on
// trigger id + slot) fires each slot exactly once, across restarts and competing processes.

const FIVE_FIELDS = /^\S+(\s+\S+){4}$/;
const NICKNAMES = /^@(yearly|annually|monthly|weekly|daily|hourly)$/i;
/** Upper bound on slots nextFirings returns, so a tiny interval over a long window stays cheap. */
export const MAX_FIRINGS = 1000;

function cron(expr: string, timezone: string): Cron {
  return new Cron(expr, { timezone, paused: true, mode: '5-part' });
}

/** Undefined when `expr`/`timezone` are usable; else a message naming trigger.schedule or trigger.timezone. */
export function validateSchedule(expr: string, timezone: string): string | undefined {
  if (!isTimeZone(timezone)) return `trigger.timezone: unknown time zone "${timezone}" (use an IANA name such as "Europe/Paris" or "UTC")`;
  const e = expr.trim();
  // croner also takes an ISO date as a one-shot job; a schedule must repeat.
  if (!FIVE_FIELDS.test(e) && !NICKNAMES.test(e)) {
    return 'trigger.schedule: must be a 5-field cron expression ("minute hour day month weekday", e.g. "*/5 * * * *") or @hourly/@daily/@weekly/@monthly/@yearly';
  }
  let c: Cron;
  try {
    c = cron(e, timezone);
  } catch (err) {
    return `trigger.schedule: ${(err as Error).message.replace(/^CronPattern: /, '')}`;
  }
  // "0 0 31 2 *" parses but never fires; say so now rather than never.
  if (!c.nextRun(new Date())) return 'trigger.schedule: the expression never fires';
  return undefined;
}

/** True for a time zone name the runtime's ICU knows ("UTC", "Europe/Paris"). */
export function isTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Slots in (after, before], oldest first, at most `limit` (default MAX_FIRINGS); throws on an invalid schedule. */
export function nextFirings(expr: string, timezone: string, after: Date, before: Date, limit = MAX_FIRINGS): Date[] {
  const c = cron(expr.trim(), timezone);
  const out: Date[] = [];
  let slot = c.nextRun(after);
  while (slot && slot.getTime() <= before.getTime() && out.length < limit) {
    out.push(slot);
    slot = c.nextRun(slot);
  }
  return out;
}

/** What a scheduler tick should do: the one slot to fire now (if any), how many older ones it skips, and when to look again. */
export interface DueFiring {
  /** The latest slot in (lastFired, now]; undefined when none is due. */
  slot?: Date;
  /** Slots in (lastFired, slot) that were missed while down; replayed as one firing, not each. */
  skipped: number;
  /** The first slot after now; undefined when the schedule never fires again. */
  next?: Date;
}

/**
 * The firing due at `now` for a trigger last fired at `lastFired` (its creation time if never).
 * Missed slots collapse into one: only the latest is fired, so an outage replays at most once.
 */
export function dueFiring(expr: string, timezone: string, lastFired: Date, now: Date): DueFiring {
  const c = cron(expr.trim(), timezone);
  // previousRuns excludes a slot exactly at the reference instant, hence the extra millisecond.
  const [latest] = c.previousRuns(1, new Date(now.getTime() + 1));
  const next = c.nextRun(now) ?? undefined;
  if (!latest || latest.getTime() > now.getTime() || latest.getTime() <= lastFired.getTime()) return { skipped: 0, next };
  const skipped = nextFirings(expr, timezone, lastFired, new Date(latest.getTime() - 1)).length;
  return { slot: latest, skipped, next };
}

/** Dedupe key for a schedule slot's call: the same trigger and slot never queue twice. */
export function scheduleDedupeKey(triggerId: string, slot: Date): string {
  return `schedule:${triggerId}:${slot.toISOString()}`;
}
