import assert from 'node:assert/strict';
import { decodeNotification, parseOsloTimestamp } from '../../../src/events/envelope';
import { fixture, propsOf, swiftFixtures, type CapturedDelivery } from './fixtures';

const v1 = {
  message_id: '5a9f5c4e-2b7d-4f0e-9c1a-0d6e8b3f7a21', publisher_id: 'compute.host1', event_type: 'compute.instance.create.end',
  priority: 'INFO', timestamp: '2026-05-20 10:15:42', payload: { tenant_id: 'p1' }, _context_project_id: 'p1', _unique_id: 'u1',
};
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const reasonOf = (content: Buffer, props = {}) => {
  const r = decodeNotification(content, props);
  assert.equal(r.ok, false);
  return (r as { reason: string }).reason;
};

describe('events/envelope decodeNotification', () => {
  it('decodes every captured Swift delivery (v2 envelope) to the message the capture parsed', () => {
    const deliveries = swiftFixtures().flatMap((f) => f.notifications);
    assert.ok(deliveries.length >= 14);
    for (const d of deliveries) {
      const r = decodeNotification(Buffer.from(d.content), propsOf(d));
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.notification.envelopeVersion, '2.0');
      assert.deepEqual(r.notification.raw, d.message);
      assert.equal(r.notification.messageId, d.message.message_id);
      assert.equal(r.notification.eventType, 'objectstore.http.request');
      assert.equal(r.notification.publisherId, 'ceilometermiddleware');
      assert.equal(r.notification.exchange, 'swift');
      assert.equal(r.notification.priority, 'INFO');
      assert.deepEqual(r.notification.context, {});
    }
  });

  it('reads the oslo timestamp as UTC, with and without microseconds', () => {
    const d = fixture<{ notifications: CapturedDelivery[] }>('swift-notification-put-object.json').notifications[0];
    const r = decodeNotification(Buffer.from(d.content), propsOf(d));
    assert.ok(r.ok);
    assert.equal(r.notification.timestamp.toISOString(), '2026-11-28T17:42:01.405Z');
    assert.equal(parseOsloTimestamp('2026-11-28 16:49:27')?.toISOString(), '2026-11-28T16:49:27.000Z');
    assert.equal(parseOsloTimestamp('yesterday'), undefined);
  });

  it('decodes a bare v1 dict, with its _context_ keys', () => {
    const r = decodeNotification(buf(v1), { exchange: 'nova', routingKey: 'notifications.info' });
    assert.ok(r.ok);
    assert.equal(r.notification.envelopeVersion, '1');
    assert.equal(r.notification.messageId, v1.message_id);
    assert.deepEqual(r.notification.context, { project_id: 'p1' });
    assert.equal(r.notification.timestamp.toISOString(), '2026-05-20T10:15:42.000Z');
  });

  it('decodes the Aodh alarm.update capture (exchange aodh, priority SAMPLE)', () => {
    const f = fixture<{ content: string; exchange: string }>('aodh-alarm-notification.json');
    const r = decodeNotification(Buffer.from(f.content), { exchange: f.exchange, contentEncoding: 'utf-8' });
    assert.ok(r.ok);
    assert.equal(r.notification.eventType, 'alarm.update');
    assert.equal(r.notification.priority, 'SAMPLE');
  });

  it('falls back to _unique_id, then the AMQP messageId, then a body hash for the dedupe id', () => {
    const noId = { ...v1, message_id: undefined };
    assert.equal((decodeNotification(buf(noId)) as { notification: { messageId: string } }).notification.messageId, 'u1');
    const bare = { ...noId, _unique_id: undefined };
    const r = decodeNotification(buf(bare), { messageId: 'amqp-1' });
    assert.ok(r.ok);
    assert.equal(r.notification.messageId, 'amqp-1');
    const a = decodeNotification(buf(bare));
    const b = decodeNotification(buf(bare));
    assert.ok(a.ok && b.ok);
    assert.match(a.notification.messageId, /^sha256:[0-9a-f]{64}$/);
    assert.equal(a.notification.messageId, b.notification.messageId);
  });

  it('rejects truncated JSON, non-objects and garbage without throwing', () => {
    const d = fixture<{ notifications: CapturedDelivery[] }>('swift-notification-put-object.json').notifications[0];
    assert.match(reasonOf(Buffer.from(d.content.slice(0, 200))), /not JSON/);
    for (const s of ['[1,2]', '"text"', '42', 'null', 'true', '']) assert.ok(reasonOf(buf(s)));
    assert.match(reasonOf(Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80])), /UTF-8/);
    assert.match(reasonOf(Buffer.from('\u0000\u0001garbage')), /not JSON/);
  });

  it('rejects a wrong envelope: no event_type, no payload, oslo.message not a string or not JSON, bad version', () => {
    assert.match(reasonOf(buf({ ...v1, event_type: undefined })), /event_type/);
    assert.match(reasonOf(buf({ ...v1, payload: undefined })), /payload/);
    assert.match(reasonOf(buf({ 'oslo.version': '2.0', 'oslo.message': v1 })), /not a string/);
    assert.match(reasonOf(buf({ 'oslo.version': '2.0', 'oslo.message': '{"message_id": "x", "event_t' })), /not JSON/);
    assert.match(reasonOf(buf({ 'oslo.version': '2.0', 'oslo.message': '[1]' })), /not a JSON object/);
    assert.match(reasonOf(buf({ 'oslo.version': '3.0', 'oslo.message': JSON.stringify(v1) })), /oslo.version/);
    assert.match(reasonOf(buf({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ payload: {} }) })), /event_type/);
  });

  it('rejects a compressed or otherwise encoded body', () => {
    assert.match(reasonOf(buf(v1), { contentEncoding: 'gzip' }), /content encoding/);
  });

  it('rejects a 10 MB message by its size without parsing it', () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x20);
    huge.write(JSON.stringify(v1));
    const started = process.hrtime.bigint();
    assert.match(reasonOf(huge), /exceeds the 1048576-byte limit/);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 20, 'should not parse');
    const r = decodeNotification(buf(v1), {}, { maxBytes: 100 });
    assert.equal(r.ok, false);
  });
});

describe('events/envelope refuses what no later stage can store or walk (issue 18)', () => {
  const wrap = (inner: string) => Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': inner }));
  const msg = (extra: string) => `{"message_id":"m1","event_type":"objectstore.http.request","payload":{${extra}}}`;
  const reason = (content: Buffer) => {
    const d = decodeNotification(content);
    return d.ok ? 'ok' : d.reason;
  };

  it('refuses a NUL anywhere, in the envelope or inside oslo.message, but not an escaped backslash before u0000', () => {
    assert.match(reason(wrap(msg('"id":"a\\u0000b"'))), /oslo\.message contains a NUL/);
    assert.match(reason(Buffer.from(`{"message_id":"m\\u0000","event_type":"x.y","payload":{}}`)), /body contains a NUL/);
    assert.equal(reason(wrap(msg('"id":"a\\\\u0000b"'))), 'ok');
  });

  it('refuses nesting past 64 levels, counting brackets outside strings only', () => {
    assert.match(reason(wrap(msg(`"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}`))), /nests deeper than 64 levels/);
    assert.match(reason(Buffer.from(`{"event_type":"x.y","payload":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`)), /body nests deeper/);
    assert.equal(reason(wrap(msg(`"deep":${'['.repeat(50)}${']'.repeat(50)},"s":"${'['.repeat(500)}"`))), 'ok');
  });

  it('refuses a message_id longer than 255 characters', () => {
    assert.match(reason(wrap(`{"message_id":"${'x'.repeat(256)}","event_type":"x.y","payload":{}}`)), /message_id longer than 255/);
    assert.equal(reason(wrap(`{"message_id":"${'x'.repeat(255)}","event_type":"x.y","payload":{}}`)), 'ok');
  });
});
