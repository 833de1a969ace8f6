import assert from 'node:assert/strict';
import { decodeNotification } from '../../../src/events/envelope';
import { normalizeNotification } from '../../../src/events/normalize';
import { decodeSwiftName } from '../../../src/events/swift-names';
import type { SwiftEventData } from '../../../src/events/types';
import { fixture, routedOf, swiftFixtures, type SwiftFixture } from './fixtures';

const DEMO = '099c3fdaf8b249cdbb21adf7a417f68a';
const OTHER = '46c30329ebe8482295afe7902db9e495';
const UNICODE = 'photos/2026/héllo wörld.txt';

// What each capture must normalise to: [method, container, object, own_request, bytes, suspected_failure].
const EXPECTED: Record<string, [string, string | null, string | null, boolean, number, boolean]> = {
  'put-container': ['PUT', 'fixtures', null, true, 0, false],
  'put-object': ['PUT', 'fixtures', 'hello.txt', true, 13, false],
  'head-object': ['HEAD', 'fixtures', 'hello.txt', true, 0, false],
  'get-object': ['GET', 'fixtures', 'hello.txt', true, 0, false],
  'post-object': ['POST', 'fixtures', 'hello.txt', true, 0, false],
  'put-object-empty': ['PUT', 'fixtures', 'empty.txt', true, 0, false],
  'put-object-nested-unicode': ['PUT', 'fixtures', UNICODE, true, 8, false],
  'get-container': ['GET', 'fixtures', null, true, 0, false],
  'head-account': ['HEAD', null, null, true, 0, false],
  'get-missing-object': ['GET', 'fixtures', 'missing.txt', true, 0, false],
  'put-object-no-token': ['PUT', 'fixtures', 'anon.txt', false, 0, true],
  'put-object-other-project': ['PUT', 'fixtures', 'intruder.txt', false, 0, true],
  'delete-object': ['DELETE', 'fixtures', 'hello.txt', true, 0, false],
  'delete-object-nested-unicode': ['DELETE', 'fixtures', UNICODE, true, 0, false],
  'delete-container': ['DELETE', 'fixtures', null, true, 0, false],
};

describe('events/normalize Swift captures', () => {
  for (const f of swiftFixtures()) {
    const step = f.file.replace(/^swift-notification-|\.json$/g, '');
    it(`${step}: project, method, names, ownership`, () => {
      const routed = routedOf(f);
      if (step === 'copy-object' || step === 'put-object-copy-from') return assert.equal(routed.length, 0);
      assert.ok(EXPECTED[step], `no expectation for new fixture ${f.file}`);
      assert.equal(routed.length, 1);
      const { event } = routed[0];
      const d = event.data as SwiftEventData;
      const [method, container, object, own, bytes, failed] = EXPECTED[step];
      assert.equal(event.source, 'swift');
      assert.equal(event.project_id, DEMO);
      assert.equal(d.method, method);
      assert.equal(d.method, f.request.method);
      assert.equal(d.container, container);
      assert.equal(d.object, object);
      assert.equal(d.own_request, own);
      assert.equal(d.bytes, bytes);
      assert.equal(d.suspected_failure, failed);
      assert.match(event.time, /^2026-11-28T\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(event.raw, f.notifications[0].message);
    });
  }

  it('no-token and other-project requests keep the account project but are not own requests', () => {
    const anon = routedOf(fixture<SwiftFixture>('swift-notification-put-object-no-token.json'))[0].event.data as SwiftEventData;
    assert.equal(anon.initiator_project_id, null);
    const alt = routedOf(fixture<SwiftFixture>('swift-notification-put-object-other-project.json'))[0];
    assert.equal(alt.event.project_id, DEMO);
    assert.equal((alt.event.data as SwiftEventData).initiator_project_id, OTHER);
  });

  it('the event has exactly the documented fields (docs/openstack.md), user_id from the initiator', () => {
    const { event } = routedOf(fixture<SwiftFixture>('swift-notification-put-object.json'))[0];
    assert.deepEqual(Object.keys(event).sort(), ['data', 'event_type', 'project_id', 'raw', 'source', 'time']);
    assert.equal(event.data.user_id, 'bd9f26ed01604a6a9e6dd8f66bb38daf');
    assert.equal(event.event_type, 'objectstore.http.request');
  });
});

describe('events/swift-names decodeSwiftName', () => {
  it('undoes the double encoding only when the latin-1 round trip is valid UTF-8', () => {
    assert.equal(decodeSwiftName('photos/2026/h%C3%83%C2%A9llo%20w%C3%83%C2%B6rld.txt'), UNICODE);
    assert.equal(decodeSwiftName('My%20Cat.jpg'), 'My Cat.jpg');
    assert.equal(decodeSwiftName('h%C3%A9llo'), 'héllo'); // single-encoded (a fixed middleware)
    assert.equal(decodeSwiftName('%C3%83%C2%83%C3%82%C2%A9'), 'Ã©'); // a real "Ã©", double-encoded
    assert.equal(decodeSwiftName('caf%E9'), 'café'); // a latin-1 byte, not UTF-8
    assert.equal(decodeSwiftName('100%25%20sure%'), '100% sure%');
    assert.equal(decodeSwiftName('%zz%4'), '%zz%4');
    assert.equal(decodeSwiftName('日本'), '日本');
  });
});

describe('events/normalize other notifications', () => {
  const v1 = (extra: Record<string, unknown>) => Buffer.from(JSON.stringify({
    message_id: 'm1', publisher_id: 'compute.host1', event_type: 'compute.instance.create.end', priority: 'INFO',
    timestamp: '2026-05-20 10:15:42.118530', payload: {}, ...extra,
  }));
  const norm = (content: Buffer) => {
    const dec = decodeNotification(content, { exchange: 'nova' });
    assert.ok(dec.ok);
    return normalizeNotification(dec.notification);
  };

  it('takes the project from the payload before the context', () => {
    const r = norm(v1({ payload: { tenant_id: 'owner1' }, _context_project_id: 'admin1' }));
    assert.ok(r.ok);
    assert.equal(r.event.project_id, 'owner1');
    assert.equal(r.event.source, 'notification');
    assert.equal(r.exchange, 'nova');
    assert.equal(r.publisherId, 'compute.host1');
    assert.deepEqual(r.event.data, { exchange: 'nova', publisher_id: 'compute.host1', priority: 'INFO', message_id: 'm1', payload: { tenant_id: 'owner1' } });
  });

  it('falls back to project_id, project, nova versioned payloads and _context_project_id / _context_tenant', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ payload: { project_id: 'a' } }, 'a'],
      [{ payload: { project: 'b' } }, 'b'],
      [{ payload: { 'nova_object.data': { tenant_id: 'c' } } }, 'c'],
      [{ _context_project_id: 'd' }, 'd'],
      [{ _context_tenant: 'e' }, 'e'],
      [{ payload: { project: { id: 'x' } }, _context_tenant: 'f' }, 'f'],
    ];
    for (const [extra, project] of cases) {
      const r = norm(v1(extra));
      assert.ok(r.ok, JSON.stringify(extra));
      assert.equal(r.event.project_id, project);
    }
  });

  it('an unknown event type normalises as a generic notification', () => {
    const r = norm(v1({ event_type: 'something.new.happened', payload: { project_id: 'p' } }));
    assert.ok(r.ok);
    assert.equal(r.event.event_type, 'something.new.happened');
  });

  it('refuses a notification with no project (e.g. Aodh alarm.update)', () => {
    assert.equal(norm(v1({})).ok, false);
    const f = fixture<{ content: string }>('aodh-alarm-notification.json');
    assert.equal(norm(Buffer.from(f.content)).ok, false);
  });

  it('a Swift event without any account is refused', () => {
    const r = norm(v1({ event_type: 'objectstore.http.request', payload: { target: {} } }));
    assert.equal(r.ok, false);
  });
});
