import assert from 'node:assert/strict';
import type { AppStore, Route, RouteStore } from '../../../src/domain/models';
import { RouteResolver } from '../../../src/services/route-resolver';

// The route cache: a change made through this process is seen by the next run, even when a lookup
// that read the route before the change was still on its way.

function route(timeout: number): Route {
  return {
    id: 'r1', appId: 'a1', projectId: 'p', appName: 'app', path: '/f', image: 'img:1', type: 'sync', format: 'default',
    memory: 128, timeout, idleTimeout: 30, maxConcurrency: 1, headers: {}, config: {}, isPublic: false,
    createdAt: new Date(0), updatedAt: new Date(timeout * 1000),
  } as Route;
}

describe('RouteResolver', () => {
  it('does not keep what a lookup read before invalidate(): the next lookup reads the route again', async () => {
    let stored = route(30);
    let release: (() => void) | undefined;
    let reads = 0;
    const routeStore = {
      get: async () => {
        reads++;
        const seen = stored;
        if (reads === 1) await new Promise<void>((r) => { release = r; }); // the first read is slow to come back
        return seen;
      },
    } as unknown as RouteStore;
    const appStore = { get: async () => undefined } as unknown as AppStore;
    const resolver = new RouteResolver({ routeStore, appStore, ttlMs: 60_000 });

    const slow = resolver.private('p', 'app', '/f'); // reads timeout 30, held
    await new Promise((r) => setImmediate(r));
    stored = route(5); // the route changes through this process…
    resolver.invalidate(); // …which invalidates while the slow lookup is out
    release!();
    assert.equal((await slow).route.timeout, 30, 'the slow lookup answers what it read');
    assert.equal((await resolver.private('p', 'app', '/f')).route.timeout, 5, 'the next lookup sees the change');
    assert.equal(reads, 2);
    assert.equal((await resolver.private('p', 'app', '/f')).route.timeout, 5);
    assert.equal(reads, 2, 'and that one is cached');
  });
});
