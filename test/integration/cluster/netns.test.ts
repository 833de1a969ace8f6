import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../helpers/wait';
import { ClusterWorld } from './cluster-world';

// The hop across a real network stack: engine "far" runs in a network namespace of its own
// (`ip netns`, a veth pair, private test addresses 10.231.x.y/30), its hop bound to and announced
// at its address there; engine "near" and the API run in the root namespace. A route homed on far
// is served there through the veth link. Then the link goes down: the call far was running
// answers 502 FRESCO_ENGINE_LOST within seconds (its stream falls silent to the liveness pings),
// the API takes far out of placement and the route is served by near. Needs root and iproute2.

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args, { timeout: 20_000 });

const P = 'netnsp';
const APP = 'n';

/** Names and addresses unique to this test process: parallel runs do not collide. */
const ns = `fresco-t-${process.pid}`;
const vethRoot = `frr${process.pid % 1_000_000}`;
const vethNs = `frn${process.pid % 1_000_000}`;
const block = process.pid % 16_384;
const net3 = `10.231.${block >> 6}`;
const rootAddr = `${net3}.${(block & 63) * 4 + 1}`;
const farAddr = `${net3}.${(block & 63) * 4 + 2}`;

async function createNetns(): Promise<void> {
  await ip('netns', 'add', ns);
  await ip('link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', vethNs);
  await ip('link', 'set', vethNs, 'netns', ns);
  await ip('addr', 'add', `${rootAddr}/30`, 'dev', vethRoot);
  await ip('link', 'set', vethRoot, 'up');
  await ip('-n', ns, 'addr', 'add', `${farAddr}/30`, 'dev', vethNs);
  await ip('-n', ns, 'link', 'set', vethNs, 'up');
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
}

async function removeNetns(): Promise<void> {
  await ip('link', 'del', vethRoot).catch(() => undefined); // takes its peer with it
  await ip('netns', 'del', ns).catch(() => undefined);
}

describe('cluster: an engine in its own network namespace', function () {
  this.timeout(180_000);
  const w = new ClusterWorld({ engineTimeout: 30 });
  const names = ['far', 'near'];
  let routes: Awaited<ReturnType<ClusterWorld['lossRoutes']>>;

  before(async function () {
    this.timeout(120_000);
    await run('ip', ['-V']).catch(() => { throw new Error('this test needs iproute2 (`ip`): apt-get install iproute2'); });
    assert.equal(process.getuid?.(), 0, 'this test creates network namespaces: it must run as root');
    const { stdout } = await ip('-o', 'addr', 'show');
    assert.ok(!stdout.includes(`${rootAddr}/`), `${rootAddr} is already in use on this machine`);
    await removeNetns();
    await createNetns();
    await w.setUp();
    await w.startApi();
    await w.startEngineInNetns(ns, 'far', farAddr);
    await w.startEngine('near');
    routes = await w.lossRoutes(P, APP, names);
  });

  after(async function () {
    this.timeout(120_000);
    try {
      await w.tearDown();
    } finally {
      await removeNetns();
    }
  });

  it('announces its namespace address and serves the calls homed on it through the veth link', async () => {
    const row = await w.t.db('engines').where({ id: w.id('far') }).first();
    assert.match(row.url, new RegExp(`^http://${farAddr.replace(/\./g, '\\.')}:\\d+$`));
    const { hot } = routes.homedOn('far');
    const a = await w.call(P, APP, hot, 'Bob');
    assert.equal(a.status, 200, JSON.stringify(a));
    // far's hop listens on its namespace address only: the API reached it through the veth link.
    assert.ok((await w.containers('far')).some((c) => c.route === hot), 'the call ran on far');
  });

  it('the link going down: the call in flight answers 502 FRESCO_ENGINE_LOST within seconds, then near serves far\'s routes', async () => {
    const { slow, hot } = routes.homedOn('far');
    const inFlight = w.call(P, APP, slow, 'in flight');
    await waitFor('the slow call to run on far', async () => (await w.containers('far')).some((c) => c.route === slow), 30_000, 50);
    const logFrom = w.api.lines.length;
    await ip('link', 'set', vethRoot, 'down');
    const downAt = Date.now();

    const lost = await inFlight;
    assert.equal(lost.status, 502, JSON.stringify(lost));
    assert.equal(lost.code, 'FRESCO_ENGINE_LOST');
    // ~4 s on a quiet machine (ping_timeout 3 s + a ping interval); the point is: not at the route's 30 s timeout.
    assert.ok(Date.now() - downAt < 15_000, `answered ${Date.now() - downAt} ms after the link went down: the pings, not the route's timeout, ended it`);
    const left = await w.api.waitForLog('engine left placement', 20_000, logFrom);
    assert.equal(left.engine, w.id('far'));

    const moved = await w.call(P, APP, hot, 'after');
    assert.equal(moved.status, 200, JSON.stringify(moved));
    assert.ok((await w.containers('near')).some((c) => c.route === hot), 'near serves the route now');
    assert.ok(w.engines.get('far')!.alive, 'far itself still runs: only its link is down');
    assert.ok(w.api.alive);
  });
});
