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

// Dead letters end to end: `fresco all` on real PostgreSQL, RabbitMQ (a vhost of this run) and
// Docker. A function that fails on both of its attempts lands in the dead letters; once the route's
// image is fixed, a redrive runs the original input through the queue again and succeeds.

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 });

describe('dead letters on real RabbitMQ and Docker: fail, fix the route, redrive', function () {
  this.timeout(180_000);
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const vhost = `fresco-test-dl-${tag}`;
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;

  const send = (method: string, url: string, body?: unknown) => fetch(`${base}${url}`, {
    method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
  });
  const json = async (method: string, url: string, body?: unknown) => {
    const res = await send(method, url, body);
    return { status: res.status, body: await res.json() };
  };
  const getCall = async (id: string) => (await json('GET', `/v1/demo/calls/${id}`)).body.call;

  before(async () => {
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-dl-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_TRANSPORT_URL: `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`,
      FRESCO_BIND_PORT: '0', FRESCO_BIND_HOST: '127.0.0.1', FRESCO_STATE_PATH: stateDir, FRESCO_ENGINE_ENGINE_ID: `test-dl-${tag}`,
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    assert.ok((await send('POST', '/v1/demo/apps', { app: { name: 'dl' } })).status < 300);
    const r = await send('POST', '/v1/demo/apps/dl/routes', { route: {
      path: '/job', image: ownImage('fail'), type: 'async', retries: 1, retry_delay: 0.2, retry_on: ['error'] } });
    assert.ok(r.status < 300, await r.text());
  });
  after(async () => {
    await fresco?.stop();
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
  });

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
