import assert from 'node:assert/strict';
import type { DockerExecutor } from '../../../src/executor';
import { waitFor } from '../../helpers/wait';
import { call, containersOf, docker, ownImage, route, startExecutor } from './fixtures';

// Hot formats (http, json): framing, reuse, concurrency, replacement of bad containers.
describe('executor: hot functions', function () {
  this.timeout(60_000);
  let ex: DockerExecutor;
  let engineId: string;
  const hot = (over = {}) => route({ format: 'http', image: 'fresco-test/hot-http:1', path: '/hot', ...over });
  const pidOf = async (r = hot()) => (await ex.run(call(r, { requestPath: '/pid' }))).result.toString();
  /** Ids of the containers of the route at `path` (Docker's view, any state). */
  const idsOf = async (path: string) =>
    (await containersOf(engineId)).filter((c) => c.Labels['io.fresco.route'] === path).map((c) => c.Id);
  /** Waits until Docker no longer has container `id`. */
  const gone = (id: string) => waitFor(`container ${id.slice(0, 12)} removed`,
    async () => !(await containersOf(engineId)).some((c) => c.Id === id));

  before(async () => {
    ex = await startExecutor();
    engineId = (ex as unknown as { deps: { options: { engineId: string } } }).deps.options.engineId;
  });
  after(async () => {
    await ex.stop();
    assert.equal((await containersOf(engineId)).length, 0, 'stop() leaves no container');
  });

  it('writes the caller\'s real request plus the IronFunctions headers', async () => {
    const req = call(hot(), { method: 'PUT', requestPath: '/x/dump?q=1', headers: { 'x-my-header': ['hi', 'there'], 'content-length': '99' } });
    const res = await ex.run(req);
    assert.equal(res.status, 'success');
    assert.equal(res.kind, 'hot');
    assert.equal(res.result.toString(), [
      'PUT /x/dump?q=1 HTTP/1.1', 'x-my-header: hi', 'x-my-header: there', 'Method: PUT', 'Route: /hot',
      `Request_url: ${req.url}`, 'Header_x_my_header: hi there', 'Header_content_length: 99', `Task-Id: ${req.id}`,
      'Content-Length: 3', '', 'Bob',
    ].join('\r\n'));
  });

  it('passes the function\'s status and headers to the caller', async () => {
    const res = await ex.run(call(hot(), { requestPath: '/status' }));
    assert.equal(res.httpStatus, 201);
    assert.deepEqual(res.httpHeaders?.['x-fn'], ['hot']);
    assert.equal(res.result.toString(), 'created\n');
  });

  it('reuses one container for sequential calls and keeps stderr with its call', async () => {
    assert.equal(await pidOf(), await pidOf());
    const [first] = await idsOf('/hot');
    await pidOf();
    assert.deepEqual(await idsOf('/hot'), [first]);
    const req = call(hot(), { requestPath: '/stderr' });
    const res = await ex.run(req);
    assert.equal(res.log.toString(), `log line for ${req.id}\n`);
  });

  it('runs up to max_concurrency containers and queues the rest', async () => {
    const r = hot({ path: '/conc', maxConcurrency: 2 });
    const slow = [1, 2, 3].map(() => ex.run(call(r, { requestPath: '/sleep' })));
    await waitFor('two containers', async () => (await containersOf(engineId)).filter((c) => c.Labels['io.fresco.route'] === '/conc').length === 2);
    const results = await Promise.all(slow);
    assert.deepEqual(results.map((x) => x.status), ['success', 'success', 'success']);
    assert.equal((await containersOf(engineId)).filter((c) => c.Labels['io.fresco.route'] === '/conc').length, 2);
  });

  it('rejects calls beyond the queue bound with FRESCO_ENGINE_BUSY', async () => {
    const small = await startExecutor({ maxQueue: 1 });
    try {
      const r = hot({ path: '/busy' });
      const first = small.run(call(r, { requestPath: '/sleep' }));
      await assert.rejects(small.run(call(r)), { code: 'FRESCO_ENGINE_BUSY', status: 503 });
      assert.equal((await first).status, 'success');
    } finally {
      await small.stop();
    }
  });

  it('discards a container whose call timed out', async () => {
    // Only the sleeping call has the 1 s timeout (not part of the route's version): starting a
    // container on a loaded machine may take longer than that.
    const r = hot({ path: '/to', timeout: 20 });
    await pidOf(r);
    const [first] = await idsOf('/to');
    const res = await ex.run(call({ ...r, timeout: 1 }, { requestPath: '/sleep' }));
    assert.equal(res.status, 'timeout');
    await gone(first);
    const after = await ex.run(call(r, { requestPath: '/pid' }));
    assert.equal(after.status, 'success');
    const now = await idsOf('/to');
    assert.equal(now.length, 1);
    assert.notEqual(now[0], first);
  });

  it('replaces a container that answers garbage or dies, failing only that call', async () => {
    await pidOf();
    const [first] = await idsOf('/hot');
    const garbage = await ex.run(call(hot(), { requestPath: '/garbage' }));
    assert.equal(garbage.status, 'error');
    assert.match(garbage.error ?? '', /did not answer HTTP/);
    await gone(first);
    await pidOf();
    const [second] = await idsOf('/hot');
    const crash = await ex.run(call(hot(), { requestPath: '/crash' }));
    assert.equal(crash.status, 'error');
    await gone(second);
    assert.equal((await ex.run(call(hot()))).result.toString(), 'Hello Bob\n');
    const [third] = await idsOf('/hot');
    assert.ok(third && third !== first && third !== second, 'a third container answers');
  });

  it('discards a container that writes a second response, never handing it to the next call', async () => {
    const r = hot({ path: '/twice', image: ownImage('hot-http') });
    for (let round = 0; round < 10; round++) {
      await pidOf(r);
      const [first] = await idsOf('/twice');
      // The next call waits for the only container, so it is written to it as soon as it is free.
      const [twice, next] = await Promise.all([ex.run(call(r, { requestPath: '/twice' })), ex.run(call(r, { requestPath: '/next' }))]);
      assert.notEqual(twice.result.toString(), 'stray\n');
      assert.equal(next.status, 'success', `round ${round}: ${next.error}`);
      assert.equal(next.result.toString(), 'Hello Bob\n', `round ${round}: the next call gets its own answer`);
      await gone(first);
      assert.ok(!(await idsOf('/twice')).includes(first), 'a new container answers');
    }
  });

  it('cancels a running hot call and discards its container', async () => {
    await pidOf();
    const [first] = await idsOf('/hot');
    const ac = new AbortController();
    let started = false;
    const p = ex.run(call(hot(), { requestPath: '/sleep', signal: ac.signal, onStart: () => { started = true; } }));
    await waitFor('the call to start', () => started);
    ac.abort();
    assert.equal((await p).status, 'cancelled');
    await gone(first);
    assert.equal((await ex.run(call(hot()))).status, 'success');
    assert.notDeepEqual(await idsOf('/hot'), [first]);
  });

  it('stops containers idle for idle_timeout', async () => {
    const r = hot({ path: '/idle', idleTimeout: 1 });
    await ex.run(call(r));
    await waitFor('the idle container gone', async () =>
      !(await containersOf(engineId)).some((c) => c.Labels['io.fresco.route'] === '/idle'), 10_000, 200);
  });

  it('speaks the json format', async () => {
    const r = route({ format: 'json', image: 'fresco-test/hot-json:1', path: '/json' });
    const req = call(r, { method: 'GET' });
    const res = await ex.run(req);
    assert.equal(res.status, 'success');
    assert.equal(res.httpStatus, 202);
    assert.deepEqual(res.httpHeaders?.['x-call'], [req.id]);
    assert.deepEqual(res.httpHeaders?.['x-method'], ['GET']);
    assert.equal(res.result.toString(), 'Hello Bob');
    const bad = await ex.run(call(r, { body: Buffer.from('garbage') }));
    assert.equal(bad.status, 'error');
    assert.match(bad.error ?? '', /not JSON/);
    assert.equal((await ex.run(call(r))).status, 'success');
  });

  it('retires containers of an old route version', async () => {
    await pidOf(hot({ path: '/ver', version: '1' }));
    const [v1] = await idsOf('/ver');
    await pidOf(hot({ path: '/ver', version: '2' }));
    await gone(v1);
    const now = await idsOf('/ver');
    assert.equal(now.length, 1);
    assert.notEqual(now[0], v1);
  });
  it('replaces a garbage-writing image in both formats, failing only that call', async () => {
    for (const format of ['http', 'json'] as const) {
      const r = route({ format, image: 'fresco-test/garbage:1', path: `/garbage-${format}`, timeout: 5 });
      const res = await ex.run(call(r));
      assert.equal(res.status, 'error', format);
      assert.match(res.error ?? '', format === 'http' ? /did not answer HTTP/ : /not JSON/);
    }
    const crash = await ex.run(call(route({ format: 'json', image: 'fresco-test/hot-json:1', path: '/json' }), { body: Buffer.from('crash') }));
    assert.equal(crash.status, 'error');
    assert.equal((await ex.run(call(hot()))).result.toString(), 'Hello Bob\n');
  });

  it('gives hot containers the route config as env, with FORMAT', async () => {
    const r = route({ format: 'json', image: 'fresco-test/hot-json:1', path: '/json-env', config: { 'my-conf': 'x' } });
    await ex.run(call(r));
    const info = (await containersOf(engineId)).find((c) => c.Labels['io.fresco.route'] === '/json-env');
    const c = await docker.getContainer(info!.Id).inspect();
    assert.ok(c.Config.Env.includes('FORMAT=json'));
    assert.ok(c.Config.Env.includes('MY_CONF=x'));
    assert.ok(!c.Config.Env.some((e) => e.startsWith('CALL_ID=')));
  });
});
