import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DockerExecutor } from '../../../src/executor';
import { buildServices, Services } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { FakeDocker, startFakeDocker } from '../../helpers/fake-docker';
import { waitFor } from '../../helpers/wait';
import { call } from './fixtures';

// Published route versions (docs/api.md, "Versions and aliases") have hot containers of their own:
// versions called in turn keep theirs (no container of one serves another, none is retired for
// another's sake), and a deleted route takes all of them. Docker is the fake engine.

describe('executor: hot pools of route versions', function () {
  this.timeout(60_000);
  let fake: FakeDocker;
  let db: TestDb;
  let ex: DockerExecutor;
  let services: Services;
  const project = 'p-versions';

  before(async () => {
    fake = await startFakeDocker();
    db = await createTestDb();
    ex = new DockerExecutor({ engineId: `test-${randomUUID().slice(0, 8)}`, dockerHost: fake.host, prestartPerRoute: 0 });
    await ex.start();
    services = buildServices(db.db, testConfig(), { executor: ex });
    await services.apps.create(project, { app: { name: 'ver' } });
  });
  after(async () => {
    await ex?.stop();
    await services?.callStore.close();
    await fake?.stop();
    await db?.drop();
  });

  it('keeps one pool per version when versions are called in turn, and retires them all with the route', async () => {
    await services.routes.create(project, 'ver', { route: { path: '/h', image: 'fake/hot:1', format: 'http', config: { V: '1' } } });
    await services.versions.publish(project, 'ver', '/h', {});
    await services.routes.update(project, 'ver', '/h', { route: { config: { V: '2' } } });
    await services.versions.publish(project, 'ver', '/h', {});
    await services.routes.update(project, 'ver', '/h', { route: { config: { V: 'now' } } });
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const version of [1, 2, 0]) {
        if (round > 0) assert.equal(fake.created, 3, `round ${round}: no container started again`);
        const target = await services.resolver.version(await services.resolver.private(project, 'ver', '/h'), { version });
        seen.push(target.runnable.config.V);
        const res = await ex.run(call(target.runnable, { requestPath: '/h' }));
        assert.equal(res.status, 'success', res.error);
      }
    }
    assert.deepEqual(seen.slice(0, 3), ['1', '2', 'now']);
    assert.deepEqual([fake.created, ex.stats().hotPools], [3, 3], 'one container per version, none replaced');
    await services.routes.delete(project, 'ver', '/h');
    await waitFor('every version\'s container removed', () => fake.live === 0);
    assert.equal(ex.stats().hotPools, 0);
  });
});
