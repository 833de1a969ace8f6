import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../../helpers/wait';
import { fixtureInner, ListenerWorld, P, swiftPut } from './listener-world';

// Issue 18: notifications that fail for a lasting reason were requeued about once a second for
// ever, and enough of them held every prefetch slot so that valid events never ran. Each must be
// dead-lettered on its first failure, and a valid event sent after them must still run.

/** A v2 PUT whose payload carries `depth` nested arrays (built as text: JSON.stringify would overflow). */
function deeplyNested(messageId: string, depth: number): Buffer {
  const inner = JSON.stringify({ ...fixtureInner('put-object'), message_id: messageId })
    .replace('"payload":{', `"payload":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`);
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': inner }));
}

describe('listener: hostile notifications are dead-lettered, never wedge it (real RabbitMQ and PostgreSQL)', function () {
  this.timeout(90_000);
  const world = new ListenerWorld();

  before(() => world.start());
  after(() => world.stop());

  it('dead-letters a NUL in target.id or message_id, an over-long message_id and 100,000 levels of nesting, and keeps running events', async () => {
    const hostile: Array<[string, (id: string) => Buffer]> = [
      ['nul-target', (id) => swiftPut('alive/nul.txt', id, (m) => { m.payload.target.id = `${P}\u0000x`; })],
      ['long-id', (id) => swiftPut('alive/long.txt', `${id}-${'x'.repeat(600)}`)],
      ['nul-id', (id) => swiftPut('alive/nulid.txt', `${id}\u0000`)],
      ['deep', (id) => deeplyNested(id, 100_000)],
    ];
    // More copies than the listener's 16 prefetch slots: requeued ones would hold them all.
    const sent: string[] = [];
    for (let copy = 0; copy < 6; copy++) {
      for (const [label, make] of hostile) {
        const tag = `${label}-${copy}`;
        await world.publish(make(randomUUID()), { messageId: tag });
        sent.push(tag);
      }
    }
    await world.provesAlive('after-hostile', 30_000);
    await waitFor('every hostile message in the DLQ', async () => (await world.broker.depth(world.dlq)) === sent.length, 30_000);
    const dead = await world.deadLetters();
    assert.deepEqual([...dead.keys()].sort(), [...sent].sort());
    for (const [tag, death] of dead) {
      assert.equal(death.reason, 'rejected', tag);
      assert.equal(death.count, 1, `${tag}: dead-lettered at once`);
    }
    assert.equal(await world.consumers(), 1, 'the listener still consumes');
  });

  it('dead-letters at once a message whose handling fails for a lasting reason; retries one that meets a database outage', async () => {
    const events = world.fresco.services.events;
    const handle = events.handleNotification.bind(events);
    let outages = 0;
    events.handleNotification = async (content, props) => {
      if (props.messageId === 'bug') throw new TypeError('Cannot read properties of undefined');
      if (props.messageId === 'db-down' && outages++ < 2) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return handle(content, props);
    };
    try {
      const retried = randomUUID();
      await world.publish(swiftPut('alive/bug.txt', randomUUID()), { messageId: 'bug' });
      await world.publish(swiftPut('alive/db-down.txt', retried), { messageId: 'db-down' });
      await waitFor('the bug in the DLQ', async () => (await world.broker.depth(world.dlq)) === 1, 20_000);
      await waitFor('the retried event to run', async () => (await world.t.db('calls').where({ project_id: P, route: '/alive' })
        .select('dedupe_key', 'status')).some((c) => c.dedupe_key.startsWith(`event:${retried}:`) && c.status === 'success'), 20_000);
      assert.equal(outages, 3, 'two failed attempts, then the one that ran');
      assert.deepEqual([...(await world.deadLetters()).keys()], ['bug']);
    } finally {
      events.handleNotification = handle;
    }
    await world.provesAlive('after-bug');
  });
});
