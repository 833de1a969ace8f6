import assert from 'node:assert/strict';
import { normalizeAlarm, parseAlarmCallback } from '../../../src/events/aodh';
import { fixture } from './fixtures';

describe('events/aodh', () => {
  const cb = fixture<{ body: string; json: Record<string, unknown> }>('aodh-alarm-callback.json');

  it('parses the captured callback body (raw string or parsed)', () => {
    for (const body of [cb.body, Buffer.from(cb.body), cb.json]) {
      const r = parseAlarmCallback(body);
      assert.ok(r.ok);
      assert.deepEqual(r.alarm, cb.json);
    }
  });

  it('normalises to an aodh event of the trigger\'s project', () => {
    const r = parseAlarmCallback(cb.json);
    assert.ok(r.ok);
    const e = normalizeAlarm(r.alarm, r.raw, 'p1', new Date('2026-11-28T17:42:13Z'));
    assert.deepEqual(e, {
      source: 'aodh', event_type: 'alarm.alarm', project_id: 'p1', time: '2026-11-28T17:42:13.000Z', data: cb.json, raw: cb.json,
    });
  });

  it('is lenient with fields, maps "insufficient data" to alarm.insufficient_data', () => {
    const r = parseAlarmCallback({ current: 'insufficient data', severity: 3, extra: true });
    assert.ok(r.ok);
    assert.equal(r.alarm.severity, null);
    assert.equal(r.alarm.reason_data, null);
    assert.equal(normalizeAlarm(r.alarm, r.raw, 'p').event_type, 'alarm.insufficient_data');
    const empty = parseAlarmCallback({});
    assert.ok(empty.ok);
    assert.equal(normalizeAlarm(empty.alarm, empty.raw, 'p').event_type, 'alarm.unknown');
  });

  it('rejects non-objects and non-JSON', () => {
    for (const body of ['[1]', 'null', '42', 'not json', Buffer.from([0xff]), [], null, 7]) {
      assert.equal(parseAlarmCallback(body).ok, false, String(body));
    }
  });
});
