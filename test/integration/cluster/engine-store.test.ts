import assert from 'node:assert/strict';
import { EngineDirectory } from '../../../src/cluster/engine-directory';
import { EngineMembership } from '../../../src/cluster/membership';
import type { EngineRecord } from '../../../src/cluster/types';
import { KnexEngineStore } from '../../../src/store/engine-store';
import { createPgliteDb, createTestDb } from '../../helpers/db';

// The membership rows, on real PostgreSQL and on the embedded PGlite: a renewal inserts or
// updates the row stamped with the database's clock; live() keeps the rows renewed within the
// timeout; remove() deletes one row.

const engine = (id: string, over: Partial<EngineRecord> = {}): EngineRecord => ({
  id, host: 'h1', url: `http://10.0.0.1:8091/${id}`, state: 'up', memoryBudgetMb: 2048, callSlots: 64, runningCalls: 0,
  memoryUsedMb: 0, hotContainers: 0, hotRoutes: [], startedAt: new Date('2026-12-04T00:00:00Z'), ...over,
});

for (const kind of ['PostgreSQL', 'PGlite'] as const) {
  describe(`engine store (${kind})`, function () {
    this.timeout(60_000);
    let db: Awaited<ReturnType<typeof createTestDb>>['db'];
    let drop: () => Promise<void>;
    let store: KnexEngineStore;

    before(async () => {
      const t = kind === 'PostgreSQL' ? await createTestDb() : await createPgliteDb();
      db = t.db;
      drop = t.drop;
      store = new KnexEngineStore(db);
    });
    after(() => drop());

    it('renews (insert then update), lists live rows only, removes', async () => {
      await store.renew(engine('a'));
      await store.renew(engine('b', { state: 'draining' }));
      await store.renew(engine('a', { runningCalls: 3, memoryUsedMb: 256, hotContainers: 2, hotRoutes: ['p/app/x', 'p/app/y'] }));
      const rows = await store.list();
      assert.deepEqual(rows.map((r) => [r.id, r.state, r.runningCalls, r.hotRoutes]), [
        ['a', 'up', 3, ['p/app/x', 'p/app/y']], ['b', 'draining', 0, []],
      ]);
      assert.ok(rows[0].heartbeatAt instanceof Date && rows[0].startedAt.toISOString() === '2026-12-04T00:00:00.000Z');
      await db('engines').where({ id: 'b' }).update({ heartbeat_at: db.raw("now() - interval '30 seconds'") });
      assert.deepEqual((await store.live(10_000)).map((r) => r.id), ['a']);
      assert.deepEqual((await store.live(60_000)).map((r) => r.id), ['a', 'b']);
      await store.remove('a');
      await store.remove('nobody');
      assert.deepEqual((await store.list()).map((r) => r.id), ['b']);
      await store.remove('b');
    });

    const age = (id: string, seconds: number) => db('engines').where({ id }).update({ heartbeat_at: db.raw(`now() - interval '${seconds} seconds'`) });

    it('prune deletes only the rows not renewed for the given time', async () => {
      for (const id of ['dead-long', 'dead-lately', 'alive']) await store.renew(engine(id));
      await age('dead-long', 2 * 3600);
      await age('dead-lately', 30);
      assert.deepEqual(await store.prune(3600_000), ['dead-long']);
      assert.deepEqual((await store.list()).map((r) => r.id), ['alive', 'dead-lately']);
      assert.deepEqual(await store.prune(3600_000), []);
      for (const id of ['dead-lately', 'alive']) await store.remove(id);
    });

    it('a renewing engine and an API\'s engine directory forget long-dead engines', async () => {
      await store.renew(engine('killed-1'));
      await age('killed-1', 2 * 3600);
      const m = new EngineMembership(store, { id: 'renewing', host: 'h', url: 'http://127.0.0.1:1', memoryBudgetMb: 1, callSlots: 1, startedAt: new Date() },
        () => ({ runningCalls: 0, memoryUsedMb: 0, hotContainers: 0, hotRoutes: [] }), 60_000, 3600_000);
      await m.start();
      assert.deepEqual((await store.list()).map((r) => r.id), ['renewing']);
      await m.leave();
      await store.renew(engine('killed-2'));
      await age('killed-2', 2 * 3600);
      const d = new EngineDirectory(store, { timeoutMs: 10_000, refreshMs: 60_000, forgetAfterMs: 3600_000 });
      await d.start();
      d.stop();
      assert.deepEqual(await store.list(), []);
    });
  });
}
