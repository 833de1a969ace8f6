import assert from 'node:assert/strict';
import { AllWorld } from '../../helpers/all-world';
import { waitFor } from '../../helpers/wait';
import { ownImage } from '../executor/fixtures';

// Dead letters end to end: `fresco all` on real PostgreSQL, RabbitMQ (a vhost of this run) and
// Docker. A function that fails on both of its attempts lands in the dead letters; once the route's
// image is fixed, a redrive runs the original input through the queue again and succeeds.

describe('dead letters on real RabbitMQ and Docker: fail, fix the route, redrive', function () {
  this.timeout(180_000);
  const w = new AllWorld({ name: 'dl', rabbitmq: true });
  const send = (method: string, url: string, body?: unknown) => w.send(method, url, body);
  const json = (method: string, url: string, body?: unknown) => w.json(method, url, body);
  const getCall = (id: string) => w.getCall(id);

  before(async () => {
    await w.start();
    await w.createRoutes('dl', [{ path: '/job', image: ownImage('fail'), type: 'async', retries: 1, retry_delay: 0.2, retry_on: ['error'] }]);
  });
  after(() => w.stop());

  it('keeps the exhausted call as a dead letter, and a redrive after the fix succeeds linked to it', async () => {
    const id = (await json('POST', '/v1/r/demo/dl/job', 'order 42')).body.call_id;
    await waitFor('both attempts to fail', async () => (await getCall(id)).status === 'error', 60_000, 100);
    assert.equal((await getCall(id)).attempts, 2);
    const list = await json('GET', '/v1/demo/deadletters?route=/job');
    assert.equal(list.status, 200);
    assert.equal(list.body.deadletters.length, 1);
    const d = list.body.deadletters[0];
    assert.deepEqual([d.call_id, d.reason, d.error_code, d.attempts], [id, 'error', 'FRESCO_CALL_FAILED', 2]);

    // The fix: the route now runs an image that prints its environment and echoes its input.
    assert.equal((await send('PUT', '/v1/demo/apps/dl/routes/job', { route: { image: ownImage('env') } })).status, 200);
    const redrive = await json('POST', `/v1/demo/deadletters/${d.id}/redrive`);
    assert.equal(redrive.status, 202, JSON.stringify(redrive.body));
    const newId = redrive.body.call_id;
    await waitFor('the redriven call to succeed', async () => (await getCall(newId)).status === 'success', 60_000, 100);
    const call = await getCall(newId);
    assert.equal(call.redrive_of, d.id);
    assert.match(call.result, /---\norder 42$/, 'the original input');
    assert.match(call.result, /^FRESCO_ATTEMPT=1$/m);
    const shown = (await json('GET', `/v1/demo/deadletters/${d.id}`)).body.deadletter;
    assert.equal(shown.redrive_call_id, newId);
    assert.ok(shown.redriven_at);
    assert.equal((await json('GET', '/v1/demo/deadletters?redriven=false')).body.deadletters.length, 0, 'nothing failed again');
  });
});
