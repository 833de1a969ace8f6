import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../../helpers/openstack';
import { SeededRandom } from '../../helpers/seeded-random';
import { waitFor } from '../../helpers/wait';
import { ListenerWorld } from './listener-world';

// Fuzzing the notification listener on the real RabbitMQ: random bytes and mutations of the
// captured Swift/oslo/Aodh messages, published to its exchange. Whatever the listener makes of
// each (a call, an ack, a dead letter), it must settle every message, not crash and not stall: a
// valid event sent after the garbage still runs its function. Seeded and bounded:
// FRESCO_FUZZ_SEED=<n> replays a run, FRESCO_FUZZ_COUNT sets how many messages (default 300).

const SEED = Number(process.env.FRESCO_FUZZ_SEED ?? 20261203);
const COUNT = Number(process.env.FRESCO_FUZZ_COUNT ?? 300);

/** The AMQP bodies of every captured notification in test/fixtures. */
function capturedBodies(): string[] {
  const bodies: string[] = [];
  for (const name of fs.readdirSync(FIXTURES_DIR).filter((n) => /notification.*\.json$/.test(n)).sort()) {
    const f = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, name), 'utf8'));
    for (const d of f.notifications ?? [f]) if (typeof d.content === 'string') bodies.push(d.content);
  }
  return bodies;
}

const NASTY: unknown[] = [
  null, true, 0, -1, 1e308, 2 ** 53 + 1, '', '\u0000', 'a\u0000b', '\ud800', '../../etc/passwd', 'x'.repeat(70_000),
  [], {}, [[[[[[]]]]]], { 'oslo.version': '2.0' }, 'AUTH_', 'notifications.info', { payload: null },
];

/** A random JSON-ish value (leaves from NASTY, or small random structures). */
function randomValue(r: SeededRandom, depth = 0): unknown {
  const k = r.int(depth > 3 ? 3 : 6);
  if (k === 0) return r.pick(NASTY);
  if (k === 1) return r.bytes(r.int(40)).toString('latin1');
  if (k === 2) return r.int(2 ** 31) - 2 ** 30;
  if (k === 3) return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = r.int(4); i > 0; i--) o[r.pick(['payload', 'event_type', 'message_id', 'target', 'id', 'x'])] = randomValue(r, depth + 1);
  return o;
}

/** Sets a random existing path of `obj` (descending into objects and arrays) to a random value, or deletes it. */
function mutateTree(r: SeededRandom, obj: Record<string, unknown>): void {
  let node: any = obj;
  for (let step = 0; step < 6; step++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = r.pick(keys);
    const child = node[key];
    if (child && typeof child === 'object' && r.next() < 0.6) {
      node = child;
      continue;
    }
    if (r.next() < 0.2) delete node[key];
    else node[key] = randomValue(r);
    return;
  }
}

/** Mutates the inner oslo message of an enveloped body (or the bare message), keeping the envelope. */
function structuralMutation(r: SeededRandom, body: string): string {
  const outer = JSON.parse(body);
  const enveloped = typeof outer['oslo.message'] === 'string';
  const inner = enveloped ? JSON.parse(outer['oslo.message']) : outer;
  for (let n = 1 + r.int(3); n > 0; n--) mutateTree(r, inner);
  if (!enveloped) return JSON.stringify(inner);
  return JSON.stringify({ ...outer, 'oslo.message': JSON.stringify(inner) });
}

// Where a value reaches a database column or a key rather than an opaque body.
const IDENTITY_PATHS = [
  ['message_id'], ['_unique_id'], ['event_type'], ['publisher_id'], ['payload', 'target', 'id'],
  ['payload', 'initiator', 'project_id'], ['payload', 'project_id'], ['payload', 'target', 'metadata', 'path'],
];

/** Sets an identity field to a hostile string (NUL, too long, odd unicode) or nests the payload deep. */
function identityMutation(r: SeededRandom, body: string): string {
  const outer = JSON.parse(body);
  const enveloped = typeof outer['oslo.message'] === 'string';
  const inner = enveloped ? JSON.parse(outer['oslo.message']) : outer;
  const keys = r.pick(IDENTITY_PATHS);
  let node = inner;
  for (const k of keys.slice(0, -1)) node = node[k] && typeof node[k] === 'object' ? node[k] : (node[k] = {});
  const old = String(node[keys[keys.length - 1]] ?? '');
  node[keys[keys.length - 1]] = r.pick([`${old}\u0000`, `\u0000${old}`, old + 'x'.repeat(200 + r.int(2000)), `${old}\ud800`, '']);
  let text = JSON.stringify(inner);
  if (r.next() < 0.25) {
    const depth = r.pick([65, 1000, 100_000]);
    text = text.replace('"payload":{', `"payload":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`);
  }
  return enveloped ? JSON.stringify({ ...outer, 'oslo.message': text }) : text;
}

/** Flips, cuts, inserts or repeats bytes of `body`. */
function byteMutation(r: SeededRandom, body: Buffer): Buffer {
  const at = r.int(body.length + 1);
  switch (r.int(4)) {
    case 0: { const b = Buffer.from(body); if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << r.int(8); return b; }
    case 1: return body.subarray(0, at);
    case 2: return Buffer.concat([body.subarray(0, at), r.bytes(1 + r.int(8)), body.subarray(at)]);
    default: return Buffer.concat([body.subarray(0, at), body.subarray(r.int(at + 1), at), body.subarray(at)]);
  }
}

/** One fuzz input: its body and AMQP properties. */
function fuzzInput(r: SeededRandom, bodies: string[], i: number): { content: Buffer; props: Record<string, unknown> } {
  const base = r.pick(bodies);
  let content: Buffer;
  switch (r.int(6)) {
    case 0: content = r.bytes(r.int(300)); break;
    case 1: content = Buffer.from(JSON.stringify(randomValue(r))); break;
    case 2: content = byteMutation(r, Buffer.from(base)); break;
    case 3: content = Buffer.from(identityMutation(r, base)); break;
    default: content = Buffer.from(structuralMutation(r, base));
  }
  const props: Record<string, unknown> = { messageId: `fuzz-${SEED}-${i}` };
  if (r.next() < 0.1) props.contentEncoding = r.pick(['gzip', 'latin-1', 'UTF-8', '']);
  return { content, props };
}

describe(`listener fuzz: ${COUNT} random and mutated notifications, seed ${SEED} (real RabbitMQ)`, function () {
  this.timeout(180_000);
  const world = new ListenerWorld();

  before(() => world.start({ catchAll: true }));
  after(() => world.stop());

  it('settles every message without crashing or stalling; a valid event afterwards still runs', async () => {
    // Count deliveries per message: one that fails for a lasting reason must not come back.
    const deliveries = new Map<string, number>();
    const events = world.fresco.services.events;
    const handle = events.handleNotification.bind(events);
    events.handleNotification = (content, props) => {
      if (props.messageId) deliveries.set(props.messageId, (deliveries.get(props.messageId) ?? 0) + 1);
      return handle(content, props);
    };
    const r = new SeededRandom(SEED);
    const bodies = capturedBodies();
    assert.ok(bodies.length >= 10, 'the captured notifications are there');
    for (let i = 0; i < COUNT; i++) {
      const { content, props } = fuzzInput(r, bodies, i);
      await world.publish(content, props);
    }
    await world.provesAlive(`after-fuzz-${SEED}`, 60_000);
    await waitFor(`the queue to drain (seed ${SEED})`, async () => (await world.broker.depth(world.queue)) === 0, 30_000);
    assert.equal(await world.consumers(), 1, `the listener still consumes (seed ${SEED})`);
    await waitFor(`every fuzz message handled (seed ${SEED})`, () => deliveries.size >= COUNT, 30_000);
    const again = [...deliveries].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(again, [], `handled more than once (seed ${SEED})`);
    await world.provesAlive(`after-drain-${SEED}`);
    events.handleNotification = handle;
  });
});
