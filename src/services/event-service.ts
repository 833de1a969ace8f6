import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { callDuplicate, requestInvalid, triggerNotFound } from '../errors';
import type { Identity } from '../domain/identity';
import { eventRequest } from '../domain/call';
import type { Call, Trigger, TriggerStore } from '../domain/models';
import {
  decodeNotification, dueFiring, FrescoEvent, matchTriggers, normalizeAlarm, normalizeNotification,
  parseAlarmCallback, scheduleDedupeKey, type DeliveryProps,
} from '../events';
import type { Authorizer } from '../domain/identity';
import type { DeadLetterStore } from '../domain/dead-letter';
import { selectorOf } from '../domain/versions';
import { log } from '../log';
import type { RouteResolver } from './route-resolver';
import type { InvokeService } from './invoke-service';

export type NotificationOutcome = { ok: true; queued: number } | { ok: false; reason: string };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Longest dedupe key kept as it is; the column is varchar(512) and PostgreSQL counts characters. */
const MAX_PLAIN_DEDUPE_KEY = 255;

/** `event:<message id>:<trigger id>`; a message id too long for the column is replaced by its hash. */
export function eventDedupeKey(messageId: string, triggerId: string): string {
  const key = `event:${messageId}:${triggerId}`;
  if (key.length <= MAX_PLAIN_DEDUPE_KEY) return key;
  return `event:sha256-${createHash('sha256').update(messageId).digest('hex')}:${triggerId}`;
}

/** Turns events (notifications, alarm callbacks, schedule slots) into async calls of matching triggers. */
export class EventService {
  private readonly byProject: LRUCache<string, Trigger[]>;

  constructor(private readonly deps: {
    triggerStore: TriggerStore; resolver: RouteResolver; invoker: InvokeService; maxMessageBytes: number;
    /** Decides whether a token-authenticated alarm caller may run the trigger's route (as a run would). */
    authorizer: Authorizer;
    /** Where an event whose call cannot be created is kept (docs/api.md, "Dead letters"). */
    deadLetters?: Pick<DeadLetterStore, 'add'>;
  }) {
    this.byProject = new LRUCache({ max: 10_000, ttl: 1000 });
  }

  /** Forgets the cached triggers of `projectId` (they changed in this process; other processes wait out the 1 s TTL). */
  invalidate(projectId: string): void {
    this.byProject.delete(projectId);
  }

  /** Decodes one delivered notification (`props`: the delivery's facts) and queues a call per matching trigger; `ok:false` for poison input. */
  async handleNotification(content: Buffer, props: DeliveryProps): Promise<NotificationOutcome> {
    const decoded = decodeNotification(content, props, { maxBytes: this.deps.maxMessageBytes });
    if (!decoded.ok) return decoded;
    const routed = normalizeNotification(decoded.notification);
    if (!routed.ok) return routed;
    const triggers = matchTriggers(routed, await this.projectTriggers(routed.event.project_id));
    let queued = 0;
    for (const t of triggers) {
      if (await this.queue(t, routed.event, eventDedupeKey(routed.messageId, t.id))) queued++;
    }
    return { ok: true, queued };
  }

  /** An Aodh callback: the secret from the URL, or a token of the trigger's project, lets it in. */
  async handleAlarm(triggerId: string, secret: string, body: Buffer, identity?: Identity): Promise<Call> {
    const t = await this.deps.triggerStore.getById(triggerId);
    const tokenOfProject = identity && !identity.noauth && identity.projectId === t?.projectId;
    if (!t || t.type !== 'alarm' || !t.enabled || !(sameSecret(secret, t.secret ?? '') || tokenOfProject)) {
      throw triggerNotFound();
    }
    // Without the secret, the token is what lets the caller in: it must pass the run policy.
    if (!sameSecret(secret, t.secret ?? '')) this.deps.authorizer.authorize(identity, 'fresco:route:run', t.projectId);
    const parsed = parseAlarmCallback(body);
    if (!parsed.ok) throw requestInvalid(`body: ${parsed.reason}`);
    const event = normalizeAlarm(parsed.alarm, parsed.raw, t.projectId);
    const call = await this.queue(t, event);
    if (!call) throw callDuplicate('alarm callback');
    return call;
  }

  /** Queues each schedule trigger's due slot once, whatever number of processes tick; returns how many. */
  async fireSchedules(now = new Date()): Promise<number> {
    let fired = 0;
    for (const t of await this.deps.triggerStore.listEnabled(['schedule'])) {
      if (t.ended) continue;
      const due = scheduleDue(t, now);
      if (!due.slot) continue;
      if (due.skipped) log.info({ triggerId: t.id, skipped: due.skipped }, 'missed schedule slots replayed once');
      const event: FrescoEvent = {
        source: 'schedule', event_type: 'schedule.fired', project_id: t.projectId, time: due.slot.toISOString(),
        data: { trigger: t.name, schedule: t.schedule, timezone: t.timezone, slot: due.slot.toISOString(), skipped: due.skipped },
        raw: null,
      };
      if (await this.queue(t, event, scheduleDedupeKey(t.id, due.slot))) fired++;
      await this.deps.triggerStore.advanceFired(t.id, t.lastFiredAt, due.slot, t.remaining !== undefined);
    }
    return fired;
  }

  private async projectTriggers(projectId: string): Promise<Trigger[]> {
    let list = this.byProject.get(projectId);
    if (!list) {
      list = await this.deps.triggerStore.listEnabled(['swift', 'notification'], projectId);
      this.byProject.set(projectId, list);
    }
    return list;
  }

  /** Keeps an event whose call could not be created, with the input its call would have had; once per dedupe key. */
  private async deadLetter(t: Trigger, event: FrescoEvent, err: unknown, dedupeKey?: string): Promise<void> {
    if (!this.deps.deadLetters) return;
    const e = err as { code?: string; message?: string };
    await this.deps.deadLetters.add({
      projectId: t.projectId, kind: 'event', app: t.app, route: t.route, trigger: t.type, triggerId: t.id,
      reason: 'not_created', errorCode: e.code, error: e.message ?? String(err), attempts: 0,
      input: eventRequest(t, event), dedupeKey: dedupeKey && `dead:${dedupeKey}`,
    });
  }

  /** Records and queues the trigger's call; undefined when it was queued before (same dedupe key) or cannot run. */
  private async queue(t: Trigger, event: FrescoEvent, dedupeKey?: string): Promise<Call | undefined> {
    let target;
    try {
      // A version, or the version its alias names now (docs/api.md, "Versions and aliases").
      target = await this.deps.resolver.privateAt(t.projectId, t.app, t.route, selectorOf(t));
    } catch (err) {
      log.warn({ triggerId: t.id, err: (err as Error).message }, 'trigger points at a route (or version) that cannot run; dead-lettered');
      await this.deadLetter(t, event, err, dedupeKey);
      return undefined;
    }
    // A Qinling job's function_input replaces the event as the call's body.
    const request = eventRequest(t, event);
    if (t.input !== undefined) request.body = Buffer.from(t.input);
    try {
      const answer = await this.deps.invoker.accept(target, { ...request, trigger: t.type, triggerId: t.id, dedupeKey });
      return answer.call;
    } catch (err) {
      if (callDuplicate.is(err)) return undefined;
      throw err;
    }
  }
}

/** The firing due at `now` for a schedule trigger: at its start_at first (when set and not yet
 *  fired since), then its schedule's slots after the last firing (none without a schedule). */
export function scheduleDue(t: Pick<Trigger, 'schedule' | 'timezone' | 'lastFiredAt' | 'createdAt' | 'startAt'>, now: Date): { slot?: Date; skipped: number } {
  if (t.startAt && (!t.lastFiredAt || t.lastFiredAt.getTime() < t.startAt.getTime())) {
    return t.startAt.getTime() <= now.getTime() ? { slot: t.startAt, skipped: 0 } : { skipped: 0 };
  }
  if (!t.schedule) return { skipped: 0 };
  return dueFiring(t.schedule, t.timezone ?? 'UTC', t.lastFiredAt ?? t.createdAt, now);
}
