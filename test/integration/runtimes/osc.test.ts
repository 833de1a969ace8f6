import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OscUser, OscWorld } from '../osc/osc-world';

// Functions from code through `openstack fn` (osc/, installed by test/setup.d/50-osc.sh) with the
// real Keystone: an admin registers the Python runtime, demo deploys examples/python-hello from
// its file with one command, runs it and downloads the package back; demo may not register runtimes.

const ROOT = path.resolve(__dirname, '../../..');

describe('openstack fn with functions from code (real Keystone, Docker, PostgreSQL)', function () {
  this.timeout(180_000);
  let world: OscWorld;
  let image: string;
  const app = `oscrt${process.pid}`;
  const runtime = `python3-osc-${process.pid}`;
  const json = (user: OscUser, args: string[]) => world.json(user, args);

  before(async function () {
    this.timeout(900_000);
    const out = execFileSync('bash', [path.join(ROOT, 'runtimes/build.sh'), 'python3'], { encoding: 'utf8' });
    image = /(fresco\/runtime-python3:[0-9a-f]{12})/.exec(out)![1];
    world = await OscWorld.start('rt');
  });
  after(async () => {
    await world?.osc('DEMO', ['fn', 'route', 'delete', app, '/py']);
    await world?.osc('DEMO', ['fn', 'app', 'delete', app]);
    await world?.osc('ADMIN', ['fn', 'runtime', 'delete', runtime]);
    await world?.stop();
  });

  it('lets an admin register a runtime, and refuses it to a member', async () => {
    const created = await json('ADMIN', ['fn', 'runtime', 'create', runtime, image, '--description', 'Debian python3']);
    assert.equal(created.name, runtime);
    assert.equal(created.image, image);
    const denied = await world.osc('DEMO', ['fn', 'runtime', 'create', 'mine', image]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /FRESCO_POLICY_FORBIDDEN/);
    assert.doesNotMatch(denied.stderr, /Traceback/);
    const listed = await json('DEMO', ['fn', 'runtime', 'list']);
    assert.ok(listed.some((r: { Name: string; Image: string }) => r.Name === runtime && r.Image === image), JSON.stringify(listed));
  });

  it('deploys the Python example from its file, runs it and downloads the package back', async () => {
    await json('DEMO', ['fn', 'app', 'create', app]);
    const file = path.join(ROOT, 'examples/python-hello/hello.py');
    const route = await json('DEMO', ['fn', 'route', 'create', app, '/py', '--runtime', runtime, '--entry', 'hello.main', '--file', file]);
    assert.equal(route.runtime, runtime);
    assert.equal(route.entry, 'hello.main');
    const run = await json('DEMO', ['fn', 'run', app, '/py', '--data', '{"name": "Osc"}']);
    assert.equal(run.status, 'success');
    assert.deepEqual(JSON.parse(run.result), { greeting: 'Hello Osc' });
    const out = path.join(world.scratch, 'back.py');
    const dl = await world.osc('DEMO', ['fn', 'route', 'download', app, '/py', '-o', out]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.deepEqual(fs.readFileSync(out), fs.readFileSync(file));
  });
});
