import { isObject } from './envelope';
import { isSwiftNotification, normalizeSwift } from './swift';
import type { FrescoEvent, Notification, Result, RoutedEvent } from './types';

// Decoded notification → the event object functions receive (docs/function-contract.md), scoped to one project.

// Where services put the owning project (Glance uses "owner"). The payload comes first: when an admin acts on a
// tenant's resource, the payload names the owner and the context names the admin's project.
const PAYLOAD_KEYS = ['tenant_id', 'project_id', 'project', 'tenant', 'owner'];
const CONTEXT_KEYS = ['project_id', 'tenant_id', 'tenant', 'project'];

/** Normalises any decoded notification; `{ok:false}` when no project can be found for it. */
export function normalizeNotification(n: Notification): Result<RoutedEvent> {
  const result = isSwiftNotification(n) ? normalizeSwift(n) : normalizeGeneric(n);
  if (!result.ok) return result;
  return { ok: true, event: result.event, messageId: n.messageId, exchange: n.exchange, publisherId: n.publisherId };
}

/** Normalises a non-Swift notification: data carries exchange, publisher, priority and payload. */
export function normalizeGeneric(n: Notification): Result<{ event: FrescoEvent }> {
  const project = projectOf(n);
  if (!project) return { ok: false, reason: `no project in ${n.eventType} notification (payload or _context_)` };
  return {
    ok: true,
    event: {
      source: 'notification',
      event_type: n.eventType,
      project_id: project,
      time: n.timestamp.toISOString(),
      data: { exchange: n.exchange, publisher_id: n.publisherId, priority: n.priority, message_id: n.messageId, payload: n.payload },
      raw: n.raw,
    },
  };
}

/** The project a notification belongs to, from its payload, else its `_context_*`; undefined if none. */
export function projectOf(n: Notification): string | undefined {
  const payload = isObject(n.payload) ? n.payload : {};
  // Nova's versioned notifications wrap the payload in an ovo: {"nova_object.data": {...}}.
  const ovo = isObject(payload['nova_object.data']) ? payload['nova_object.data'] : {};
  return firstId(payload, PAYLOAD_KEYS) ?? firstId(ovo, PAYLOAD_KEYS) ?? firstId(n.context, CONTEXT_KEYS);
}

// Only plain id-like strings count: "project" is sometimes an object or a name with spaces.
function firstId(obj: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v)) return v;
  }
  return undefined;
}
