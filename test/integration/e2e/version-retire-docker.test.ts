import assert from 'node:assert/strict';
import { AllWorld } from '../../helpers/all-world';
import { waitFor } from '../../helpers/wait';
import { buildImages, docker } from '../executor/fixtures';

// Deleting a route version (docs/api.md, "Versions and aliases") removes its hot container at once,
// long before its idle_timeout, while the route's own container stays and keeps serving: `fresco all`
// with real Docker.

describe('deleting a route version retires its hot containers (Docker)', function () {
  this.timeout(120_000);
  const w = new AllWorld({ name: 'vretire' });
  const containers = async () => (await docker.listContainers({ filters: { label: [`io.fresco.engine=${w.engineId}`, 'io.fresco.route=/hot'] } }))
    .map((c) => c.Id);

  before(async function () {
    this.timeout(120_000);
    buildImages();
    await w.start();
  });

  after(async function () {
    this.timeout(60_000);
    await w.stop();
  });

  it('removes the deleted version\'s container at once; the route\'s own stays and serves', async () => {
    await w.createRoutes('vr', [{ path: '/hot', image: 'fresco-test/hot-http:1', format: 'http', idle_timeout: 600 }]);
    assert.equal((await w.post('/v1/demo/apps/vr/routes/hot/@versions', {})).status, 201);
    const run = async (headers: Record<string, string> = {}) => {
      const res = await fetch(`${w.base}/v1/r/demo/vr/hot`, { method: 'POST', body: 'v', headers: { 'Content-Type': 'text/plain', ...headers } });
      assert.equal(res.status, 200, await res.text());
    };
    await run();
    const own = await waitFor('the route\'s hot container', async () => {
      const ids = await containers();
      return ids.length === 1 && ids[0];
    }, 30_000, 200);
    await run({ 'Fresco-Version': '1' });
    const both = await containers();
    assert.equal(both.length, 2, 'version 1 has a container of its own');

    const deleted = await w.send('DELETE', '/v1/demo/apps/vr/routes/hot/@versions/1');
    assert.equal(deleted.status, 200, await deleted.text());
    await waitFor('the version\'s container to go (its idle_timeout is 10 minutes)', async () => {
      const ids = await containers();
      return ids.length === 1 && ids[0] === own;
    }, 30_000, 200);
    await run();
    assert.deepEqual(await containers(), [own], 'the route kept its container and runs on it');
  });
});
