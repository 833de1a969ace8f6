import assert from 'node:assert/strict';
import { members, rank, routeKey } from '../../../src/cluster/placement';
import { waitFor } from '../../helpers/wait';
import { ClusterWorld } from './cluster-world';

// A frozen engine (SIGSTOP: its TCP connections stay open, nothing answers) on real processes,
// PostgreSQL and Docker: the sync call it was running ends with 502 FRESCO_ENGINE_LOST once its
// hop stream has been silent for [cluster] ping_timeout (3 s by default, pings every second) —
// not at the route's timeout — since the function may have run in part; the API takes the engine
// out of its placement at once (long before its membership row expires), so the next call of a
// route homed there is served by the other engine.

const P = 'freezep';
const APP = 'f';
const SLEEP = Array.from({ length: 8 }, (_, i) => `/s${i}/sleep`);
const HOT = Array.from({ length: 8 }, (_, i) => `/h${i}/pid`);

describe('cluster: a frozen engine (SIGSTOP)', function () {
  this.timeout(180_000);
  const w = new ClusterWorld({ engineTimeout: 30 });
  const names = ['a', 'b'];
  const homeOf = (routePath: string) =>
    rank(routeKey({ projectId: P, appName: APP, path: routePath }), members(names.map((n) => w.id(n))))[0].id;
  let frozen = false;

  before(async function () {
    this.timeout(120_000);
    await w.setUp();
    await w.startApi();
    await Promise.all(names.map((n) => w.startEngine(n)));
    await w.createRoutes(P, APP, [
      ...SLEEP.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32, timeout: 30 })),
      ...HOT.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32 })),
    ]);
    await waitFor('both engines in the membership', async () => (await w.liveIds()).length === 2, 20_000, 100);
    await w.placing(names);
  });

  after(async function () {
    this.timeout(120_000);
    if (frozen) process.kill(w.engines.get('a')!.pid, 'SIGCONT');
    await w.tearDown();
  });

  it('its call in flight answers 502 FRESCO_ENGINE_LOST within seconds; it leaves placement; its routes are served by the other engine', async () => {
    const slow = SLEEP.find((r) => homeOf(r) === w.id('a'));
    const hot = HOT.find((r) => homeOf(r) === w.id('a'));
    assert.ok(slow && hot, 'routes homed on engine a');
    const warm = await w.call(P, APP, hot!);
    assert.equal(warm.status, 200, JSON.stringify(warm));
    assert.deepEqual((await w.containers('a')).map((c) => c.route).filter((r) => r === hot), [hot], 'the hot route runs on a');

    const inFlight = w.call(P, APP, slow!, 'in flight');
    await waitFor('the slow call to run on engine a', async () => (await w.containers('a')).some((c) => c.route === slow), 30_000, 50);
    const logFrom = w.api.lines.length;
    process.kill(w.engines.get('a')!.pid, 'SIGSTOP');
    frozen = true;
    const stoppedAt = Date.now();

    const lost = await inFlight;
    const after = Date.now() - stoppedAt;
    assert.equal(lost.status, 502, JSON.stringify(lost));
    assert.equal(lost.code, 'FRESCO_ENGINE_LOST');
    assert.match(lost.body, new RegExp(`${w.id('a')}.*liveness pings`));
    assert.ok(after < 5500, `answered ${after} ms after the freeze (ping_timeout 3 s + one ping interval)`);

    const left = await w.api.waitForLog('engine left placement', 10_000, logFrom);
    assert.equal(left.engine, w.id('a'));
    assert.ok(left.at - stoppedAt < 5500);

    // The membership still lists engine a (engine_timeout 30 s here): the API's own view moved on.
    assert.ok((await w.liveIds(30_000)).includes(w.id('a')));
    const moved = await w.call(P, APP, hot!, 'after');
    assert.equal(moved.status, 200, JSON.stringify(moved));
    assert.ok(moved.ms < 5000, `served after ${moved.ms} ms`);
    assert.ok((await w.containers('b')).some((c) => c.route === hot), 'the hot route now has a container on b');
    assert.ok(w.api.alive);
    assert.doesNotMatch(w.api.stderr, /unhandled|uncaught/i);
  });
});
