import assert from 'node:assert/strict';
import axios from 'axios';
import { KnexEngineStore } from '../../../src/store/engine-store';
import { OscWorld } from '../osc/osc-world';

// Operators see the cluster's engines: GET /v1/engines and `openstack fn engine list`, for
// admins only (fresco:engine:list), against the real Keystone, PostgreSQL and Fresco process.
// The membership rows are written through the engines' own store; one stopped renewing long ago.

describe('GET /v1/engines and openstack fn engine list', function () {
  this.timeout(180_000);
  let world: OscWorld;

  before(async function () {
    this.timeout(600_000);
    world = await OscWorld.start('engines');
    const store = new KnexEngineStore(world.db.db);
    const base = { host: 'node-1', state: 'up' as const, memoryBudgetMb: 4096, callSlots: 256, startedAt: new Date() };
    await store.renew({
      ...base, id: 'engine-a', url: 'http://10.0.0.5:8091', runningCalls: 3, memoryUsedMb: 384, hotContainers: 2, hotRoutes: ['p/a/x', 'p/a/y'],
    });
    await store.renew({ ...base, id: 'engine-b', host: 'node-2', url: 'http://10.0.0.6:8091', runningCalls: 0, memoryUsedMb: 0, hotContainers: 0, hotRoutes: [] });
    await world.db.db('engines').where({ id: 'engine-b' }).update({ heartbeat_at: world.db.db.raw("now() - interval '1 hour'") });
  });

  after(async function () {
    this.timeout(60_000);
    await world?.stop();
  });

  it('lists each engine with its state, load and last heartbeat for an admin', async () => {
    const rows = await world.json('ADMIN', ['fn', 'engine', 'list']);
    assert.deepEqual(rows.map((r: Record<string, unknown>) => [r.ID, r.Host, r.State, r['Running Calls'], r['Hot Containers'],
      r['Memory Used Mb'], r['Memory Budget Mb']]), [
      ['engine-a', 'node-1', 'up', 3, 2, 384, 4096],
      ['engine-b', 'node-2', 'down', 0, 0, 0, 4096],
    ]);
    for (const r of rows) assert.ok(!Number.isNaN(Date.parse(r['Last Heartbeat'])), JSON.stringify(r));
    const long = await world.json('ADMIN', ['fn', 'engine', 'list', '--long']);
    assert.equal(long[0].Url, 'http://10.0.0.5:8091');
    assert.equal(long[0]['Hot Routes'], 2);
  });

  it('refuses a project member (403 FRESCO_POLICY_FORBIDDEN) and a caller without a token (401)', async () => {
    const r = await world.osc('DEMO', ['fn', 'engine', 'list']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fresco:engine:list/);
    const anon = await axios.get(`${world.url}/v1/engines`, { validateStatus: () => true });
    assert.equal(anon.status, 401);
    assert.equal(anon.data.error.code, 'FRESCO_AUTH_REQUIRED');
  });
});
