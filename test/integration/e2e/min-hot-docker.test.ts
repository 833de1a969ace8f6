import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { waitFor } from '../../helpers/wait';
import { buildImages, docker } from '../executor/fixtures';

// A route's min_hot (docs/api.md; Qinling's scale up): `fresco all` with real Docker keeps that
// many hot containers of the route without any call, follows a change up and down, and starts
// them again when the process starts again (same engine id), still before any call.

describe('min_hot: kept hot containers, across a restart', function () {
  this.timeout(120_000);
  const P = 'minhot';
  const engineId = `test-minhot-${process.pid}-${randomBytes(3).toString('hex')}`;
  const http = axios.create({ validateStatus: () => true, timeout: 30_000 });
  let t: TestDb;
  let stateDir: string;
  let configFile: string;
  let fresco: FrescoProcess | undefined;

  const start = () => spawnFresco('all', 'all', configFile, {
    FRESCO_DATABASE_CONNECTION: t.url, FRESCO_STATE_PATH: stateDir, FRESCO_BIND_PORT: '0', FRESCO_ENGINE_ENGINE_ID: engineId,
  });
  const kept = async () => (await docker.listContainers({ filters: { label: [`io.fresco.engine=${engineId}`, 'io.fresco.route=/hot'] } })).length;

  before(async function () {
    this.timeout(120_000);
    buildImages();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-mh-'));
    configFile = path.join(stateDir, 'fresco.conf');
    fs.writeFileSync(configFile, '[DEFAULT]\n');
  });

  after(async function () {
    this.timeout(60_000);
    await fresco?.stop();
    const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${engineId}`] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts min_hot containers without a call, follows changes, and starts them again after a restart', async () => {
    fresco = start();
    let base = `http://127.0.0.1:${await fresco.port()}`;
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'mh' } })).status, 200);
    const route = await http.post(`${base}/v1/${P}/apps/mh/routes`,
      { route: { path: '/hot', image: 'fresco-test/hot-http:1', format: 'http', min_hot: 2, idle_timeout: 1 } });
    assert.equal(route.status, 200, JSON.stringify(route.data));
    assert.equal(route.data.route.min_hot, 2);
    await waitFor('two kept containers, no call made', async () => (await kept()) === 2, 60_000, 200);
    // idle_timeout is 1 s: kept containers outlive it; a call still runs on them.
    const call = await http.post(`${base}/v1/r/${P}/mh/hot`, 'kept', { headers: { 'Content-Type': 'text/plain' } });
    assert.equal(call.data.result, 'Hello kept\n', JSON.stringify(call.data));
    const down = await http.put(`${base}/v1/${P}/apps/mh/routes/hot`, { min_hot: 1 });
    assert.equal(down.data.route.min_hot, 1);
    await waitFor('one kept container', async () => (await kept()) === 1, 60_000, 200);
    assert.equal((await http.put(`${base}/v1/${P}/apps/mh/routes/hot`, { min_hot: 9 })).status, 400, 'at most [engine] max_min_hot');

    await fresco.stop();
    await waitFor('the stopped process\'s containers to go', async () => (await kept()) === 0, 30_000, 200);
    fresco = start();
    base = `http://127.0.0.1:${await fresco.port()}`;
    await waitFor('the kept container again, before any call', async () => (await kept()) === 1, 60_000, 200);
    const calls = await http.get(`${base}/v1/${P}/calls`);
    assert.equal(calls.data.calls.length, 1, 'only the one call made before the restart');
  });
});
