import assert from 'node:assert/strict';
import { jobCreateFields, jobStatus, jobUpdate, parseJobTime, presentJob } from '../../../src/api/qinling/triggers';
import type { Trigger } from '../../../src/domain/models';
import { scheduleDue } from '../../../src/services/event-service';

// Qinling jobs as schedule triggers (docs/qinling.md): first_execution_time is the trigger's
// start_at (its first firing), count its remaining firings, function_input the calls' body, and
// status its end and enabled flag.

const at = (s: string) => new Date(s);
const job = (over: Partial<Trigger> = {}): Trigger => ({
  id: '11111111-2222-3333-4444-555555555555', projectId: 'p', name: 'qinling-job-6b1e2f6e-8d4c-4c6c-9a55-0e0f6a2d1f00-nightly',
  type: 'schedule', app: 'qinling', route: '/6b1e2f6e-8d4c-4c6c-9a55-0e0f6a2d1f01', filter: {}, schedule: '*/5 * * * *',
  timezone: 'UTC', enabled: true, createdAt: at('2026-12-05T10:00:00Z'), updatedAt: at('2026-12-05T10:00:00Z'), ...over,
});

describe('Qinling jobs', () => {
  it('reads Qinling times as UTC, with or without seconds or a zone', () => {
    assert.equal(parseJobTime('t', '2026-12-05 10:30').toISOString(), '2026-12-05T10:30:00.000Z');
    assert.equal(parseJobTime('t', '2026-12-05 10:30:15').toISOString(), '2026-12-05T10:30:15.000Z');
    assert.equal(parseJobTime('t', '2026-12-05T11:30:00+01:00').toISOString(), '2026-12-05T10:30:00.000Z');
    assert.throws(() => parseJobTime('first_execution_time', 'tomorrow'), /first_execution_time: "tomorrow"/);
  });

  it('maps a create: pattern, first_execution_time, count and input; a job without a pattern runs once', () => {
    const c = jobCreateFields({ pattern: '* * * * *', first_execution_time: '2026-12-05 10:30', count: 2, function_input: '{"a": 1}' });
    assert.equal(c.pattern, '* * * * *');
    assert.deepEqual(c.fields, { startAt: at('2026-12-05T10:30:00Z'), remaining: 2, input: '{"a": 1}' });
    assert.equal(jobCreateFields({ first_execution_time: '2026-12-05 10:30' }).fields.remaining, 1);
    assert.equal(jobCreateFields({ pattern: '* * * * *', function_input: 'plain' }).fields.input, '"plain"', 'non-JSON input is a JSON string');
    assert.equal(jobCreateFields({ pattern: '* * * * *', count: null }).fields.remaining, undefined, 'no count: no end');
    assert.throws(() => jobCreateFields({}), /pattern or first_execution_time/);
    assert.throws(() => jobCreateFields({ first_execution_time: '2026-12-05 10:30', count: 3 }), /count: a job without a pattern runs once/);
    assert.throws(() => jobCreateFields({ pattern: '* * * * *', count: 0 }), /count: must be a whole number of at least 1/);
  });

  it('fires at first_execution_time first (not before), then on the pattern after it', () => {
    const t = job({ schedule: '*/5 * * * *', startAt: at('2026-12-05T10:02:30Z') });
    assert.equal(scheduleDue(t, at('2026-12-05T10:02:00Z')).slot, undefined, 'not before its start');
    assert.deepEqual(scheduleDue(t, at('2026-12-05T10:03:00Z')).slot, at('2026-12-05T10:02:30Z'));
    const fired = { ...t, lastFiredAt: at('2026-12-05T10:02:30Z') };
    assert.equal(scheduleDue(fired, at('2026-12-05T10:04:00Z')).slot, undefined);
    assert.deepEqual(scheduleDue(fired, at('2026-12-05T10:05:10Z')).slot, at('2026-12-05T10:05:00Z'));
    const oneShot = { ...t, schedule: undefined, lastFiredAt: at('2026-12-05T10:02:30Z') };
    assert.equal(scheduleDue(oneShot, at('2026-12-06T00:00:00Z')).slot, undefined, 'a one-shot fires once');
    // A later next_execution_time (job update) is a start again.
    assert.deepEqual(scheduleDue({ ...fired, startAt: at('2026-12-05T10:07:00Z') }, at('2026-12-05T10:07:01Z')).slot, at('2026-12-05T10:07:00Z'));
  });

  it('shows status, count, input and times as Qinling did', () => {
    const now = at('2026-12-05T10:01:00Z');
    const shown = presentJob(job({ remaining: 2, input: '{"a": 1}', startAt: at('2026-12-05T10:03:00Z') }), now);
    assert.equal(shown.name, 'nightly');
    assert.equal(shown.count, 2);
    assert.equal(shown.status, 'running');
    assert.equal(shown.function_input, '{"a": 1}');
    assert.equal(shown.first_execution_time, '2026-12-05 10:03:00');
    assert.equal(shown.next_execution_time, '2026-12-05 10:03:00');
    const later = presentJob(job({ lastFiredAt: at('2026-12-05T10:00:00Z') }), now);
    assert.equal(later.next_execution_time, '2026-12-05 10:05:00');
    assert.equal(presentJob(job({ enabled: false, ended: 'done', remaining: 0 }), now).status, 'done');
    assert.equal(presentJob(job({ enabled: false, ended: 'done' }), now).next_execution_time, null);
    assert.equal(jobStatus({ enabled: false }), 'paused');
  });

  it('maps an update: pause, resume, cancel, pattern, next_execution_time, input, name; an ended job stays ended', () => {
    assert.deepEqual(jobUpdate(job(), { status: 'paused', pattern: null, name: null }), { patch: { enabled: false }, fields: {} });
    assert.deepEqual(jobUpdate(job({ enabled: false }), { status: 'running' }).patch, { enabled: true });
    assert.deepEqual(jobUpdate(job(), { status: 'cancelled' }), { patch: { enabled: false }, fields: { ended: 'cancelled' } });
    const u = jobUpdate(job(), { pattern: '0 * * * *', next_execution_time: '2026-12-06 00:00', function_input: '{"b": 2}', name: 'hourly' });
    assert.deepEqual(u.patch, { schedule: '0 * * * *', name: 'qinling-job-6b1e2f6e-8d4c-4c6c-9a55-0e0f6a2d1f00-hourly' });
    assert.deepEqual(u.fields, { input: '{"b": 2}', startAt: at('2026-12-06T00:00:00Z') });
    assert.throws(() => jobUpdate(job({ ended: 'done', enabled: false }), { status: 'running' }), /the job is done/);
    assert.throws(() => jobUpdate(job(), { status: 'sleeping' }), /must be running, paused, done or cancelled/);
  });
});
