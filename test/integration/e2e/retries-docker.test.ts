import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { start, type Started } from '../../../src/main';
import { createTestDb, TestDb } from '../../helpers/db';
import { testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';
import { ownImage } from '../executor/fixtures';
import { BROKER_URL } from '../queue/broker';

// Retries end to end: `fresco all` on real PostgreSQL, RabbitMQ (a vhost of this run, so no other
// engine takes our calls) and Docker. The retry wait is in the database; the sweeper publishes
// the call to RabbitMQ again when it is due.

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 });

describe('retries on real RabbitMQ and Docker: FRESCO_ATTEMPT, one container per attempt', function () {
  this.timeout(120_000);
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const vhost = `fresco-test-retry-${tag}`;
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;

  const post = (url: string, body: unknown) => fetch(`${base}${url}`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
  });
  const getCall = async (id: string) => (await (await fetch(`${base}/v1/demo/calls/${id}`)).json()).call;

  before(async () => {
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-retry-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_TRANSPORT_URL: `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`,
      FRESCO_BIND_PORT: '0', FRESCO_BIND_HOST: '127.0.0.1', FRESCO_STATE_PATH: stateDir, FRESCO_ENGINE_ENGINE_ID: `test-retry-${tag}`,
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    assert.ok((await post('/v1/demo/apps', { app: { name: 'rt' } })).status < 300);
    for (const route of [
      { path: '/fail', image: ownImage('fail'), type: 'async', retries: 2, retry_delay: 0.2, retry_backoff: 2, retry_on: ['error'] },
      { path: '/env', image: ownImage('env'), type: 'async', retries: 1 },
    ]) {
      const r = await post('/v1/demo/apps/rt/routes', { route });
      assert.ok(r.status < 300, await r.text());
    }
  });
  after(async () => {
    await fresco?.stop();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
  });

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
    const log1 = await (await fetch(`${base}/v1/demo/calls/${id}/log?attempt=1`)).text();
    assert.match(log1, /about to fail/);
  });
});
