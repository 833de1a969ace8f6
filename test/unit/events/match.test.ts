import assert from 'node:assert/strict';
import { decodeNotification } from '../../../src/events/envelope';
import { parseTriggerFilter } from '../../../src/events/filters';
import { globMatch } from '../../../src/events/glob';
import { matchTriggers } from '../../../src/events/match';
import { normalizeNotification } from '../../../src/events/normalize';
import type { MatchableTrigger, RoutedEvent, TriggerType } from '../../../src/events/types';
import { fixture, routedOf, type SwiftFixture } from './fixtures';

const DEMO = '099c3fdaf8b249cdbb21adf7a417f68a';
const OTHER = '46c30329ebe8482295afe7902db9e495';

let n = 0;
function trigger(type: TriggerType, filter: unknown, over: Partial<MatchableTrigger> = {}): MatchableTrigger {
  return { id: `t${++n}`, projectId: DEMO, type, app: 'a', route: '/r', filter: parseTriggerFilter(type, filter), enabled: true, ...over };
}
const event = (step: string): RoutedEvent => routedOf(fixture<SwiftFixture>(`swift-notification-${step}.json`))[0];
const fires = (step: string, t: MatchableTrigger) => matchTriggers(event(step), [t]).length === 1;

describe('events/match swift triggers on the captures', () => {
  const txt = trigger('swift', { container: 'fixtures', suffix: '.txt' });

  it('a PUT of an object fires a container+suffix trigger of its project', () => {
    assert.ok(fires('put-object', txt));
    assert.ok(fires('put-object-empty', txt));
    assert.ok(fires('put-object-nested-unicode', trigger('swift', { container: 'fixtures', prefix: 'photos/2026/h', suffix: 'wörld.txt' })));
    assert.ok(fires('delete-object', txt));
  });

  it('never fires for another project, a disabled trigger, or a filter that does not match', () => {
    assert.ok(!fires('put-object', trigger('swift', {}, { projectId: OTHER })));
    assert.ok(!fires('put-object', trigger('swift', {}, { enabled: false })));
    assert.ok(!fires('put-object', trigger('swift', { container: 'photos' })));
    assert.ok(!fires('put-object', trigger('swift', { suffix: '.jpg' })));
    assert.ok(!fires('put-object', trigger('swift', { prefix: 'photos/' })));
    assert.ok(!fires('put-object', trigger('swift', { methods: ['DELETE'] })));
  });

  it("never fires for a request that was not the project's own (no token, other project's token)", () => {
    const all = trigger('swift', { methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] });
    assert.ok(!fires('put-object-no-token', all));
    assert.ok(!fires('put-object-other-project', all));
    assert.ok(!fires('put-object-other-project', trigger('swift', {}, { projectId: OTHER })));
  });

  it('GET/HEAD/POST fire only when listed; account and container requests never', () => {
    for (const step of ['get-object', 'head-object', 'post-object', 'get-missing-object']) assert.ok(!fires(step, txt), step);
    assert.ok(fires('get-object', trigger('swift', { methods: ['get'] })));
    assert.ok(fires('head-object', trigger('swift', { methods: ['HEAD'] })));
    assert.ok(fires('post-object', trigger('swift', { methods: ['POST'] })));
    const all = trigger('swift', { methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] });
    for (const step of ['put-container', 'get-container', 'head-account', 'delete-container']) assert.ok(!fires(step, all), step);
  });

  it('the same Swift event sent with the v1 driver (DevStack) matches the same way', () => {
    const f = fixture<SwiftFixture>('swift-notification-put-object.json');
    const dec = decodeNotification(Buffer.from(JSON.stringify(f.notifications[0].message)), { exchange: 'swift' });
    assert.ok(dec.ok);
    assert.equal(dec.notification.envelopeVersion, '1');
    const r = normalizeNotification(dec.notification);
    assert.ok(r.ok);
    assert.deepEqual(matchTriggers(r, [txt]), [txt]);
  });

  it('returns only the matching triggers of a mixed list, in order', () => {
    const ts = [txt, trigger('swift', {}, { projectId: OTHER }), trigger('notification', { event_type: 'objectstore.*' }),
      trigger('alarm', {}), trigger('schedule', {})];
    assert.deepEqual(matchTriggers(event('put-object'), ts).map((t) => t.id), [ts[0].id, ts[2].id]);
  });
});

describe('events/match notification triggers', () => {
  const routed = (extra: Record<string, unknown>, exchange = 'nova'): RoutedEvent => {
    const dec = decodeNotification(Buffer.from(JSON.stringify({
      message_id: 'm', publisher_id: 'compute.host1', event_type: 'compute.instance.create.end', priority: 'INFO',
      timestamp: '2026-05-20 10:15:42', payload: { tenant_id: DEMO }, ...extra,
    })), { exchange });
    assert.ok(dec.ok);
    const r = normalizeNotification(dec.notification);
    assert.ok(r.ok);
    return r;
  };

  it('filters on exchange, event_type glob and publisher_id glob', () => {
    const e = routed({});
    const ok = (f: unknown) => matchTriggers(e, [trigger('notification', f)]).length === 1;
    assert.ok(ok({}));
    assert.ok(ok({ exchange: 'nova', event_type: 'compute.instance.create.*', publisher_id: 'compute.*' }));
    assert.ok(ok({ event_type: 'compute.*' }));
    assert.ok(ok({ event_type: 'compute.instance.create.?nd' }));
    assert.ok(!ok({ exchange: 'glance' }));
    assert.ok(!ok({ event_type: 'compute.instance.delete.*' }));
    assert.ok(!ok({ event_type: 'compute.instance.create' }));
    assert.ok(!ok({ publisher_id: 'network.*' }));
    assert.equal(matchTriggers(e, [trigger('notification', {}, { projectId: OTHER })]).length, 0);
  });

  it('a notification trigger on Swift events still requires the project\'s own request', () => {
    const t = trigger('notification', { exchange: 'swift', event_type: 'objectstore.http.request' });
    assert.equal(matchTriggers(event('get-container'), [t]).length, 1);
    assert.equal(matchTriggers(event('put-object-other-project'), [t]).length, 0);
    assert.equal(matchTriggers(event('put-object-no-token'), [t]).length, 0);
  });
});

describe('events/glob globMatch', () => {
  it('has fnmatch semantics: * spans dots, ? is one character, the rest is literal', () => {
    assert.ok(globMatch('*', ''));
    assert.ok(globMatch('compute.*', 'compute.instance.create.end'));
    assert.ok(globMatch('*.end', 'compute.instance.create.end'));
    assert.ok(globMatch('a*b*c', 'aXbYc'));
    assert.ok(!globMatch('a.c', 'abc'));
    assert.ok(!globMatch('compute', 'compute.instance'));
    assert.ok(!globMatch('Compute.*', 'compute.x'));
  });

  it('answers adversarial patterns (a backtracking matcher would not finish this test)', () => {
    assert.ok(!globMatch('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(255)));
    assert.ok(globMatch('*a*a*a*a*a*a*a*a*a*a*a*b', `${'a'.repeat(255)}b`));
  });
});
