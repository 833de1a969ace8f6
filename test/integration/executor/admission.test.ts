import assert from 'node:assert/strict';
import type { CallOutcome } from '../../../src/domain/executor';
import type { DockerExecutor } from '../../../src/executor';
import { call, containersOf, engineOf, route, startExecutor } from './fixtures';

// The engine-wide bound on cold containers ([engine] max_containers, max_memory, max_wait).
describe('executor: admission of cold runs', function () {
  this.timeout(60_000);
  const nap = (path: string) => route({ image: 'fresco-test/nap:1', path, config: { NAP_SECONDS: '2' } });

  /** Runs `calls` while counting the route's containers in Docker; returns the results and the most seen. */
  async function watched(ex: DockerExecutor, path: string, calls: Promise<CallOutcome>[]) {
    let most = 0;
    let done = false;
    const all = Promise.allSettled(calls).finally(() => { done = true; });
    while (!done) {
      const n = (await containersOf(engineOf(ex))).filter((c) => c.Labels['io.fresco.route'] === path).length;
      most = Math.max(most, n);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { results: await all, most };
  }

  it('runs at most max_containers cold containers; the rest wait their turn', async () => {
    const ex = await startExecutor({ prestartPerRoute: 0, maxContainers: 2, maxWait: 30 });
    try {
      const r = nap('/bounded');
      const { results, most } = await watched(ex, '/bounded', [1, 2, 3].map(() => ex.run(call(r))));
      assert.deepEqual(results.map((x) => x.status === 'fulfilled' && x.value.status), ['success', 'success', 'success']);
      assert.ok(most <= 2, `at most 2 containers at once, saw ${most}`);
    } finally {
      await ex.stop();
    }
  });

  it('answers FRESCO_ENGINE_BUSY with Retry-After when no room comes within max_wait', async () => {
    const ex = await startExecutor({ prestartPerRoute: 0, maxContainers: 2, maxWait: 1 });
    try {
      const r = nap('/busy-cold');
      const { results, most } = await watched(ex, '/busy-cold', [1, 2, 3].map(() => ex.run(call(r))));
      const ok = results.filter((x) => x.status === 'fulfilled' && x.value.status === 'success');
      const busy = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
      assert.equal(ok.length, 2);
      assert.equal(busy.length, 1);
      assert.equal(busy[0].reason.code, 'FRESCO_ENGINE_BUSY');
      assert.equal(busy[0].reason.status, 503);
      assert.equal(busy[0].reason.headers['Retry-After'], '1');
      assert.ok(most <= 2, `at most 2 containers at once, saw ${most}`);
    } finally {
      await ex.stop();
    }
  });
});
