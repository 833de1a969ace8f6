import { isObject } from './envelope';
import { decodeSwiftName } from './swift-names';
import type { FrescoEvent, Notification, Result, SwiftEventData } from './types';

// ceilometermiddleware's objectstore.http.request (docs/openstack.md, Swift): a CADF event per Swift
// request, whatever its status. The project is the account's (target.id), not the caller's.

/** The event type ceilometermiddleware publishes for every Swift request. */
export const SWIFT_EVENT_TYPE = 'objectstore.http.request';

const RESELLER_PREFIX = /^AUTH_/;
// Only a fallback for a payload without target.action: CADF's action is ambiguous for GET/HEAD.
const CADF_TO_METHOD: Record<string, string> = { update: 'PUT', create: 'POST', delete: 'DELETE', read: 'GET' };

/** True when the notification is a ceilometermiddleware Swift request event. */
export function isSwiftNotification(n: Notification): boolean {
  return n.eventType === SWIFT_EVENT_TYPE;
}

/** Normalises a Swift CADF event; fails when the payload has no account/project. */
export function normalizeSwift(n: Notification): Result<{ event: FrescoEvent }> {
  const p = isObject(n.payload) ? n.payload : {};
  const target = isObject(p.target) ? p.target : {};
  const meta = isObject(target.metadata) ? target.metadata : {};
  const project = projectOf(target, meta);
  if (!project) return { ok: false, reason: 'swift event without target.id or account in metadata.path' };
  const data = swiftData(p, target, meta, project);
  return {
    ok: true,
    event: { source: 'swift', event_type: n.eventType, project_id: project, time: n.timestamp.toISOString(), data, raw: n.raw },
  };
}

function swiftData(
  p: Record<string, unknown>, target: Record<string, unknown>, meta: Record<string, unknown>, project: string,
): SwiftEventData {
  const initiator = isObject(p.initiator) ? p.initiator : {};
  const method = methodOf(target, p);
  const outgoing = measurement(p, 'storage.objects.outgoing.bytes');
  const initiatorProject = strOrNull(initiator.project_id);
  return {
    container: nameOrNull(meta.container),
    object: nameOrNull(meta.object),
    method,
    bytes: measurement(p, 'storage.objects.incoming.bytes'),
    outgoing_bytes: outgoing,
    user_id: strOrNull(initiator.id),
    initiator_project_id: initiatorProject,
    own_request: initiatorProject !== null && initiatorProject === project,
    // Swift answers a stored PUT (201) and a DELETE (204) with an empty body; a body means an
    // error page (401/403/404/413...). The status itself is not in the event.
    suspected_failure: p.outcome === 'failure' || ((method === 'PUT' || method === 'DELETE') && outgoing > 0),
  };
}

function projectOf(target: Record<string, unknown>, meta: Record<string, unknown>): string | undefined {
  const id = strOrNull(target.id);
  if (id) return id.replace(RESELLER_PREFIX, '');
  // metadata.path is "v1/AUTH_<project>/container/object".
  const account = typeof meta.path === 'string' ? meta.path.split('/')[1] : undefined;
  return account ? decodeSwiftName(account).replace(RESELLER_PREFIX, '') || undefined : undefined;
}

function methodOf(target: Record<string, unknown>, p: Record<string, unknown>): string {
  if (typeof target.action === 'string' && target.action) return target.action.toUpperCase();
  return (typeof p.action === 'string' && CADF_TO_METHOD[p.action]) || 'UNKNOWN';
}

// measurements is absent when empty (ceilometermiddleware 3.0.0), and a list of
// {result, metric: {name}} otherwise.
function measurement(p: Record<string, unknown>, name: string): number {
  if (!Array.isArray(p.measurements)) return 0;
  for (const m of p.measurements) {
    if (isObject(m) && isObject(m.metric) && m.metric.name === name && typeof m.result === 'number') return m.result;
  }
  return 0;
}

function nameOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? decodeSwiftName(v) : null;
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
