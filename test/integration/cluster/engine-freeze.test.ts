import assert from 'node:assert/strict';
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

describe('cluster: a frozen engine (SIGSTOP)', function () {
  this.timeout(180_000);
  const w = new ClusterWorld({ engineTimeout: 30 });
  const names = ['a', 'b'];
  let routes: Awaited<ReturnType<ClusterWorld['lossRoutes']>>;
  let frozen = false;

  before(async function () {
    this.timeout(120_000);
    await w.setUp();
    await w.startApi();
    await Promise.all(names.map((n) => w.startEngine(n)));
    routes = await w.lossRoutes(P, APP, names);
  });

  after(async function () {
    this.timeout(120_000);
    if (frozen) process.kill(w.engines.get('a')!.pid, 'SIGCONT');
    await w.tearDown();
  });

  it('its call in flight answers 502 FRESCO_ENGINE_LOST within seconds; it leaves placement; its routes are served by the other engine', async () => {
    const { slow, hot } = routes.homedOn('a');
    const warm = await w.call(P, APP, hot);
    assert.equal(warm.status, 200, JSON.stringify(warm));
    assert.deepEqual((await w.containers('a')).map((c) => c.route).filter((r) => r === hot), [hot], 'the hot route runs on a');

    const inFlight = w.call(P, APP, slow, 'in flight');
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
    // ping_timeout 3 s + one ping interval, on a quiet machine; the point is: not at the route's 30 s timeout.
    assert.ok(after < 15_000, `answered ${after} ms after the freeze: the pings, not the route's 30 s timeout, ended it`);

    const left = await w.api.waitForLog('engine left placement', 20_000, logFrom);
    assert.equal(left.engine, w.id('a'));
    assert.ok(left.at - stoppedAt < 15_000, `left placement ${left.at - stoppedAt} ms after the freeze`);

    // The membership still lists engine a (engine_timeout 30 s here): the API's own view moved on.
    assert.ok((await w.liveIds(30_000)).includes(w.id('a')));
    const moved = await w.call(P, APP, hot, 'after');
    assert.equal(moved.status, 200, JSON.stringify(moved));
    assert.ok((await w.containers('b')).some((c) => c.route === hot), 'the hot route now has a container on b');
    assert.ok(w.api.alive);
    assert.doesNotMatch(w.api.stderr, /unhandled|uncaught/i);
  });
});
