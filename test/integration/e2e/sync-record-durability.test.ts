import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import axios from 'axios';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { waitFor } from '../../helpers/wait';
import { buildImages, docker } from '../executor/fixtures';
import { BROKER_URL } from '../queue/broker';

// A sync call is answered before its record is written. `fresco api` (PostgreSQL, RabbitMQ) answers
// hot sync calls while the test holds the calls table locked, so that no record can reach the
// database, and is killed with SIGKILL right after the answers: the records are not in the
// database, and arrive once the process (same engine id and state_path) starts again.

const run = promisify(execFile);

describe('processes: sync call records survive kill -9 of the process that answered them', function () {
  this.timeout(90_000);
  const P = 'syncdur';
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const vhost = `fresco-test-${tag}`;
  const engineId = `test-syncdur-${tag}`;
  const http = axios.create({ validateStatus: () => true, timeout: 30_000 });
  let t: TestDb;
  let stateDir: string;
  let configFile: string;
  let api: FrescoProcess | undefined;

  const startApi = () => spawnFresco('api', 'api', configFile, {
    FRESCO_DATABASE_CONNECTION: t.url, FRESCO_STATE_PATH: stateDir, FRESCO_BIND_PORT: '0', FRESCO_ENGINE_ENGINE_ID: engineId,
    FRESCO_TRANSPORT_URL: `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`,
  });

  before(async function () {
    this.timeout(120_000);
    buildImages();
    t = await createTestDb();
    await run('rabbitmqctl', ['add_vhost', vhost], { timeout: 60_000 });
    await run('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { timeout: 60_000 });
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-sd-'));
    configFile = path.join(stateDir, 'fresco.conf');
    fs.writeFileSync(configFile, '[DEFAULT]\n');
  });

  after(async function () {
    this.timeout(60_000);
    await api?.stop();
    const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${engineId}`] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await run('rabbitmqctl', ['delete_vhost', vhost], { timeout: 60_000 }).catch(() => undefined);
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('writes the records of calls answered just before a SIGKILL when the process starts again', async () => {
    api = startApi();
    let base = `http://127.0.0.1:${await api.port()}`;
    await api.waitForLog('message queue connected');
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'sd' } })).status, 200);
    const route = await http.post(`${base}/v1/${P}/apps/sd/routes`, { route: { path: '/hot', image: 'fresco-test/hot-http:1', format: 'http' } });
    assert.equal(route.status, 200, JSON.stringify(route.data));
    const warm = await http.post(`${base}/v1/r/${P}/sd/hot`, 'warm', { headers: { 'Content-Type': 'text/plain' } });
    assert.equal(warm.status, 200, JSON.stringify(warm.data));
    assert.equal((await http.get(`${base}/v1/${P}/calls/${warm.data.call_id}`)).data.call.status, 'success');

    // Inserts wait behind this lock: nothing answered from now on can reach the database before the kill.
    const lock = await t.db.transaction();
    let ids: string[];
    try {
      await lock.raw('LOCK TABLE calls IN SHARE MODE');
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        http.post(`${base}/v1/r/${P}/sd/hot`, `n-${i}`, { headers: { 'Content-Type': 'text/plain' } })));
      for (const [i, a] of answers.entries()) assert.equal(a.data.result, `Hello n-${i}\n`, JSON.stringify(a.data));
      ids = answers.map((a) => a.data.call_id as string);
      await api.kill9();
      // The killed process's INSERT may still wait for the lock in its backend: end it unwritten.
      await t.db.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`);
    } finally {
      await lock.rollback();
    }
    assert.equal((await t.db('calls').whereIn('id', ids).count({ n: '*' }))[0].n, '0', 'the kill came before any write');

    api = startApi();
    const replayed = await api.waitForLog('wrote the call records an earlier run left in its journal');
    assert.equal(replayed.records, 20);
    base = `http://127.0.0.1:${await api.port()}`;
    const rows = await t.db('calls').whereIn('id', ids).select('id', 'status', 'result', 'trigger', 'kind');
    assert.equal(rows.length, 20);
    for (const r of rows) {
      const i = ids.indexOf(r.id);
      assert.deepEqual([r.status, r.trigger, r.kind, Buffer.from(r.result).toString()], ['success', 'http', 'hot', `Hello n-${i}\n`]);
    }
    const shown = (await http.get(`${base}/v1/${P}/calls/${ids[0]}`)).data.call;
    assert.equal(shown.result, 'Hello n-0\n');
    await waitFor('the old journal to be gone', () => fs.readdirSync(path.join(stateDir, 'journal'))
      .every((f) => fs.statSync(path.join(stateDir, 'journal', f)).size === 0), 5000);
  });
});
