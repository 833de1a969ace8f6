import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors';
import { parseTriggerFilter, triggerRules } from '../../../src/events/filters';
import { dueFiring, nextFirings, scheduleDedupeKey, validateSchedule } from '../../../src/events/schedule';

const bad = (type: Parameters<typeof parseTriggerFilter>[0], filter: unknown, message: RegExp) =>
  assert.throws(() => parseTriggerFilter(type, filter), (e: unknown) => e instanceof ValidationError && message.test(e.message));

describe('events/filters trigger filter schemas', () => {
  it('swift: defaults methods to PUT, DELETE; upper-cases and dedupes them', () => {
    assert.deepEqual(parseTriggerFilter('swift', {}), { methods: ['PUT', 'DELETE'] });
    assert.deepEqual(parseTriggerFilter('swift', undefined), { methods: ['PUT', 'DELETE'] });
    assert.deepEqual(parseTriggerFilter('swift', { container: 'photos', suffix: '.jpg', methods: ['put', 'PUT', 'get'] }),
      { container: 'photos', suffix: '.jpg', methods: ['PUT', 'GET'] });
  });

  it('swift: rejects unknown keys, bad methods, bad container names, naming the field', () => {
    bad('swift', { suffx: '.jpg' }, /trigger\.filter: unknown field\(s\) "suffx"/);
    bad('swift', { methods: ['PATCH'] }, /trigger\.filter\.methods\.0: must be one of GET, HEAD, PUT, POST, DELETE, COPY/);
    bad('swift', { methods: [] }, /trigger\.filter\.methods: must list at least one/);
    bad('swift', { methods: 'PUT' }, /trigger\.filter\.methods/);
    bad('swift', { container: 'a/b' }, /trigger\.filter\.container: must not contain "\/"/);
    bad('swift', { container: 'é'.repeat(129) }, /trigger\.filter\.container: must be 1-256 bytes/);
    bad('swift', { prefix: '' }, /trigger\.filter\.prefix: must not be empty/);
    bad('swift', [], /trigger\.filter/);
  });

  it('notification: exchange, event_type and publisher_id patterns; nothing else', () => {
    const f = { exchange: 'nova', event_type: 'compute.instance.create.*', publisher_id: 'compute.*' };
    assert.deepEqual(parseTriggerFilter('notification', f), f);
    bad('notification', { exchange: 'no va' }, /trigger\.filter\.exchange/);
    bad('notification', { event_type: 'compute/(x)' }, /trigger\.filter\.event_type/);
    bad('notification', { container: 'x' }, /unknown field/);
  });

  it('alarm and schedule take an empty filter', () => {
    assert.deepEqual(parseTriggerFilter('alarm', {}), {});
    bad('schedule', { at: 'noon' }, /unknown field/);
  });

  it('triggerRules fits TriggerService', () => {
    assert.equal(triggerRules.checkSchedule('*/5 * * * *', 'UTC'), undefined);
    assert.deepEqual(triggerRules.parseFilter('swift', {}), { methods: ['PUT', 'DELETE'] });
  });
});

describe('events/schedule', () => {
  it('validateSchedule accepts 5-field cron and nicknames in an IANA zone', () => {
    for (const e of ['*/5 * * * *', '30 2 * * 1-5', '@daily', '@hourly', '0 9 * * MON']) assert.equal(validateSchedule(e, 'Europe/Paris'), undefined, e);
  });

  it('validateSchedule names the field for a bad expression or time zone', () => {
    assert.match(validateSchedule('*/5 * * * *', 'Mars/Olympus') ?? '', /^trigger\.timezone: unknown time zone "Mars\/Olympus"/);
    assert.match(validateSchedule('*/5 * * * *', '') ?? '', /^trigger\.timezone/);
    assert.match(validateSchedule('61 * * * *', 'UTC') ?? '', /^trigger\.schedule: .*minute/);
    assert.match(validateSchedule('* * * * * *', 'UTC') ?? '', /^trigger\.schedule: must be a 5-field/);
    assert.match(validateSchedule('2026-12-01T00:00:00', 'UTC') ?? '', /^trigger\.schedule: must be a 5-field/);
    assert.match(validateSchedule('0 0 31 2 *', 'UTC') ?? '', /^trigger\.schedule: the expression never fires/);
    assert.match(validateSchedule('', 'UTC') ?? '', /^trigger\.schedule/);
  });

  it('nextFirings lists slots in (after, before], in the time zone, capped', () => {
    const slots = nextFirings('*/5 * * * *', 'UTC', new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:15:00Z'));
    assert.deepEqual(slots.map((d) => d.toISOString()), ['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z', '2026-01-01T00:15:00.000Z']);
    const paris = nextFirings('0 9 * * *', 'Europe/Paris', new Date('2026-07-01T00:00:00Z'), new Date('2026-07-02T00:00:00Z'));
    assert.deepEqual(paris.map((d) => d.toISOString()), ['2026-07-01T07:00:00.000Z']);
    assert.equal(nextFirings('* * * * *', 'UTC', new Date(0), new Date('2026-01-01T00:00:00Z'), 10).length, 10);
  });

  it('nextFirings fires a DST-gap slot once (02:30 Berlin on spring-forward day)', () => {
    const slots = nextFirings('30 2 * * *', 'Europe/Berlin', new Date('2026-03-28T12:00:00Z'), new Date('2026-03-30T12:00:00Z'));
    assert.equal(slots.length, 2);
  });

  it('dueFiring fires each slot once and replays a missed run at most once', () => {
    const expr = '*/5 * * * *';
    const created = new Date('2026-01-01T00:03:00Z');
    assert.equal(dueFiring(expr, 'UTC', created, new Date('2026-01-01T00:04:59Z')).slot, undefined);
    const first = dueFiring(expr, 'UTC', created, new Date('2026-01-01T00:05:00Z'));
    assert.equal(first.slot?.toISOString(), '2026-01-01T00:05:00.000Z');
    assert.equal(first.next?.toISOString(), '2026-01-01T00:10:00.000Z');
    // Same slot again (another tick, another process): nothing due.
    assert.equal(dueFiring(expr, 'UTC', first.slot!, new Date('2026-01-01T00:07:00Z')).slot, undefined);
    // Down for an hour: one firing for the latest slot, 11 skipped.
    const late = dueFiring(expr, 'UTC', first.slot!, new Date('2026-01-01T01:06:00Z'));
    assert.equal(late.slot?.toISOString(), '2026-01-01T01:05:00.000Z');
    assert.equal(late.skipped, 11);
    assert.equal(scheduleDedupeKey('t1', late.slot!), 'schedule:t1:2026-01-01T01:05:00.000Z');
  });
});
