import assert from 'node:assert/strict';
import { AllWorld } from '../../helpers/all-world';
import { waitFor } from '../../helpers/wait';
import { ownImage } from '../executor/fixtures';

// Retries end to end: `fresco all` on real PostgreSQL, RabbitMQ (a vhost of this run, so no other
// engine takes our calls) and Docker. The retry wait is in the database; the sweeper publishes
// the call to RabbitMQ again when it is due.

describe('retries on real RabbitMQ and Docker: FRESCO_ATTEMPT, one container per attempt', function () {
  this.timeout(120_000);
  const w = new AllWorld({ name: 'retry', rabbitmq: true });
  const post = (url: string, body: unknown) => w.post(url, body);
  const getCall = (id: string) => w.getCall(id);

  before(async () => {
    await w.start();
    await w.createRoutes('rt', [
      { path: '/fail', image: ownImage('fail'), type: 'async', retries: 2, retry_delay: 0.2, retry_backoff: 2, retry_on: ['error'] },
      { path: '/env', image: ownImage('env'), type: 'async', retries: 1 },
    ]);
  });
  after(() => w.stop());

  it('tells the function its attempt number', async () => {
    const id = (await (await post('/v1/r/demo/rt/env', 'in')).json()).call_id;
    await waitFor('the env call to succeed', async () => (await getCall(id)).status === 'success', 60_000, 100);
    const call = await getCall(id);
    assert.match(call.result, /^FRESCO_ATTEMPT=1$/m);
    assert.match(call.result, /^HEADER_FRESCO_ATTEMPT=1$/m);
    assert.equal(call.attempt_history.length, 1, 'a route with retries keeps its attempts');
  });

  it('runs a failing function 1 + retries times, through the queue, and keeps each attempt', async () => {
    const id = (await (await post('/v1/r/demo/rt/fail', 'x')).json()).call_id;
    await waitFor('the call to end', async () => (await getCall(id)).status === 'error', 60_000, 100);
    const call = await getCall(id);
    assert.equal(call.attempts, 3);
    const h = call.attempt_history;
    assert.deepEqual(h.map((a: { attempt: number; status: string }) => [a.attempt, a.status]), [[1, 'error'], [2, 'error'], [3, 'error']]);
    for (let i = 1; i < h.length; i++) assert.ok(Date.parse(h[i].started_at) >= Date.parse(h[i - 1].retry_at));
    const log1 = await (await fetch(`${w.base}/v1/demo/calls/${id}/log?attempt=1`)).text();
    assert.match(log1, /about to fail/);
  });
});
