import assert from 'node:assert/strict';
import type { RunnableRoute } from '../../../src/domain/executor';
import { inScope, routeId, versionKey } from '../../../src/executor/run-deps';

// Hot pools are keyed by routeId and checked by versionKey: each published route version has a
// pool of its own, so containers of one version never serve another, and versions called in turn
// do not retire each other's containers.

const route = (over: Partial<RunnableRoute> = {}): RunnableRoute => ({
  projectId: 'p', appName: 'a', path: '/img/resize', image: 'img:1', format: 'http', memory: 128, timeout: 30,
  idleTimeout: 30, maxConcurrency: 1, config: {}, version: 'r1:1:0', ...over,
});

describe('executor: hot pools by route version', () => {
  it('gives each published version its own pool key, apart from the route itself', () => {
    const ids = [route(), route({ routeVersion: 1, version: 'r1@1' }), route({ routeVersion: 2, version: 'r1@2' })].map(routeId);
    assert.equal(new Set(ids).size, 3);
    assert.equal(routeId(route({ routeVersion: 1 })), routeId(route({ routeVersion: 1, image: 'other' })), 'one pool per version');
  });

  it('never takes two versions for the same containers (versionKey)', () => {
    const v1 = route({ routeVersion: 1, version: 'r1@1' });
    const v2 = route({ routeVersion: 2, version: 'r1@2' });
    assert.notEqual(versionKey(v1), versionKey(v2));
    assert.notEqual(versionKey(v1), versionKey(route()));
  });

  it('retires every version of a route changed or deleted, and nothing of another route', () => {
    const scope = { projectId: 'p', appName: 'a', path: '/img/resize' };
    assert.ok(inScope(routeId(route()), scope));
    assert.ok(inScope(routeId(route({ routeVersion: 3 })), scope));
    assert.ok(inScope(routeId(route({ routeVersion: 3 })), { projectId: 'p', appName: 'a' }));
    assert.ok(!inScope(routeId(route({ path: '/img/resize2', routeVersion: 3 })), scope));
    assert.ok(!inScope(routeId(route({ path: '/img', routeVersion: 3 })), scope));
    assert.ok(!inScope(routeId(route({ routeVersion: 3 })), { ...scope, projectId: 'q' }));
  });

  it('retires only the containers of a deleted version, not the route\'s nor another version\'s', () => {
    const scope = { projectId: 'p', appName: 'a', path: '/img/resize', version: 3 };
    assert.ok(inScope(routeId(route({ routeVersion: 3 })), scope));
    assert.ok(!inScope(routeId(route()), scope));
    assert.ok(!inScope(routeId(route({ routeVersion: 33 })), scope));
    assert.ok(!inScope(routeId(route({ routeVersion: 4 })), scope));
    assert.ok(!inScope(routeId(route({ path: '/img/resize2', routeVersion: 3 })), scope));
  });
});
