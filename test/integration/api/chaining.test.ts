import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { ScriptedExecutor } from '../../helpers/scripted-executor';

interface WireCall { id: string; status: string; trigger: string; parent_call_id: string | null; root_call_id: string; depth: number;
  route: string; app: string; chain_error: string | null }

describe('chaining: on_success / on_failure, cycles, depth and lineage (PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new ScriptedExecutor();
  let app: ReturnType<typeof buildTestApi>;
  const api = () => request(app.callback());
  const route = (a: string, r: Record<string, unknown>, project = 'demo') => api().post(`/v1/${project}/apps/${a}/routes`).send({ route: r });
  const lineage = async (id: string, project = 'demo'): Promise<WireCall[]> => {
    const res = await api().get(`/v1/${project}/calls/${id}/lineage`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.lineage.calls;
  };
  const seenBody = (id: string) => executor.seen.find((s) => s.id === id)!.body.toString();

  before(async () => {
    t = await createTestDb();
    app = buildTestApi(t.db, testConfig(), { executor });
    await api().post('/v1/demo/apps').send({ app: { name: 'c' } });
    await api().post('/v1/demo/apps').send({ app: { name: 'other' } });
    for (const path of ['/b', '/f', '/end']) assert.equal((await route('c', { path, image: 'x:1', type: 'async' })).status, 200);
    assert.equal((await route('other', { path: '/x', image: 'x:1', type: 'async' })).status, 200);
    const a = await route('c', { path: '/a', image: 'x:1', type: 'async', on_success: '/b', on_failure: 'c/f' });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.route.on_success, '/b');
    assert.equal(a.body.route.on_failure, 'c/f');
  });
  after(() => t.drop());

  it('refuses a target that is malformed or not a route of the project, naming the field', async () => {
    let res = await route('c', { path: '/v1', image: 'x:1', on_success: '/missing' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'FRESCO_CHAIN_TARGET_NOT_FOUND');
    assert.match(res.body.error.message, /^route\.on_success: route c\/missing does not exist/);
    res = await route('c', { path: '/v2', image: 'x:1', on_failure: 'no-slash' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /route\.on_failure/);
    res = await api().put('/v1/demo/apps/c/routes/b').send({ on_success: 'other/nope' });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /^on_success: route other\/nope/);
    // Another project's route of the same name is not a target.
    await api().post('/v1/p2/apps').send({ app: { name: 'c' } });
    res = await route('c', { path: '/y', image: 'x:1', on_success: '/b' }, 'p2');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'FRESCO_CHAIN_TARGET_NOT_FOUND');
  });

  it('refuses a link that closes a cycle with 409 naming it, and accepts one that does not', async () => {
    let res = await api().put('/v1/demo/apps/c/routes/b').send({ route: { on_failure: '/a' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'FRESCO_CHAIN_CYCLE');
    assert.equal(res.body.error.message, 'route.on_failure: the chain would loop: c/b -> c/a -> c/b');
    res = await api().put('/v1/demo/apps/c/routes/end').send({ on_success: '/end' });
    assert.equal(res.status, 409, 'a route chained to itself');
    res = await api().put('/v1/demo/apps/c/routes/b').send({ on_success: 'other/x' });
    assert.equal(res.status, 200);
    assert.equal(res.body.route.on_success, 'other/x');
    // other/x -> c/a -> c/b -> other/x would loop across apps.
    res = await api().put('/v1/demo/apps/other/routes/x').send({ on_success: 'c/a' });
    assert.equal(res.status, 409);
    assert.match(res.body.error.message, /other\/x -> c\/a -> c\/b -> other\/x/);
    res = await api().put('/v1/demo/apps/c/routes/b').send({ on_success: null });
    assert.equal(res.body.route.on_success, null, 'null removes the link');
  });

  it('starts the on_success route with the output; the chained call has trigger chain and lineage', async () => {
    const id = (await api().post('/v1/r/demo/c/a').type('text').send('hello')).body.call_id;
    assert.equal(await app.services.asyncRunner!.claimAndRun(id), true);
    let calls = await lineage(id);
    assert.deepEqual(calls.map((c) => [c.route, c.depth, c.parent_call_id, c.root_call_id]), [['/a', 0, null, id], ['/b', 1, id, id]]);
    const child = calls[1];
    assert.equal(child.trigger, 'chain');
    assert.equal(child.status, 'queued');
    const listed = (await api().get('/v1/demo/calls?route=/b')).body.calls.find((c: WireCall) => c.id === child.id);
    assert.equal(listed.trigger, 'chain', 'listed among the project\'s calls');
    assert.equal(await app.services.asyncRunner!.claimAndRun(child.id), true);
    assert.equal(seenBody(child.id), 'echo:hello');
    const seen = executor.seen.find((s) => s.id === child.id)!;
    assert.equal(seen.headers['fresco-parent-call-id'], id);
    assert.equal(seen.headers['fresco-chain-depth'], '1');
    calls = await lineage(child.id);
    assert.deepEqual(calls.map((c) => [c.id, c.status]), [[id, 'success'], [child.id, 'success']], 'the same tree from any of its calls');
  });

  it('starts the on_failure route with a description of the failed call', async () => {
    const id = (await api().post('/v1/r/demo/c/a').type('text').send('fail')).body.call_id;
    await app.services.asyncRunner!.claimAndRun(id);
    const [, child] = await lineage(id);
    assert.equal(child.route, '/f');
    await app.services.asyncRunner!.claimAndRun(child.id);
    const got = JSON.parse(seenBody(child.id).replace(/^echo:/, ''));
    assert.deepEqual(got, {
      call_id: id, app: 'c', route: '/a', status: 'error', attempts: 1, root_call_id: id, depth: 0,
      error: { code: 'error', message: 'exit code 3', exit_code: 3 }, input: { content_type: 'text/plain', body: 'fail' },
    });
  });

  it('chains a sync call too', async () => {
    assert.equal((await route('c', { path: '/s', image: 'x:1', type: 'sync', on_success: '/end' })).status, 200);
    const res = await api().post('/v1/r/demo/c/s').type('text').send('sync-in');
    assert.equal(res.status, 200);
    const calls = await lineage(res.body.call_id);
    assert.deepEqual(calls.map((c) => [c.route, c.trigger, c.depth]), [['/s', 'http', 0], ['/end', 'chain', 1]]);
    await app.services.asyncRunner!.claimAndRun(calls[1].id);
    assert.equal(seenBody(calls[1].id), 'echo:sync-in');
  });

  it('does not start a call deeper than max_chain_depth, and the parent says why', async () => {
    const shallow = buildTestApi(t.db, testConfig({ FRESCO_MAX_CHAIN_DEPTH: '1' }), { executor });
    const sapi = () => request(shallow.callback());
    assert.equal((await sapi().put('/v1/demo/apps/c/routes/b').send({ on_success: '/end' })).status, 200);
    const id = (await sapi().post('/v1/r/demo/c/a').type('text').send('deep')).body.call_id;
    await shallow.services.asyncRunner!.claimAndRun(id);
    const [, b] = await lineage(id);
    await shallow.services.asyncRunner!.claimAndRun(b.id);
    const calls = await lineage(id);
    assert.deepEqual(calls.map((c) => c.route), ['/a', '/b'], 'no third call');
    assert.equal(calls[1].status, 'success');
    assert.match(calls[1].chain_error!, /^FRESCO_CHAIN_TOO_DEEP: the call of c\/end was not started: it would be at depth 2, over max_chain_depth 1/);
    assert.equal(calls[0].chain_error, null);
  });

  it('records a follow-up only with its parent\'s final state, and one per parent', async () => {
    const calls = app.services.callStore;
    const parent = (await calls.enqueue({ projectId: 'demo', app: 'c', route: '/a', trigger: 'async',
      request: { method: 'POST', url: 'u', requestPath: '/a', headers: {}, body: Buffer.from('x') } }))!;
    assert.ok(await calls.claim(parent.id, 'engine-1', 60_000));
    const follow = (id: string) => ({ call: { id, projectId: 'demo', app: 'c', route: '/b', parentCallId: parent.id, rootCallId: parent.id,
      depth: 1, dedupeKey: `chain:${parent.id}`, request: { method: 'POST', url: 'u', requestPath: '/b', headers: {}, body: Buffer.from('out') } } });
    const done = { status: 'success' as const, result: Buffer.from('out'), resultTruncated: false, log: Buffer.alloc(0), logTruncated: false, completedAt: new Date() };
    const [first, second] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
    // Not this engine's call (taken over, cancelled): neither the outcome nor the follow-up is written.
    assert.equal(await calls.complete(parent.id, 'engine-2', done, follow(first)), false);
    assert.deepEqual((await lineage(parent.id)).map((c) => c.id), [parent.id]);
    assert.equal(await calls.complete(parent.id, 'engine-1', done, follow(first)), true);
    // A second follow-up of the same parent (a sync parent recorded twice, say) is not another call.
    assert.equal(await calls.enqueueFollowUp(follow(second)), undefined);
    assert.deepEqual((await lineage(parent.id)).map((c) => [c.id, c.status]), [[parent.id, 'success'], [first, 'queued']]);
  });

  it('shows a lineage only in its own project', async () => {
    const id = (await api().post('/v1/r/demo/c/a').type('text').send('mine')).body.call_id;
    assert.equal((await api().get(`/v1/p2/calls/${id}/lineage`)).status, 404);
    assert.equal((await api().get('/v1/demo/calls/00000000-0000-4000-8000-000000000000/lineage')).status, 404);
    assert.equal((await api().get(`/v1/demo/calls/${id}/lineage`)).body.lineage.root_call_id, id);
  });
});
