import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DockerExecutor } from '../../../src/executor';
import { buildServices, Services } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { FakeDocker, startFakeDocker } from '../../helpers/fake-docker';
import { waitFor } from '../../helpers/wait';
import { call } from './fixtures';

// A hot route's pool, its containers and its idle sweeper live only as long as the route (and
// only while the pool has containers): over thousands of routes created and deleted, nothing
// piles up. Routes go through the real services; Docker is a fake engine (test/helpers/fake-docker)
// so that a thousand hot containers take seconds.

/** Intervals the executor (src/executor/) created and did not clear since install(), by patching the globals. */
function intervalCounter() {
  const live = new Set<unknown>();
  const fromExecutor = () => /src[/\\]executor[/\\]/.test(new Error().stack ?? '');
  const [set, clear] = [globalThis.setInterval, globalThis.clearInterval];
  return {
    install() {
      globalThis.setInterval = ((...args: Parameters<typeof set>) => {
        const t = set(...args);
        if (fromExecutor()) live.add(t);
        return t;
      }) as typeof set;
      globalThis.clearInterval = ((t?: Parameters<typeof clear>[0]) => {
        live.delete(t);
        clear(t);
      }) as typeof clear;
    },
    uninstall() {
      globalThis.setInterval = set;
      globalThis.clearInterval = clear;
    },
    get size() { return live.size; },
  };
}

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = () => { gc(); return process.memoryUsage().heapUsed / 1024 / 1024; };

describe('executor: hot pools live only as long as their routes', function () {
  this.timeout(180_000);
  const intervals = intervalCounter();
  let fake: FakeDocker;
  let db: TestDb;
  let ex: DockerExecutor;
  let services: Services;
  const project = 'p-lifecycle';

  before(async () => {
    intervals.install();
    fake = await startFakeDocker();
    db = await createTestDb();
    ex = new DockerExecutor({ engineId: `test-${randomUUID().slice(0, 8)}`, dockerHost: fake.host, prestartPerRoute: 0 });
    await ex.start();
    services = buildServices(db.db, testConfig(), { executor: ex });
    await services.apps.create(project, { app: { name: 'many' } });
  });
  after(async () => {
    intervals.uninstall();
    await ex?.stop();
    await services?.callStore.close();
    await fake?.stop();
    await db?.drop();
  });

  /** Runs one call of the stored route (as a run of the API would). */
  async function runOnce(path: string, app = 'many') {
    const { runnable } = await services.resolver.private(project, app, path);
    const res = await ex.run(call(runnable, { requestPath: path }));
    assert.equal(res.status, 'success', res.error);
    assert.equal(res.result.toString(), 'ok');
  }

  it('creates, calls and deletes 1,000 hot routes and keeps no pool, timer nor container of them', async () => {
    const heapBefore = heapMiB();
    const intervalsBefore = intervals.size;
    for (let i = 0; i < 1000; i++) {
      const path = `/r${i}`;
      await services.routes.create(project, 'many', { route: { path, image: 'fake/hot:1', format: 'http' } });
      await runOnce(path);
      await services.routes.delete(project, 'many', path);
    }
    await waitFor('the deleted routes\' containers removed', () => fake.live === 0, 10_000).catch(() => undefined);
    const figures = {
      containersCreated: fake.created, containersLeft: fake.live, hotPools: ex.stats().hotPools,
      intervals: intervals.size - intervalsBefore, heapGrowthMiB: Number((heapMiB() - heapBefore).toFixed(1)),
    };
    console.log(`      after 1,000 hot routes created, called and deleted: ${JSON.stringify(figures)}`);
    assert.equal(figures.containersCreated, 1000);
    assert.deepEqual({ left: figures.containersLeft, pools: figures.hotPools, intervals: figures.intervals },
      { left: 0, pools: 0, intervals: 0 });
  });

  it('retires a route\'s pool when the route or its app changes', async () => {
    await services.apps.create(project, { app: { name: 'changing' } });
    await services.routes.create(project, 'changing', { route: { path: '/a', image: 'fake/hot:1', format: 'http' } });
    await services.routes.create(project, 'changing', { route: { path: '/b', image: 'fake/hot:1', format: 'http' } });
    await runOnce('/a', 'changing');
    await runOnce('/b', 'changing');
    assert.deepEqual([ex.stats().hotPools, fake.live], [2, 2]);
    await services.routes.update(project, 'changing', '/a', { route: { memory: 256 } });
    await waitFor('the changed route\'s container removed', () => fake.live === 1);
    assert.equal(ex.stats().hotPools, 1);
    await services.apps.update(project, 'changing', { app: { config: { A: '1' } } });
    await waitFor('the changed app\'s containers removed', () => fake.live === 0);
    assert.deepEqual([ex.stats().hotPools, intervals.size], [0, 0]);
  });

  it('forgets a pool, and its timer, once its containers idled out', async () => {
    await services.routes.create(project, 'many', { route: { path: '/idle', image: 'fake/hot:1', format: 'http', idle_timeout: 1 } });
    await runOnce('/idle');
    assert.equal(ex.stats().hotPools, 1);
    await waitFor('the idle container removed', () => fake.live === 0, 5000);
    assert.deepEqual([ex.stats().hotPools, intervals.size], [0, 0]);
  });
});
