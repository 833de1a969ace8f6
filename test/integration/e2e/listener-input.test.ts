import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import axios from 'axios';
import { decodeNotification } from '../../../src/events';
import { log } from '../../../src/log';
import type { NotificationOutcome } from '../../../src/services/event-service';
import { waitFor } from '../../helpers/wait';
import { fixtureInner, ListenerWorld, P, swiftPut } from './listener-world';

// The listener role (in `all`) on the real RabbitMQ, fed raw bytes by the test: every poison
// message ends in Fresco's dead-letter queue with a log line while the listener keeps consuming; a
// well-formed notification nobody subscribed to is acked and dropped; a redelivered message runs
// one call; a burst of 1,000 notifications gives exactly 1,000 calls. The ScriptedExecutor stands
// in for Docker: this file is about the listener, not the function contract.

describe('listener: bad input, redelivery and a burst (real RabbitMQ)', function () {
  this.timeout(60_000);
  const world = new ListenerWorld();
  const http = axios.create({ validateStatus: () => true });
  /** What the listener decided for each delivery, by AMQP message-id and oslo message_id. */
  const outcomes: Array<{ ids: Array<string | undefined>; outcome: NotificationOutcome }> = [];
  const logged: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const origLog = { warn: log.warn, error: log.error };
  let base: string;
  const { broker, queue, dlq } = world;

  const publish = (content: Buffer, props: Record<string, unknown> = {}) => world.publish(content, props);
  const handled = (id: string) => outcomes.filter((o) => o.ids.includes(id));
  const callsOf = (route: string) => world.t.db('calls').where({ project_id: P, route }).select('id', 'status', 'dedupe_key', 'request');
  const consumers = () => world.consumers();
  const provesAlive = (label: string) => world.provesAlive(label);

  before(async () => {
    await world.start({ routes: ['dup', 'burst'], env: { FRESCO_ENGINE_ASYNC_PREFETCH: '32' } });
    // Observe (not change) what the listener decides for each message, and what it logs.
    const events = world.fresco.services.events;
    const handle = events.handleNotification.bind(events);
    events.handleNotification = async (content, props) => {
      const outcome = await handle(content, props);
      const d = decodeNotification(content, props, { maxBytes: Infinity });
      outcomes.push({ ids: [props.messageId, d.ok ? d.notification.messageId : undefined], outcome });
      return outcome;
    };
    const spy = (level: string) => ((obj: Record<string, unknown>, msg: string) => { logged.push({ level, obj, msg }); }) as unknown as typeof log.warn;
    Object.assign(log, { warn: spy('warn'), error: spy('error') });
    base = `http://127.0.0.1:${world.fresco.address!.port}/v1/${P}`;
  });
  after(async () => {
    Object.assign(log, origLog);
    await world.stop();
  });

  it('dead-letters every poison message with a log line and keeps consuming', async () => {
    const valid = swiftPut('alive/poison.txt', randomUUID());
    const tenMb = swiftPut('alive/huge.txt', randomUUID(), (m) => { m.payload.padding = 'x'.repeat(10 * 1024 * 1024); });
    const poison: Array<[string, Buffer, RegExp, Record<string, unknown>?]> = [
      ['truncated', valid.subarray(0, Math.floor(valid.length / 2)), /not JSON/],
      ['truncated-inner', Buffer.from('{"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"x\\", \\"event_ty"}'), /oslo\.message is not JSON/],
      ['empty', Buffer.alloc(0), /not JSON/],
      ['array', Buffer.from('[1, 2, 3]'), /not a JSON object/],
      ['envelope-object', Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': fixtureInner('put-object') })), /oslo\.message is not a string/],
      ['envelope-version', Buffer.from(JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' })), /unsupported oslo\.version/],
      ['no-event-type', Buffer.from(JSON.stringify({ message_id: randomUUID(), payload: { project_id: P } })), /no event_type/],
      ['event-type-number', Buffer.from(JSON.stringify({ message_id: randomUUID(), event_type: 42, payload: {} })), /no event_type/],
      ['no-payload', Buffer.from(JSON.stringify({ message_id: randomUUID(), event_type: 'compute.instance.create.end' })), /no payload/],
      ['unknown-type-no-project', Buffer.from(JSON.stringify({ message_id: randomUUID(), event_type: 'acme.widget.frobbed', payload: { colour: 'blue' } })), /no project/],
      ['swift-no-target', swiftPut('alive/x.txt', randomUUID(), (m) => { delete m.payload.target; }), /swift event without/],
      ['not-utf8', Buffer.concat([Buffer.from('{"event_type": "x.y", "payload": "'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]), /not valid UTF-8/],
      ['latin1-encoding', valid, /unsupported content encoding/, { contentEncoding: 'latin-1' }],
      ['ten-mb', tenMb, /exceeds the 1048576-byte limit/],
    ];
    for (const [label, content, , props] of poison) await publish(content, { messageId: label, ...props });
    await waitFor('every poison message in the DLQ', async () => (await broker.depth(dlq)) === poison.length, 20_000);
    // Each is there once, intact (the 10 MB one too), dead-lettered by our queue as rejected.
    const ch = await broker.channel();
    const found = new Map<string, { size: number; death: any }>();
    for (let m = await ch.get(dlq, { noAck: true }); m; m = await ch.get(dlq, { noAck: true })) {
      found.set(String(m.properties.messageId), { size: m.content.length, death: (m.properties.headers?.['x-death'] as any[])?.[0] });
    }
    await ch.close();
    assert.deepEqual([...found.keys()].sort(), poison.map(([l]) => l).sort());
    assert.equal(found.get('ten-mb')!.size, tenMb.length);
    for (const { death } of found.values()) {
      assert.equal(death.queue, queue);
      assert.equal(death.reason, 'rejected');
      assert.equal(death.count, 1, 'dead-lettered at once, never retried');
    }
    // Each was handled as poison for its own reason, with a log line naming it (never the body).
    const warnings = logged.filter((l) => l.level === 'warn' && /dead-letter/.test(l.msg)).map((l) => String(l.obj.reason));
    for (const [label, , reason] of poison) {
      const [o] = handled(label);
      assert.ok(o && !o.outcome.ok && reason.test(o.outcome.reason), `${label}: ${JSON.stringify(o?.outcome)}`);
      assert.ok(warnings.some((r) => reason.test(r)), `a warning with the reason of ${label}`);
      assert.ok(logged.some((l) => l.level === 'error' && l.obj.messageId === label && /dead-lettered/.test(l.msg)), `${label} logged`);
    }
    assert.ok(logged.every((l) => JSON.stringify(l.obj).length < 4096), 'no message body in the logs');
    assert.equal(await consumers(), 1, 'the listener still consumes');
    await provesAlive('after-poison');
    assert.equal(await broker.depth(dlq), 0);
  });

  it('acks a well-formed notification no trigger wants (unknown project, unknown event type): no call, no dead letter', async () => {
    const stranger = randomUUID();
    const unknownType = randomUUID();
    await publish(swiftPut('alive/stranger.txt', stranger, (m) => {
      m.payload.target.id = 'ffffffffffffffffffffffffffffffff';
      m.payload.initiator.project_id = 'ffffffffffffffffffffffffffffffff';
    }));
    await publish(Buffer.from(JSON.stringify({
      message_id: unknownType, event_type: 'acme.widget.frobbed', publisher_id: 'acme', priority: 'INFO',
      payload: { project_id: P, widget: 'w1' }, timestamp: '2026-11-28 17:42:01.405246',
    })));
    for (const id of [stranger, unknownType]) {
      const [o] = await waitFor(`the listener to handle ${id}`, () => (handled(id).length === 1 ? handled(id) : undefined));
      assert.deepEqual(o.outcome, { ok: true, queued: 0 });
    }
    await provesAlive('after-unmatched');
    assert.equal(await broker.depth(dlq), 0);
    assert.equal(Number((await world.t.db('calls').whereNot({ project_id: P }).count({ n: '*' }))[0].n), 0);
  });

  it('runs a redelivered notification (same oslo message_id) once', async () => {
    const id = randomUUID();
    const msg = swiftPut('dup/once.txt', id);
    await publish(msg);
    await publish(msg); // back to back: both may be in flight at once
    await waitFor('both deliveries handled', () => handled(id).length === 2);
    const done = await waitFor('the call to run', async () => {
      const calls = await callsOf('/dup');
      return calls.length === 1 && calls[0].status === 'success' ? calls : undefined;
    });
    await publish(msg); // and once more after it ran
    await waitFor('the late redelivery handled', () => handled(id).length === 3);
    assert.deepEqual(handled(id).map((o) => o.outcome).filter((o) => o.ok && o.queued === 1).length, 1);
    const calls = await callsOf('/dup');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].id, done[0].id);
    assert.equal(calls[0].status, 'success');
    assert.equal(await broker.depth(dlq), 0);
  });

  it('turns a burst of 1,000 notifications into exactly 1,000 calls, none lost', async function () {
    const ids = Array.from({ length: 1000 }, (_, i) => `burst-${i}-${randomUUID()}`);
    await world.publishAll(ids.map((id, i) => swiftPut(`burst/${i}.txt`, id)));
    await waitFor('1,000 burst calls to finish', async () => {
      const n = await world.t.db('calls').where({ project_id: P, route: '/burst', status: 'success' }).count({ n: '*' });
      return Number(n[0].n) === 1000;
    }, 45_000, 200);
    const calls = await callsOf('/burst');
    assert.equal(calls.length, 1000, 'exactly one call per notification');
    const keys = new Set(calls.map((c) => c.dedupe_key.split(':')[1]));
    assert.deepEqual([...keys].sort(), [...ids].sort());
    const objects = new Set(calls.map((c) => JSON.parse(Buffer.from(c.request.body, 'base64').toString()).data.object));
    assert.equal(objects.size, 1000);
    for (const id of ids) assert.deepEqual(handled(id).map((o) => o.outcome), [{ ok: true, queued: 1 }], id);
    const page = await http.get(`${base}/calls?route=/burst&status=success&limit=1000`);
    assert.equal(page.data.calls.length, 1000);
    assert.equal(page.data.next, null);
    assert.equal(await broker.depth(queue), 0);
    assert.equal(await broker.depth(dlq), 0);
    assert.equal(await consumers(), 1, 'the listener still consumes');
  });
});
