import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/timing';
import { isPoison, PoisonMessageError, QueueUnavailableError } from '../../../src/queue/errors';
import { parseTransportUrl, redactUrl } from '../../../src/queue/transport-url';

describe('queue: transport_url parsing', () => {
  it('turns an oslo rabbit:// URL into amqplib options, default vhost and heartbeat', () => {
    const [b] = parseTransportUrl('rabbit://stackrabbit:s3cr%40t@10.0.0.5:5672/', 30);
    assert.deepEqual(b.connect, {
      protocol: 'amqp', hostname: '10.0.0.5', port: 5672, username: 'stackrabbit', password: 's3cr@t', vhost: '/', heartbeat: 30,
    });
    assert.equal(b.display, 'amqp://stackrabbit:***@10.0.0.5:5672/');
  });

  it('accepts several hosts, a named vhost, ssl=1 and amqp://', () => {
    const bs = parseTransportUrl('rabbit://u:p@h1:5672,u2:p2@h2/openstack?ssl=1', 10);
    assert.equal(bs.length, 2);
    assert.equal(bs[0].connect.protocol, 'amqps');
    assert.equal(bs[1].connect.port, 5671);
    assert.equal(bs[1].connect.username, 'u2');
    assert.equal(bs[1].connect.vhost, 'openstack');
    const [a] = parseTransportUrl('amqp://guest:guest@127.0.0.1:5672', 30);
    assert.equal(a.connect.vhost, '/');
  });

  it('refuses other schemes and garbage without echoing the password', () => {
    assert.throws(() => parseTransportUrl('kafka://u:pw@h:1/', 30), /scheme kafka: is not supported/);
    assert.throws(() => parseTransportUrl('not a url', 30), /transport_url must look like/);
    assert.throws(() => parseTransportUrl('rabbit://u:topsecret@h:notaport/', 30), (e: Error) => !e.message.includes('topsecret'));
  });

  it('redacts passwords of every host', () => {
    assert.equal(redactUrl('rabbit://u:pw@h1:5672,v:pw2@h2/x'), 'rabbit://u:***@h1:5672,v:***@h2/x');
  });
});

describe('queue: backoff and errors', () => {
  it('grows exponentially, stays under the cap with jitter', () => {
    for (let i = 0; i < 200; i++) {
      const d0 = backoffDelay(0, { initialMs: 100, maxMs: 1000, jitter: 0.2 });
      assert.ok(d0 >= 80 && d0 <= 120, `first delay ${d0}`);
      assert.ok(backoffDelay(50, { initialMs: 100, maxMs: 1000, jitter: 0.2 }) <= 1000);
    }
    assert.ok(backoffDelay(3, { initialMs: 100, maxMs: 100_000, jitter: 0 }) === 800);
  });

  it('marks poison by class or by a poison flag; unavailable is a 503 FrescoError', () => {
    assert.ok(isPoison(new PoisonMessageError('bad')));
    assert.ok(isPoison(Object.assign(new Error('x'), { poison: true })));
    assert.ok(!isPoison(new Error('transient')));
    const e = new QueueUnavailableError('down');
    assert.equal(e.code, 'FRESCO_QUEUE_UNAVAILABLE');
    assert.equal(e.status, 503);
  });
});
