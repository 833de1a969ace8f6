import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OscUser, OscWorld } from './osc-world';

// `openstack fn ...` (osc/, installed by test/setup.d/50-osc.sh) against a Fresco with
// auth_strategy = keystone, the real Keystone of test/services/openstack and real PostgreSQL and
// Docker (osc-world.ts): demo creates, runs and reads; alt fails cleanly on demo's objects.

const IMAGE = `fresco-osc-test/hello:${process.pid}`;
// A cold function: "Hello <stdin>" on stdout, a line of log on stderr.
const HELLO = 'read -r who || true; echo "Hello $who"; echo "greeted $who" >&2';

/** A function image from the host's static busybox: no registry needed. */
function buildImage(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-osc-image-'));
  try {
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    fs.symlinkSync('busybox', path.join(root, 'bin/sh'));
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 << 20 });
    const cmd = JSON.stringify(['/bin/busybox', 'sh', '-c', HELLO]);
    const r = spawnSync('docker', ['import', '--change', `CMD ${cmd}`, '-', IMAGE], { input: tar.stdout });
    if (r.status !== 0) throw new Error(`docker import: ${r.stderr}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('openstack fn (OSC plugin) with the real Keystone', function () {
  this.timeout(180_000);
  let world: OscWorld;
  const app = `oscapp${process.pid}`;
  let callId: string;

  const json = (user: OscUser, args: string[], catalog = false) => world.json(user, args, catalog);

  /** A clean CLI failure: exit 1, the API's message on stderr, no Python traceback. */
  async function failsCleanly(user: OscUser, args: string[], message: RegExp): Promise<void> {
    const r = await world.osc(user, args);
    assert.equal(r.code, 1, `openstack ${args.join(' ')}: exit ${r.code}, stdout ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /Traceback/);
  }

  before(async function () {
    buildImage();
    world = await OscWorld.start('fn');
  });

  after(async function () {
    spawnSync('docker', ['rmi', '-f', IMAGE]);
    await world?.stop();
  });

  it('finds Fresco in the Keystone catalog (type functions) with a demo token', async () => {
    const apps = await json('DEMO', ['fn', 'app', 'list'], true);
    assert.ok(Array.isArray(apps));
  });

  it('creates an app and a route as demo', async () => {
    const created = await json('DEMO', ['fn', 'app', 'create', app, '--description', 'osc test', '--config', 'GREETING=hi']);
    assert.equal(created.name, app);
    assert.equal(created.project_id, world.ks.OS_DEMO_PROJECT_ID);
    assert.deepEqual(created.config, { GREETING: 'hi' });
    const apps = await json('DEMO', ['fn', 'app', 'list']);
    assert.ok(apps.some((a: { Name: string }) => a.Name === app));
    const route = await json('DEMO', ['fn', 'route', 'create', app, '/hello', '--image', IMAGE, '--timeout', '20']);
    assert.equal(route.path, '/hello');
    assert.equal(route.image, IMAGE);
    assert.equal(route.type, 'sync');
    const set = await json('DEMO', ['fn', 'route', 'set', app, 'hello', '--memory', '64']);
    assert.equal(set.memory, 64);
    const shown = await json('DEMO', ['fn', 'route', 'show', app, '/hello']);
    assert.equal(shown.memory, 64);
    const retried = await json('DEMO', ['fn', 'route', 'set', app, 'hello', '--retries', '2', '--retry-delay', '0.5', '--retry-on', 'error']);
    assert.deepEqual([retried.retries, retried.retry_delay, retried.retry_backoff, retried.retry_on], [2, 0.5, 2, ['error']]);
  });

  it('runs the route and returns the function output (fn run)', async () => {
    const run = await json('DEMO', ['fn', 'run', app, '/hello', '--data', 'World']);
    assert.equal(run.status, 'success');
    assert.equal(run.result, 'Hello World\n');
    assert.match(run.call_id, /\S/);
    callId = run.call_id;
  });

  it('runs it with the body from @file, through the catalog endpoint', async () => {
    const file = path.join(world.scratch, 'body.txt');
    fs.writeFileSync(file, 'File');
    const run = await json('DEMO', ['fn', 'run', app, 'hello', '--data', `@${file}`], true);
    assert.equal(run.result, 'Hello File\n');
  });

  it('shows the call, lists it and prints its log', async () => {
    const call = await json('DEMO', ['fn', 'call', 'show', callId]);
    assert.equal(call.id, callId);
    assert.equal(call.status, 'success');
    assert.equal(call.app, app);
    assert.equal(call.route, '/hello');
    const calls = await json('DEMO', ['fn', 'call', 'list', '--app', app]);
    assert.ok(calls.some((c: { ID: string }) => c.ID === callId));
    const log = await world.ok('DEMO', ['fn', 'call', 'log', callId]);
    assert.match(log, /greeted World/);
  });

  it('shows API errors cleanly (exit 1, message, no traceback)', async () => {
    await failsCleanly('DEMO', ['fn', 'app', 'create', app], /already exists/);
    await failsCleanly('DEMO', ['fn', 'route', 'show', app, '/nope'], /not found/i);
    await failsCleanly('DEMO', ['fn', 'app', 'delete', app], /HTTP 409/);
  });

  it('fails cleanly as alt on every demo object, and leaves them as they were', async () => {
    await failsCleanly('ALT', ['fn', 'app', 'show', app], /not found/i);
    await failsCleanly('ALT', ['fn', 'route', 'show', app, '/hello'], /not found/i);
    await failsCleanly('ALT', ['fn', 'run', app, '/hello', '--data', 'Mallory'], /not found/i);
    await failsCleanly('ALT', ['fn', 'call', 'show', callId], /not found/i);
    await failsCleanly('ALT', ['fn', 'call', 'log', callId], /not found/i);
    await failsCleanly('ALT', ['fn', 'route', 'delete', app, '/hello'], /not found/i);
    await failsCleanly('ALT', ['fn', 'app', 'delete', app], /not found/i);
    const altApps = await json('ALT', ['fn', 'app', 'list']);
    assert.ok(!altApps.some((a: { Name: string }) => a.Name === app));
    const altCalls = await json('ALT', ['fn', 'call', 'list']);
    assert.ok(!altCalls.some((c: { ID: string }) => c.ID === callId));
    const still = await json('DEMO', ['fn', 'route', 'show', app, '/hello']);
    assert.equal(still.image, IMAGE);
  });

  it('publishes route versions, names them with an alias and runs them (fn route version, fn alias, fn run --alias)', async () => {
    const v1 = await json('DEMO', ['fn', 'route', 'version', 'create', app, '/hello', '--description', 'small']);
    assert.deepEqual([v1.number, v1.memory, v1.description], [1, 64, 'small']);
    await json('DEMO', ['fn', 'route', 'set', app, '/hello', '--memory', '128']);
    assert.equal((await json('DEMO', ['fn', 'route', 'version', 'create', app, '/hello'])).number, 2);
    const listed = await json('DEMO', ['fn', 'route', 'version', 'list', app, '/hello']);
    assert.deepEqual(listed.map((v: { Number: number; Memory: number }) => [v.Number, v.Memory]), [[1, 64], [2, 128]]);
    assert.equal((await json('DEMO', ['fn', 'route', 'version', 'show', app, '/hello', '1'])).memory, 64);
    const alias = await json('DEMO', ['fn', 'alias', 'create', app, '/hello', 'prod', '--route-version', '1']);
    assert.deepEqual([alias.name, alias.version], ['prod', 1]);
    const ranVersion = async (args: string[]) => {
      const run = await json('DEMO', ['fn', 'run', app, '/hello', '--data', 'V', ...args]);
      assert.equal(run.result, 'Hello V\n');
      return (await json('DEMO', ['fn', 'call', 'show', run.call_id])).route_version;
    };
    assert.equal(await ranVersion(['--alias', 'prod']), 1);
    assert.equal((await json('DEMO', ['fn', 'alias', 'set', app, '/hello', 'prod', '--route-version', '2'])).version, 2);
    assert.equal(await ranVersion(['--alias', 'prod']), 2, 'the alias moved');
    assert.equal(await ranVersion(['--route-version', '1']), 1);
    assert.equal(await ranVersion([]), null);
    await failsCleanly('DEMO', ['fn', 'route', 'version', 'delete', app, '/hello', '2'], /HTTP 409, FRESCO_ROUTE_VERSION_IN_USE/);
    await failsCleanly('ALT', ['fn', 'alias', 'list', app, '/hello'], /not found/i);
    assert.deepEqual((await json('DEMO', ['fn', 'alias', 'list', app, '/hello'])).map((a: { Name: string }) => a.Name), ['prod']);
    assert.equal((await json('DEMO', ['fn', 'alias', 'show', app, '/hello', 'prod'])).version, 2);
    await world.ok('DEMO', ['fn', 'alias', 'delete', app, '/hello', 'prod']);
    await world.ok('DEMO', ['fn', 'route', 'version', 'delete', app, '/hello', '2']);
    await failsCleanly('DEMO', ['fn', 'run', app, '/hello', '--alias', 'prod'], /FRESCO_ROUTE_ALIAS_NOT_FOUND/);
  });

  it('chains routes (--on-success, --no-on-success) and lists a call\'s lineage', async () => {
    await json('DEMO', ['fn', 'route', 'create', app, '/after', '--image', IMAGE, '--type', 'async']);
    const linked = await json('DEMO', ['fn', 'route', 'set', app, 'hello', '--on-success', '/after']);
    assert.equal(linked.on_success, '/after');
    await failsCleanly('DEMO', ['fn', 'route', 'set', app, '/after', '--on-failure', '/hello'], /loop/);
    const run = await json('DEMO', ['fn', 'run', app, '/hello', '--data', 'Chain']);
    const lineage = await json('DEMO', ['fn', 'call', 'lineage', run.call_id]);
    assert.deepEqual(lineage.map((c: Record<string, unknown>) => [c.Depth, c['Parent Call ID'], c.Route]),
      [[0, null, '/hello'], [1, run.call_id, '/after']]);
    const unlinked = await json('DEMO', ['fn', 'route', 'set', app, 'hello', '--no-on-success']);
    assert.equal(unlinked.on_success, null);
    await world.ok('DEMO', ['fn', 'route', 'delete', app, '/after']);
  });

  it('sets a route\'s priority and a run\'s (fn route create/set --priority, fn run --priority)', async () => {
    const created = await json('DEMO', ['fn', 'route', 'create', app, '/urgent', '--image', IMAGE, '--type', 'async', '--priority', '2']);
    assert.equal(created.priority, 2);
    const set = await json('DEMO', ['fn', 'route', 'set', app, '/urgent', '--priority', '7']);
    assert.equal(set.priority, 7);
    const byRoute = await json('DEMO', ['fn', 'run', app, '/urgent', '--data', 'Route']);
    const byRun = await json('DEMO', ['fn', 'run', app, '/urgent', '--data', 'Run', '--priority', '9']);
    assert.equal((await json('DEMO', ['fn', 'call', 'show', byRoute.call_id])).priority, 7);
    assert.equal((await json('DEMO', ['fn', 'call', 'show', byRun.call_id])).priority, 9);
    await world.ok('DEMO', ['fn', 'route', 'delete', app, '/urgent']);
  });

  it('deletes the route and the app as demo', async () => {
    await world.ok('DEMO', ['fn', 'route', 'delete', app, '/hello']);
    await world.ok('DEMO', ['fn', 'app', 'delete', app]);
    await failsCleanly('DEMO', ['fn', 'app', 'show', app], /not found/i);
  });
});
