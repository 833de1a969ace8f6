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

// Deleting a route version (docs/api.md, "Versions and aliases") removes its hot container at once,
// long before its idle_timeout, while the route's own container stays and keeps serving: `fresco all`
// with real Docker.

describe('deleting a route version retires its hot containers (Docker)', function () {
  this.timeout(120_000);
  const P = 'vretire';
  const engineId = `test-vretire-${process.pid}-${randomBytes(3).toString('hex')}`;
  const http = axios.create({ validateStatus: () => true, timeout: 30_000 });
  let t: TestDb;
  let stateDir: string;
  let fresco: FrescoProcess | undefined;

  const containers = async () => (await docker.listContainers({ filters: { label: [`io.fresco.engine=${engineId}`, 'io.fresco.route=/hot'] } }))
    .map((c) => c.Id);

  before(async function () {
    this.timeout(120_000);
    buildImages();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-vr-'));
    const configFile = path.join(stateDir, 'fresco.conf');
    fs.writeFileSync(configFile, '[DEFAULT]\n');
    fresco = spawnFresco('all', 'all', configFile, {
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_STATE_PATH: stateDir, FRESCO_BIND_PORT: '0', FRESCO_ENGINE_ENGINE_ID: engineId,
    });
  });

  after(async function () {
    this.timeout(60_000);
    await fresco?.stop();
    const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${engineId}`] } });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('removes the deleted version\'s container at once; the route\'s own stays and serves', async () => {
    const base = `http://127.0.0.1:${await fresco!.port()}`;
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'vr' } })).status, 200);
    const route = await http.post(`${base}/v1/${P}/apps/vr/routes`,
      { route: { path: '/hot', image: 'fresco-test/hot-http:1', format: 'http', idle_timeout: 600 } });
    assert.equal(route.status, 200, JSON.stringify(route.data));
    assert.equal((await http.post(`${base}/v1/${P}/apps/vr/routes/hot/@versions`, {})).status, 201);
    const run = async (headers: Record<string, string> = {}) => {
      const res = await http.post(`${base}/v1/r/${P}/vr/hot`, 'v', { headers: { 'Content-Type': 'text/plain', ...headers } });
      assert.equal(res.status, 200, JSON.stringify(res.data));
    };
    await run();
    const own = await waitFor('the route\'s hot container', async () => {
      const ids = await containers();
      return ids.length === 1 && ids[0];
    }, 30_000, 200);
    await run({ 'Fresco-Version': '1' });
    const both = await containers();
    assert.equal(both.length, 2, 'version 1 has a container of its own');

    const deleted = await http.delete(`${base}/v1/${P}/apps/vr/routes/hot/@versions/1`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.data));
    await waitFor('the version\'s container to go (its idle_timeout is 10 minutes)', async () => {
      const ids = await containers();
      return ids.length === 1 && ids[0] === own;
    }, 30_000, 200);
    await run();
    assert.deepEqual(await containers(), [own], 'the route kept its container and runs on it');
  });
});
