import assert from 'node:assert/strict';
import { members, rank, routeKey } from '../../../src/cluster/placement';
import { waitFor } from '../../helpers/wait';
import { Answer, ClusterWorld } from './cluster-world';

// kill -9 of an engine while sync and async calls run, on real processes, PostgreSQL, RabbitMQ
// (a vhost of this test) and Docker: the sync calls it was running end with 502
// FRESCO_ENGINE_LOST before the function could have answered; once it left the membership
// (engine_timeout 3 s here) every call succeeds on the others; every async call accepted ends in
// a final state, with one success recorded per call (an audit trigger records each change).

const P = 'faultp';
const APP = 'f';
const HOT = Array.from({ length: 12 }, (_, i) => `/h${i}/pid`);
const SLEEP = Array.from({ length: 12 }, (_, i) => `/s${i}/sleep`);
const FINAL = ['success', 'error', 'timeout', 'cancelled'];
const AUDIT = `
CREATE TABLE call_audit (seq bigserial PRIMARY KEY, call_id uuid NOT NULL, status text NOT NULL, engine_id text);
CREATE FUNCTION audit_call() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO call_audit (call_id, status, engine_id) VALUES (NEW.id, NEW.status, NEW.engine_id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER call_audit AFTER INSERT OR UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION audit_call();`;

describe('cluster: kill -9 of an engine during sync and async load', function () {
  this.timeout(180_000);
  const w = new ClusterWorld({ engineTimeout: 3, rabbit: true });
  const names = ['e1', 'e2', 'e3'];
  const homeOf = (routePath: string) =>
    rank(routeKey({ projectId: P, appName: APP, path: routePath }), members(names.map((n) => w.id(n))))[0].id;

  before(async function () {
    this.timeout(120_000);
    await w.setUp();
    await w.t.db.raw(AUDIT);
    await w.startApi();
    await Promise.all(names.map((n) => w.startEngine(n, { FRESCO_ENGINE_CALL_LEASE: '5', FRESCO_ENGINE_ASYNC_PREFETCH: '2' })));
    await w.createRoutes(P, APP, [
      ...HOT.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32 })),
      ...SLEEP.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32, timeout: 30 })),
      { path: '/nap', image: 'fresco-test/nap:1', type: 'async', memory: 32, config: { NAP_SECONDS: '2' } },
    ]);
    await waitFor('three engines in the membership', async () => (await w.liveIds()).length === 3, 20_000, 100);
    await w.placing(names);
  });

  after(async function () {
    this.timeout(120_000);
    await w.tearDown();
  });

  it('in-flight sync calls end with FRESCO_ENGINE_LOST at once; later calls succeed; async calls finish once', async () => {
    for (const r of HOT) assert.equal((await w.call(P, APP, r)).status, 200);
    const victim = 'e1';
    const slow = SLEEP.find((r) => homeOf(r) === w.id(victim));
    assert.ok(slow, 'a sleep route homed on the victim');

    // Background sync load on every hot route until told to stop.
    let loading = true;
    const load: Array<Answer & { at: number }> = [];
    const loaders = HOT.map(async (r) => {
      while (loading) load.push({ ...(await w.call(P, APP, r)), at: Date.now() });
    });
    const accepted = await Promise.all(Array.from({ length: 6 }, (_, i) => w.http.post(`${w.base}/v1/r/${P}/${APP}/nap`, `async ${i}`)));
    assert.deepEqual(accepted.map((a) => a.status), Array(6).fill(202));
    const asyncIds = accepted.map((a) => JSON.parse(a.data).call_id as string);

    const inFlight = w.call(P, APP, slow!, 'in flight');
    await waitFor('the slow call to run on the victim', async () => (await w.containers(victim)).some((c) => c.route === slow), 20_000, 50);
    await w.engines.get(victim)!.kill9();

    const lost = await inFlight;
    assert.equal(lost.status, 502, JSON.stringify(lost));
    assert.equal(lost.code, 'FRESCO_ENGINE_LOST');
    assert.ok(lost.ms < 5000, `answered after ${lost.ms} ms: before the function's 5 s sleep could have ended`);

    await waitFor('the victim to leave the membership', async () => !(await w.liveIds(3000)).includes(w.id(victim)), 20_000, 100);
    const leftAt = Date.now();
    await waitFor('load calls after the victim left', () => load.filter((a) => a.at > leftAt + 1500).length >= 24, 30_000, 100);
    loading = false;
    await Promise.all(loaders);
    for (const a of load) {
      assert.ok(a.status === 200 || (a.status === 502 && a.code === 'FRESCO_ENGINE_LOST'), `load call: ${JSON.stringify(a)}`);
    }
    // The API's view is refreshed every second: calls sent after that all succeed.
    const later = load.filter((a) => a.at - a.ms > leftAt + 1500);
    assert.ok(later.length > 0);
    assert.deepEqual(later.map((a) => a.status), later.map(() => 200));
    const round = await Promise.all([...HOT, slow!].map((r) => w.call(P, APP, r)));
    assert.deepEqual(round.map((a) => a.status), round.map(() => 200), JSON.stringify(round.filter((a) => a.status !== 200)));

    const rows = await waitFor('the async calls to reach a final status', async () => {
      const r = await w.t.db('calls').whereIn('id', asyncIds).select('id', 'status');
      return r.length === asyncIds.length && r.every((c: { status: string }) => FINAL.includes(c.status)) ? r : undefined;
    }, 60_000, 250);
    assert.deepEqual(rows.map((c: { status: string }) => c.status), Array(6).fill('success'));
    const wins = await w.t.db('call_audit').whereIn('call_id', asyncIds).where({ status: 'success' }).pluck('call_id');
    assert.equal(wins.length, asyncIds.length, 'one success recorded per async call, never two');
    for (const n of names.filter((x) => x !== victim)) assert.ok(w.engines.get(n)!.alive, `${n} still runs`);
    assert.ok(w.api.alive);
    assert.doesNotMatch(w.api.stderr, /unhandled|uncaught/i);
  });
});
