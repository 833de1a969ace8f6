import assert from 'node:assert/strict';
import type { DockerExecutor } from '../../../src/executor';
import { call, containersOf, engineOf, route, startExecutor } from './fixtures';

// Answers IronFunctions accepted (Go's http.ReadResponse) from a real hot container: bare LF
// line ends, chunked bodies, HTTP/1.0 without a reason phrase; and a clear error, with the
// container replaced, for an answer that has no determinable end.
describe('executor: hot http answers as IronFunctions images write them', function () {
  this.timeout(60_000);
  let ex: DockerExecutor;
  const r = route({ format: 'http', image: 'fresco-test/hot-http:1', path: '/compat', timeout: 5 });
  const run = (path: string) => ex.run(call(r, { requestPath: `/r/myapp/compat${path}` }));
  // The container serving the route (pids repeat across containers: each has its own namespace).
  const container = async () => {
    assert.equal((await run('/pid')).status, 'success');
    const mine = (await containersOf(engineOf(ex))).filter((c) => c.Labels['io.fresco.route'] === '/compat' && c.State === 'running');
    assert.equal(mine.length, 1);
    return mine[0].Id;
  };

  before(async () => { ex = await startExecutor(); });
  after(async () => {
    const id = engineOf(ex);
    await ex.stop();
    assert.equal((await containersOf(id)).length, 0, 'stop() leaves no container');
  });

  it('reads a bare-LF answer at once and keeps the container', async () => {
    const before = await container();
    const t = Date.now();
    const res = await run('/lf');
    assert.equal(res.status, 'success', res.error);
    assert.ok(Date.now() - t < 5000, 'answered before the route timeout (5 s)');
    assert.equal(res.httpStatus, 200);
    assert.equal(res.result.toString(), 'Hello LF ok\n');
    assert.equal(await container(), before);
  });

  it('decodes a chunked answer, dropping extensions and trailers', async () => {
    const res = await run('/chunked');
    assert.equal(res.status, 'success', res.error);
    assert.equal(res.result.toString(), 'Hello chunked\n');
    assert.deepEqual(res.httpHeaders?.['x-fn'], ['chunked']);
    assert.equal(res.httpHeaders?.['transfer-encoding'], undefined);
    assert.equal(res.httpHeaders?.['x-trailer'], undefined);
  });

  it('reads HTTP/1.0 without a reason phrase, with a folded header', async () => {
    const res = await run('/http10');
    assert.equal(res.status, 'success', res.error);
    assert.equal(res.result.toString(), 'old ok\n');
    assert.deepEqual(res.httpHeaders?.['x-folded'], ['a b']);
  });

  it('fails an answer without a length at once, naming why, and replaces the container', async () => {
    const before = await container();
    const t = Date.now();
    const res = await run('/nolength');
    assert.equal(res.status, 'error');
    assert.ok(Date.now() - t < 5000, 'answered before the route timeout (5 s)');
    assert.match(res.error ?? '', /without Content-Length or Transfer-Encoding: chunked/);
    assert.notEqual(await container(), before);
  });
});
