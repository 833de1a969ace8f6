import { isObject } from './envelope';
import type { FrescoEvent, Result } from './types';

// Aodh's HTTP alarm action (docs/openstack.md, Aodh alarms). Read leniently: fields vary by alarm type and
// release, and aodh never retries, so a callback we can use at all must not be refused over
// a missing field. Only a body that is not a JSON object is rejected.

/** The callback body as Aodh sends it; absent or mistyped fields are null. */
export interface AlarmCallback {
  alarm_name: string | null;
  alarm_id: string | null;
  severity: string | null;
  previous: string | null;
  /** ok | alarm | insufficient data */
  current: string | null;
  reason: string | null;
  reason_data: Record<string, unknown> | null;
}

const FIELDS = ['alarm_name', 'alarm_id', 'severity', 'previous', 'current', 'reason'] as const;

/** Parses a callback body (already-parsed JSON, or a string/Buffer of JSON); `{ok:false}` unless a JSON object. */
export function parseAlarmCallback(body: unknown): Result<{ alarm: AlarmCallback; raw: Record<string, unknown> }> {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString()) as unknown;
    } catch {
      return { ok: false, reason: 'alarm callback body is not JSON' };
    }
  }
  if (!isObject(value)) return { ok: false, reason: 'alarm callback body must be a JSON object' };
  const alarm = { reason_data: isObject(value.reason_data) ? value.reason_data : null } as AlarmCallback;
  for (const f of FIELDS) alarm[f] = typeof value[f] === 'string' ? value[f] : null;
  return { ok: true, alarm, raw: value };
}

/**
 * The event for an alarm callback of a trigger of `projectId`: event_type "alarm.<current>" with
 * the state's space made "_" ("alarm.insufficient_data") so it globs like other event types.
 */
export function normalizeAlarm(alarm: AlarmCallback, raw: unknown, projectId: string, now = new Date()): FrescoEvent {
  const state = (alarm.current ?? 'unknown').trim().replace(/\s+/g, '_');
  return { source: 'aodh', event_type: `alarm.${state}`, project_id: projectId, time: now.toISOString(), data: { ...alarm }, raw };
}
