import assert from 'node:assert/strict';
import type { Db } from '../../../src/store/db';
import { KnexAppStore } from '../../../src/store/app-store';
import { KnexRouteStore } from '../../../src/store/route-store';
import type { NewRoute } from '../../../src/domain/models';

// One store suite, run on real PostgreSQL and on the embedded PGlite.

const route = (over: Partial<NewRoute> = {}): NewRoute => ({
  projectId: 'p1', appName: 'app', path: '/hello', image: 'hello:1', type: 'sync', format: 'default', memory: 128,
  timeout: 30, idleTimeout: 30, maxConcurrency: 1, headers: {}, config: {}, isPublic: false, ...over,
});

/** Registers the store tests against the database `open` gives. */
export function storeSuite(name: string, open: () => Promise<{ db: Db; drop(): Promise<void> }>): void {
  describe(`stores on ${name}`, () => {
    let handle: { db: Db; drop(): Promise<void> };
    let apps: KnexAppStore;
    let routes: KnexRouteStore;
    before(async () => {
      handle = await open();
      apps = new KnexAppStore(handle.db);
      routes = new KnexRouteStore(handle.db);
    });
    after(() => handle.drop());
    beforeEach(async () => {
      await handle.db('routes').delete();
      await handle.db('apps').delete();
    });

    it('keeps app names unique per project, not across projects', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: { A: '1' } });
      await assert.rejects(apps.create({ projectId: 'p1', name: 'app', description: '', config: {} }),
        { code: 'FRESCO_APP_EXISTS', status: 409 });
      await apps.create({ projectId: 'p2', name: 'app', description: '', config: {} });
      assert.deepEqual((await apps.list('p1')).map((a) => [a.name, a.config]), [['app', { A: '1' }]]);
    });

    it('refuses to delete an app that still has routes', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await routes.create(route());
      await assert.rejects(apps.delete('p1', 'app'), { code: 'FRESCO_APP_HAS_ROUTES', status: 409 });
      assert.ok(await apps.get('p1', 'app'));
      assert.equal(await routes.delete('p1', 'app', '/hello'), true);
      assert.equal(await apps.delete('p1', 'app'), true);
    });

    it('stores routes with slashes and finds public ones by URL only', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await routes.create(route({ path: '/img/resize', isPublic: true, headers: { 'X-A': ['1'] } }));
      const got = await routes.get('p1', 'app', '/img/resize');
      assert.deepEqual(got?.headers, { 'X-A': ['1'] });
      assert.equal((await routes.getPublic('app', '/img/resize'))?.projectId, 'p1');
      await routes.update('p1', 'app', '/img/resize', { isPublic: false });
      assert.equal(await routes.getPublic('app', '/img/resize'), undefined);
    });

    it('lets only one project claim a public URL', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await apps.create({ projectId: 'p2', name: 'app', description: '', config: {} });
      await routes.create(route({ isPublic: true }));
      await routes.create(route({ projectId: 'p2' }));
      await assert.rejects(routes.update('p2', 'app', '/hello', { isPublic: true }),
        { code: 'FRESCO_ROUTE_PUBLIC_URL_TAKEN', status: 409 });
      await assert.rejects(routes.create(route()), { code: 'FRESCO_ROUTE_EXISTS' });
    });
  });
}
