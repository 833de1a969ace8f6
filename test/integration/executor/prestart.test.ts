import assert from 'node:assert/strict';
import type { DockerExecutor } from '../../../src/executor';
import { waitFor } from '../../helpers/wait';
import { call, containersOf, docker, route, startExecutor } from './fixtures';

// Pre-started containers for format default: fresh per call, per-call env still delivered.
describe('executor: pre-started containers', function () {
  this.timeout(60_000);
  let ex: DockerExecutor;
  let engineId: string;

  before(async () => {
    ex = await startExecutor({ prestartPerRoute: 1, prestartTotal: 2 });
    engineId = (ex as unknown as { deps: { options: { engineId: string } } }).deps.options.engineId;
  });
  after(async () => {
    await ex.stop();
    assert.equal((await containersOf(engineId)).length, 0, 'stop() leaves no container');
  });

  it('runs the next call of a recently called route in a pre-started container', async () => {
    const r = route();
    assert.equal((await ex.run(call(r))).kind, 'cold');
    await waitFor('a pre-started container', () => ex.stats().prestarted === 1);
    const kinds: string[] = [];
    const res = await ex.run(call(r, { onStart: (k) => kinds.push(k), body: Buffer.from('Ann') }));
    assert.equal(res.kind, 'prestarted');
    assert.deepEqual(kinds, ['prestarted']);
    assert.equal(res.status, 'success');
    assert.equal(res.exitCode, 0);
    assert.equal(res.result.toString(), 'Hello Ann\n');
  });

  it('delivers each call\'s own environment and body', async () => {
    const r = route({ image: 'fresco-test/env:1', path: '/env', config: { 'my-conf': 'x' } });
    await ex.run(call(r));
    // Another route's container may be ready already: wait for this route's own.
    await waitFor('a pre-started container', async () => (await containersOf(engineId))
      .some((c) => c.Labels['io.fresco.route'] === '/env' && c.Labels['io.fresco.kind'] === 'prestarted' && c.State === 'running'));
    const req = call(r, { headers: { 'x-my-header': 'hi' }, body: Buffer.from('payload') });
    const res = await ex.run(req);
    assert.equal(res.kind, 'prestarted');
    const out = res.result.toString();
    assert.match(out, new RegExp(`^CALL_ID=${req.id}$`, 'm'));
    assert.match(out, /^HEADER_X_MY_HEADER=hi$/m);
    assert.match(out, /^MY_CONF=x$/m);
    assert.match(out, /^METHOD=POST$/m);
    assert.doesNotMatch(out, /FRESCO_/);
    assert.ok(out.endsWith('---\npayload'));
  });

  it('reports exit codes and timeouts of pre-started calls', async () => {
    const r = route({ image: 'fresco-test/fail:1', path: '/exit' });
    await ex.run(call(r));
    await waitFor('a pre-started container', async () => (await containersOf(engineId))
      .some((c) => c.Labels['io.fresco.route'] === '/exit' && c.State === 'running'));
    const res = await ex.run(call(r));
    assert.equal(res.kind, 'prestarted');
    assert.equal(res.exitCode, 3);
    assert.equal(res.status, 'error');
    assert.equal(res.result.toString(), 'partial\n');
    // Its stderr is whole (Docker may deliver it after the stdout report) and carries no trailer.
    assert.equal(res.log.toString(), 'about to fail\n');
    const s = route({ image: 'fresco-test/sleep:1', path: '/sleep', timeout: 1 });
    await ex.run(call(s));
    await waitFor('a pre-started container', async () => (await containersOf(engineId))
      .some((c) => c.Labels['io.fresco.route'] === '/sleep' && c.State === 'running'));
    const t = await ex.run(call(s));
    assert.equal(t.kind, 'prestarted');
    assert.equal(t.status, 'timeout');
  });

  it('keeps no more than the total bound: the least recently called route gives way', async () => {
    // Routes of running pre-started containers, as Docker sees them (discarded ones go in the background).
    const prestarted = async () => (await containersOf(engineId))
      .filter((c) => c.Labels['io.fresco.kind'] === 'prestarted' && c.State === 'running')
      .map((c) => c.Labels['io.fresco.route']).sort();
    for (const path of ['/bound-1', '/bound-2', '/bound-3']) {
      await ex.run(call(route({ path })));
      await waitFor(`a pre-started container for ${path}`, async () => (await prestarted()).includes(path));
    }
    await waitFor('the two most recently called routes\' containers only', async () =>
      JSON.stringify(await prestarted()) === JSON.stringify(['/bound-2', '/bound-3']));
    assert.equal(ex.stats().prestarted, 2);
  });
  it('pre-starts hardened containers whose entrypoint is the read-only launcher', async () => {
    const r = route({ path: '/inspect' });
    await ex.run(call(r));
    const info = await waitFor('a pre-started container', async () => (await containersOf(engineId))
      .find((c) => c.Labels['io.fresco.route'] === '/inspect' && c.State === 'running'));
    const c = await docker.getContainer(info.Id).inspect();
    assert.deepEqual(c.Config.Entrypoint, ['/.fresco-launcher']);
    assert.deepEqual(c.Config.Cmd, ['/hello']);
    assert.ok(c.Mounts.some((m) => m.Destination === '/.fresco-launcher' && m.RW === false));
    assert.deepEqual(c.HostConfig.CapDrop, ['ALL']);
    assert.equal(c.HostConfig.ReadonlyRootfs, true);
    assert.equal(c.Config.User, '65534:65534');
    assert.equal(c.Config.Labels['io.fresco.engine'], engineId);
  });

  it('ends pre-started floods and OOMs like cold ones, then still runs hello', async () => {
    for (const [name, pattern] of [['oom', /memory limit/], ['flood', /output limit exceeded/]] as const) {
      const r = route({ image: `fresco-test/${name}:1`, path: `/${name}`, memory: 16 });
      await ex.run(call(r));
      await waitFor('a pre-started container', async () => (await containersOf(engineId))
        .some((c) => c.Labels['io.fresco.route'] === `/${name}` && c.State === 'running'));
      const res = await ex.run(call(r));
      assert.equal(res.kind, 'prestarted');
      assert.equal(res.status, 'error', name);
      assert.match(res.error ?? '', pattern);
    }
    assert.equal((await ex.run(call(route()))).status, 'success');
  });
});
