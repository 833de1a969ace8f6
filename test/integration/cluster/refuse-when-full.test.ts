import assert from 'node:assert/strict';
import type { DockerExecutor } from '../../../src/executor';
import { waitFor } from '../../helpers/wait';
import { call, containersOf, docker, engineOf, route, startExecutor } from '../executor/fixtures';

// The executor's "refuse when full" option, which lets the cluster try the next engine instead
// of queueing behind a busy one: on the real Docker executor, a hot route at max_concurrency with
// every container busy, and an engine without admission room, refuse such a call at once with
// FRESCO_ENGINE_BUSY; calls without the option still wait their turn.

describe('executor: refuseWhenFull', function () {
  this.timeout(90_000);
  let ex: DockerExecutor;

  afterEach(async () => {
    const id = ex && engineOf(ex);
    await ex?.stop();
    if (id) for (const c of await containersOf(id)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  });

  it('hot: refuses while the only container is busy, waits without the option, and serves once it is free', async () => {
    ex = await startExecutor();
    const r = route({ path: '/sleep', image: 'fresco-test/hot-http:1', format: 'http', maxConcurrency: 1 });
    let firstDone = false;
    const first = ex.run(call(r)).then((res) => { firstDone = true; return res; });
    await waitFor('the first call to hold the container', () => ex.load().hot === 1, 30_000);
    await assert.rejects(ex.run(call(r, { refuseWhenFull: true })), { code: 'FRESCO_ENGINE_BUSY' });
    assert.equal(firstDone, false, 'refused while the first call still ran');
    const waiting = ex.run(call(r));
    assert.equal((await first).status, 'success');
    assert.equal((await waiting).status, 'success');
    assert.equal(ex.stats().hot, 1, 'the waiting call used the same container');
    // An idle container takes a refuse-when-full call.
    assert.equal((await ex.run(call({ ...r, path: '/sleep' }, { refuseWhenFull: true }))).status, 'success');
  });

  it('cold: refuses when the engine has no admission room, instead of waiting max_wait', async () => {
    ex = await startExecutor({ prestartPerRoute: 0, maxContainers: 1, maxWait: 30 });
    const r = route({ image: 'fresco-test/nap:1', config: { NAP_SECONDS: '3' } });
    const first = ex.run(call(r));
    await waitFor('the first call to be admitted', () => ex.load().containers === 1, 30_000);
    await assert.rejects(ex.run(call(r, { refuseWhenFull: true })), { code: 'FRESCO_ENGINE_BUSY' });
    assert.equal(ex.load().containers, 1, 'the first call still runs');
    assert.equal((await first).status, 'success');
  });
});
