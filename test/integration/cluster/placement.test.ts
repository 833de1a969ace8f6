import assert from 'node:assert/strict';
import { members, rank, routeKey } from '../../../src/cluster/placement';
import { waitFor } from '../../helpers/wait';
import { Answer, ClusterWorld } from './cluster-world';

// One `fresco api` (Docker absent) and three `fresco engine`s sharing this machine's Docker:
// sync calls of hot routes go to each route's home engine, so a route keeps one warm container
// in the whole cluster; a route busier than its home engine spills to the next; an engine that
// joins takes over only the routes it wins; an engine stopped with SIGTERM finishes its calls.

const P = 'clusterp';
const APP = 'hot';
const ROUTES = Array.from({ length: 12 }, (_, i) => `/h${i}/pid`);

describe('cluster: api → engines, placement with hot affinity', function () {
  this.timeout(180_000);
  const w = new ClusterWorld();
  const names = ['e1', 'e2', 'e3'];
  /** The engine `routePath` should live on among `engineNames`, by the placement the API uses. */
  const homeOf = (routePath: string, engineNames: string[]) => {
    const byId = new Map(engineNames.map((n) => [w.id(n), n]));
    return byId.get(rank(routeKey({ projectId: P, appName: APP, path: routePath }), members([...byId.keys()]))[0].id)!;
  };
  /** route path → names of the engines with a hot container of it. */
  async function hotByRoute(engineNames: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const n of engineNames) for (const c of await w.containers(n)) out.set(c.route, [...(out.get(c.route) ?? []), n]);
    return out;
  }
  const okAll = (answers: Answer[]) => assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), JSON.stringify(answers.filter((a) => a.status !== 200)));

  before(async function () {
    this.timeout(120_000);
    await w.setUp();
    await w.startApi();
    await Promise.all(names.map((n) => w.startEngine(n)));
    await w.createRoutes(P, APP, [
      ...ROUTES.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32, max_concurrency: 1 })),
      ...Array.from({ length: 16 }, (_, i) => ({
        path: `/s${i}/sleep`, image: 'fresco-test/hot-http:1', format: 'http', memory: 32, max_concurrency: 1, timeout: 30,
      })),
    ]);
    await waitFor('the three engines in the membership', async () => (await w.liveIds()).length === 3, 20_000, 100);
    await w.placing(names);
  });

  after(async function () {
    this.timeout(120_000);
    await w.tearDown();
  });

  it('runs with Docker absent on the api host, and lists no container of its own', async () => {
    const a = await w.call(P, APP, ROUTES[0], 'Bob');
    assert.equal(a.status, 200, JSON.stringify(a));
    assert.ok(w.api.alive);
    assert.deepEqual(await w.containers('api'), []);
  });

  it('12 hot routes called repeatedly: 12 hot containers in the cluster (not 36), each route on its home engine', async () => {
    for (let round = 0; round < 4; round++) {
      okAll(await Promise.all(ROUTES.map((r) => w.call(P, APP, r, `round ${round}`))));
    }
    const hot = await hotByRoute(names);
    const ours = [...hot.entries()].filter(([route]) => ROUTES.includes(route));
    assert.equal(ours.reduce((n, [, on]) => n + on.length, 0), 12, JSON.stringify(ours));
    for (const r of ROUTES) assert.deepEqual(hot.get(r), [homeOf(r, names)], `route ${r}`);
    assert.ok(new Set(ours.map(([, on]) => on[0])).size > 1, 'the routes are spread over the engines');
  });

  it('spill: a route with more concurrent callers than its home can take is served by a second engine', async () => {
    const route = '/s0/sleep';
    const answers = await Promise.all([1, 2].map((i) => w.call(P, APP, route, `caller ${i}`)));
    okAll(answers);
    const on = (await hotByRoute(names)).get(route) ?? [];
    assert.equal(on.length, 2, `containers of ${route} on ${JSON.stringify(on)}`);
    assert.ok(on.includes(homeOf(route, names)), 'the home engine served one of them');
  });

  it('a hot route deleted through the api: its container on the engine is removed at once, not at idle_timeout', async () => {
    await w.createRoutes(P, `${APP}-gone`, [{ path: '/gone', image: 'fresco-test/hot-http:1', format: 'http', memory: 32, idle_timeout: 3600 }]);
    const a = await w.call(P, `${APP}-gone`, '/gone', 'warm me');
    assert.equal(a.status, 200, JSON.stringify(a));
    const holding = async () => {
      const out: string[] = [];
      for (const n of names) for (const c of await w.containers(n)) if (c.route === '/gone') out.push(n);
      return out;
    };
    assert.equal((await holding()).length, 1, 'one hot container of the route before the delete');
    const del = await w.http.delete(`${w.base}/v1/${P}/apps/${APP}-gone/routes/gone`);
    assert.equal(del.status, 200, del.data);
    await waitFor('the deleted route\'s container to be removed from its engine', async () => (await holding()).length === 0, 30_000, 100);
  });

  it('an engine joins: only the routes it wins move to it', async () => {
    // An engine name that wins some but not all routes (placement is deterministic in the ids).
    const joiner = ['e4', 'e5', 'e6', 'e7', 'e8', 'e9'].find((n) => {
      const won = ROUTES.filter((r) => homeOf(r, [...names, n]) === n).length;
      return won > 0 && won < ROUTES.length / 2;
    })!;
    const before = await hotByRoute(names);
    await w.startEngine(joiner);
    const all = [...names, joiner];
    const moving = ROUTES.filter((r) => homeOf(r, all) === joiner);
    await waitFor(`the api to place calls on ${joiner}`, async () => {
      okAll(await Promise.all(ROUTES.map((r) => w.call(P, APP, r))));
      const hot = await hotByRoute([joiner]);
      return moving.every((r) => hot.has(r));
    }, 30_000, 200);
    const after = await hotByRoute(all);
    const moved = ROUTES.filter((r) => after.get(r)?.includes(joiner));
    assert.deepEqual(moved, moving, 'exactly the routes the new engine wins moved');
    assert.ok(moved.length < ROUTES.length / 2, `${moved.length} of ${ROUTES.length} routes moved`);
    for (const r of ROUTES.filter((x) => !moving.includes(x))) {
      assert.deepEqual(after.get(r), before.get(r), `route ${r} stayed where it was warm`);
    }
    // Drain: SIGTERM while a call runs on the joiner; the call finishes, the engine leaves.
    const slow = Array.from({ length: 16 }, (_, i) => `/s${i}/sleep`).slice(1).find((r) => homeOf(r, all) === joiner);
    assert.ok(slow, 'a sleep route homed on the joiner');
    const inFlight = w.call(P, APP, slow!, 'draining');
    await waitFor('the slow call to run on the joiner', async () => (await w.containers(joiner)).some((c) => c.route === slow), 20_000, 50);
    const p = w.engines.get(joiner)!;
    const stopping = p.stop(60_000);
    await p.waitForLog('engine draining');
    const a = await inFlight;
    assert.equal(a.status, 200, JSON.stringify(a));
    await stopping;
    assert.deepEqual(p.exit, { code: 0, signal: null });
    assert.ok(!(await w.liveIds()).includes(w.id(joiner)), 'its membership row is gone');
    assert.deepEqual(await w.containers(joiner), [], 'its containers are gone');
    okAll(await Promise.all(moving.map((r) => w.call(P, APP, r, 'after the drain'))));
  });
});
