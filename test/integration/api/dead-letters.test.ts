import assert from 'node:assert/strict';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import type { Identity } from '../../../src/domain/identity';
import type { Services } from '../../../src/main';
import { Sweeper } from '../../../src/services/sweeper';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildIdentityApi, testConfig, type TestCaller } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** A function that fails while its body says "fail", and echoes the body otherwise. */
class FailingExecutor implements Executor {
  readonly seen: ExecutorCall[] = [];
  /** Calls whose body starts with "hold" wait for this to be called. */
  release: () => void = () => undefined;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  async run(req: ExecutorCall): Promise<CallOutcome> {
    this.seen.push(req);
    const base = { kind: 'cold' as const, startedAt: new Date(), resultTruncated: false, logTruncated: false, log: Buffer.alloc(0) };
    const body = req.body.toString();
    if (body.startsWith('hold')) await new Promise<void>((resolve) => { this.release = resolve; });
    if (body.startsWith('fail')) return { ...base, status: 'error', exitCode: 3, result: Buffer.alloc(0), error: `failed: ${body}`, completedAt: new Date() };
    if (body.startsWith('slow')) return { ...base, status: 'timeout', result: Buffer.alloc(0), error: 'timed out', completedAt: new Date() };
    return { ...base, status: 'success', exitCode: 0, result: Buffer.from(`ok ${body}`), completedAt: new Date() };
  }
}

// Callers named by a test header: a member of demo, a reader of demo, a member of another project.
const IDENTITIES: Record<string, Identity> = {
  member: { projectId: 'demo', roles: ['member', 'reader'] },
  reader: { projectId: 'demo', roles: ['reader'] },
  other: { projectId: 'other', roles: ['member', 'reader'] },
};

describe('dead letters: failed async calls and events, list, redrive, purge (PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new FailingExecutor();
  let services: Services;
  let as: (who: string) => TestCaller;
  const api = { get: (u: string) => as('member').get(u), post: (u: string) => as('member').post(u), delete: (u: string) => as('member').delete(u) };

  /** Runs an async call of `route` with `body` to its end; returns its id. */
  async function runAsync(route: string, body: string, who = 'member', project = 'demo'): Promise<string> {
    const res = await as(who).post(`/v1/r/${project}/dl${route}`).set('Content-Type', 'text/plain').send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(await services.asyncRunner!.claimAndRun(res.body.call_id), true);
    return res.body.call_id;
  }

  before(async () => {
    t = await createTestDb();
    ({ services, as } = buildIdentityApi(t.db, IDENTITIES, { executor }));
    for (const project of ['demo', 'other']) {
      const who = project === 'demo' ? 'member' : 'other';
      assert.equal((await as(who).post(`/v1/${project}/apps`).send({ app: { name: 'dl' } })).status, 200);
      for (const path of ['/a', '/b', '/gone']) {
        const res = await as(who).post(`/v1/${project}/apps/dl/routes`).send({ route: { path, image: 'x:1', type: 'async' } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    }
  });
  after(() => t.drop());

  it('keeps a failed async call as a dead letter with its input; a successful one is not kept', async () => {
    const ok = await runAsync('/a', 'fine');
    const failed = await runAsync('/a', 'fail one');
    const list = await api.get('/v1/demo/deadletters');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.deadletters.map((d: { call_id: string }) => d.call_id), [failed]);
    assert.ok(!list.body.deadletters.some((d: { call_id: string }) => d.call_id === ok));
    const d = list.body.deadletters[0];
    assert.deepEqual([d.kind, d.app, d.route, d.reason, d.error_code, d.error, d.attempts, d.content_type, d.input_size, d.redriven_at],
      ['call', 'dl', '/a', 'error', 'FRESCO_CALL_FAILED', 'failed: fail one', 1, 'text/plain', 8, null]);
    assert.equal(d.input, undefined, 'the list leaves the input out');
    const shown = await api.get(`/v1/demo/deadletters/${d.id}`);
    assert.equal(shown.status, 200);
    assert.deepEqual([shown.body.deadletter.input.body, shown.body.deadletter.input.body_encoding], ['fail one', 'utf8']);
    assert.equal(shown.body.deadletter.input.headers['x-test-who'], 'member');
    assert.equal(shown.body.deadletter.input.headers.authorization, undefined);
  });

  it('keeps a timed-out call too, and filters by app, route, kind and time; pages newest first', async () => {
    const slow = await runAsync('/b', 'slow');
    const other = await runAsync('/b', 'fail two');
    const byRoute = await api.get('/v1/demo/deadletters?route=b');
    assert.deepEqual(byRoute.body.deadletters.map((d: { call_id: string }) => d.call_id), [other, slow]);
    assert.equal(byRoute.body.deadletters[1].reason, 'timeout');
    assert.equal(byRoute.body.deadletters[1].error_code, 'FRESCO_CALL_TIMEOUT');
    assert.equal((await api.get('/v1/demo/deadletters?app=nope')).body.deadletters.length, 0);
    assert.equal((await api.get('/v1/demo/deadletters?kind=event')).body.deadletters.length, 0);
    assert.equal((await api.get('/v1/demo/deadletters?until=2000-01-01T00:00:00Z')).body.deadletters.length, 0);
    assert.equal((await api.get(`/v1/demo/deadletters?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.deadletters.length, 0);
    const page1 = await api.get('/v1/demo/deadletters?limit=2');
    assert.equal(page1.body.deadletters.length, 2);
    assert.ok(page1.body.next);
    const page2 = await api.get(`/v1/demo/deadletters?limit=2&marker=${page1.body.next}`);
    assert.deepEqual(page2.body.deadletters.length, 1);
    assert.equal(page2.body.next, null);
    const bad = await api.get('/v1/demo/deadletters?kind=bogus&limit=0');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /kind/);
  });

  it('redrives one dead letter: a new async call with the original input, linked to it; a second redrive is a 409', async () => {
    const failed = await runAsync('/a', 'fail again');
    const d = (await api.get('/v1/demo/deadletters?route=/a')).body.deadletters.find((x: { call_id: string }) => x.call_id === failed);
    const res = await api.post(`/v1/demo/deadletters/${d.id}/redrive`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const callId = res.body.call_id;
    assert.equal(res.body.call.redrive_of, d.id);
    assert.equal(res.body.deadletter.redrive_call_id, callId);
    assert.equal(await services.asyncRunner!.claimAndRun(callId), true);
    const ran = executor.seen.find((s) => s.id === callId)!;
    assert.equal(ran.body.toString(), 'fail again', 'the original body');
    assert.equal(ran.headers['content-type'], 'text/plain');
    const shown = (await api.get(`/v1/demo/deadletters/${d.id}`)).body.deadletter;
    assert.ok(shown.redriven_at);
    assert.equal(shown.redrive_call_id, callId);
    const again = await api.post(`/v1/demo/deadletters/${d.id}/redrive`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'FRESCO_DEADLETTER_REDRIVEN');
    // The redriven call failed as well: a dead letter of its own, its call linked to the first.
    const call = (await api.get(`/v1/demo/calls/${callId}`)).body.call;
    assert.equal(call.redrive_of, d.id);
    assert.ok((await api.get('/v1/demo/deadletters?redriven=false')).body.deadletters.some((x: { call_id: string }) => x.call_id === callId));
  });

  it('answers 409 naming the route when the dead letter\'s route was deleted', async () => {
    await runAsync('/gone', 'fail gone');
    const d = (await api.get('/v1/demo/deadletters?route=/gone')).body.deadletters[0];
    assert.equal((await api.delete('/v1/demo/apps/dl/routes/gone')).status, 200);
    const res = await api.post(`/v1/demo/deadletters/${d.id}/redrive`);
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'FRESCO_DEADLETTER_ROUTE_GONE');
    assert.match(res.body.error.message, /\/gone/);
    assert.equal((await api.get(`/v1/demo/deadletters/${d.id}`)).body.deadletter.redriven_at, null, 'not marked');
  });

  it('redrives a filtered set and then all the rest, reporting each item; an empty body is refused', async () => {
    const empty = await api.post('/v1/demo/deadletters/redrive').send({});
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /all/);
    const pending = (await api.get('/v1/demo/deadletters?redriven=false&route=/b')).body.deadletters;
    assert.equal(pending.length, 2);
    const set = await api.post('/v1/demo/deadletters/redrive').send({ route: '/b' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.redriven, 2);
    assert.deepEqual(new Set(set.body.results.map((r: { id: string }) => r.id)), new Set(pending.map((d: { id: string }) => d.id)));
    const all = await api.post('/v1/demo/deadletters/redrive').send({ all: true });
    assert.equal(all.status, 200);
    // What is left: the first /a failure, the redriven call's own failure, and the one whose route is gone.
    const gone = all.body.results.filter((r: { error: { code: string } | null }) => r.error);
    assert.deepEqual(gone.map((r: { error: { code: string } }) => r.error.code), ['FRESCO_DEADLETTER_ROUTE_GONE']);
    assert.equal(all.body.redriven, all.body.results.length - 1);
    assert.equal((await api.get('/v1/demo/deadletters?redriven=false')).body.deadletters.length, 1);
  });

  it('keeps an event whose trigger\'s route is gone as a dead letter; its redrive runs it once the route is back', async () => {
    const trig = await api.post('/v1/demo/triggers').send({ trigger: {
      name: 'nightly', type: 'schedule', app: 'dl', route: '/a', schedule: '* * * * *' } });
    assert.equal(trig.status, 201, JSON.stringify(trig.body));
    assert.equal((await api.delete('/v1/demo/apps/dl/routes/a')).status, 200);
    await t.db('triggers').where({ id: trig.body.trigger.id }).update({ created_at: new Date(Date.now() - 120_000), last_fired_at: null });
    assert.equal(await services.events.fireSchedules(), 0);
    const events = (await api.get('/v1/demo/deadletters?kind=event')).body.deadletters;
    assert.equal(events.length, 1);
    assert.deepEqual([events[0].trigger, events[0].trigger_id, events[0].route, events[0].reason, events[0].error_code, events[0].call_id],
      ['schedule', trig.body.trigger.id, '/a', 'not_created', 'FRESCO_ROUTE_NOT_FOUND', null]);
    const input = (await api.get(`/v1/demo/deadletters/${events[0].id}`)).body.deadletter.input;
    assert.equal(JSON.parse(input.body).source, 'schedule');
    // Route back: the redrive runs the event.
    await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/a', image: 'x:1', type: 'async' } });
    const res = await api.post(`/v1/demo/deadletters/${events[0].id}/redrive`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.call.trigger, 'schedule');
    await api.delete(`/v1/demo/triggers/${trig.body.trigger.id}`);
  });

  it('never shows or redrives another project\'s dead letters (404), and lets a reader read only', async () => {
    const theirs = await runAsync('/a', 'fail theirs', 'other', 'other');
    const d = (await as('other').get('/v1/other/deadletters')).body.deadletters.find((x: { call_id: string }) => x.call_id === theirs);
    assert.ok(d);
    assert.ok(!(await api.get('/v1/demo/deadletters')).body.deadletters.some((x: { id: string }) => x.id === d.id));
    for (const res of [
      await api.get(`/v1/demo/deadletters/${d.id}`), await api.post(`/v1/demo/deadletters/${d.id}/redrive`),
      await api.delete(`/v1/demo/deadletters/${d.id}`),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'FRESCO_DEADLETTER_NOT_FOUND');
    }
    assert.equal((await api.get('/v1/other/deadletters')).status, 403, 'a member of demo cannot name other');
    const reader = as('reader');
    assert.equal((await reader.get('/v1/demo/deadletters')).status, 200);
    const mine = (await reader.get('/v1/demo/deadletters')).body.deadletters[0];
    assert.equal((await reader.get(`/v1/demo/deadletters/${mine.id}`)).status, 200);
    for (const res of [
      await reader.post(`/v1/demo/deadletters/${mine.id}/redrive`), await reader.post('/v1/demo/deadletters/redrive').send({ all: true }),
      await reader.delete(`/v1/demo/deadletters/${mine.id}`), await reader.post('/v1/demo/deadletters/purge').send({ all: true }),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'FRESCO_POLICY_FORBIDDEN');
    }
  });

  it('does not keep a failed call whose route\'s on_failure handed the failure on', async () => {
    const r = await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/handed', image: 'x:1', type: 'async', on_failure: '/b' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const id = await runAsync('/handed', 'fail handed');
    assert.equal((await api.get(`/v1/demo/calls/${id}`)).body.call.status, 'error');
    assert.deepEqual((await api.get('/v1/demo/deadletters?route=/handed')).body.deadletters, []);
    assert.equal((await api.delete('/v1/demo/apps/dl/routes/handed')).status, 200);
  });

  it('deletes one, purges by filter and age, then all; another project\'s are untouched', async () => {
    const list = (await api.get('/v1/demo/deadletters')).body.deadletters;
    assert.ok(list.length >= 3);
    assert.equal((await api.delete(`/v1/demo/deadletters/${list[0].id}`)).status, 200);
    assert.equal((await api.get(`/v1/demo/deadletters/${list[0].id}`)).status, 404);
    assert.equal((await api.post('/v1/demo/deadletters/purge').send({})).status, 400);
    const young = await api.post('/v1/demo/deadletters/purge').send({ older_than: 3600 });
    assert.deepEqual([young.status, young.body.purged], [200, 0]);
    const byRoute = await api.post('/v1/demo/deadletters/purge').send({ route: '/gone' });
    assert.equal(byRoute.body.purged, 1);
    const all = await api.post('/v1/demo/deadletters/purge').send({ all: true });
    assert.equal(all.body.purged, list.length - 2);
    assert.equal((await api.get('/v1/demo/deadletters')).body.deadletters.length, 0);
    assert.equal((await as('other').get('/v1/other/deadletters')).body.deadletters.length, 1);
  });

  it('replays a finished async call with its kept input; refuses sync, unfinished, gone-route and other projects\' calls', async () => {
    await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/sync', image: 'x:1' } });
    const first = await runAsync('/b', 'replay me');
    const res = await api.post(`/v1/demo/calls/${first}/replay`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.call.replay_of, first);
    assert.equal(res.headers.location, `/v1/demo/calls/${res.body.call_id}`);
    assert.equal(await services.asyncRunner!.claimAndRun(res.body.call_id), true);
    const replayed = (await api.get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.deepEqual([replayed.status, replayed.result, replayed.replay_of], ['success', 'ok replay me', first]);
    const sync = await api.post('/v1/r/demo/dl/sync').send('hi');
    const refused = await api.post(`/v1/demo/calls/${sync.body.call_id}/replay`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'FRESCO_CALL_NOT_REPLAYABLE');
    assert.match(refused.body.error.message, /input was not kept/);
    const queued = (await api.post('/v1/r/demo/dl/b').set('Content-Type', 'text/plain').send('later')).body.call_id;
    assert.match((await api.post(`/v1/demo/calls/${queued}/replay`)).body.error.message, /still queued/);
    const gone = await runAsync('/a', 'fine');
    assert.equal((await api.delete('/v1/demo/apps/dl/routes/a')).status, 200);
    assert.match((await api.post(`/v1/demo/calls/${gone}/replay`)).body.error.message, /route \/a of app "dl" no longer exists/);
    const theirs = await as('other').post('/v1/r/other/dl/b').set('Content-Type', 'text/plain').send('x');
    const hidden = await api.post(`/v1/other/calls/${theirs.body.call_id}/replay`);
    assert.equal(hidden.status, 403);
    const cross = await api.post(`/v1/demo/calls/${theirs.body.call_id}/replay`);
    assert.deepEqual([cross.status, cross.body.error.code], [404, 'FRESCO_CALL_NOT_FOUND']);
    assert.equal((await as('reader').post(`/v1/demo/calls/${first}/replay`)).status, 403);
  });

  it('replays a sync call of a keep_input route with the same body and content type, without its credentials', async () => {
    const bad = await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/keep', image: 'x:1', keep_input: 'yes' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /route\.keep_input/);
    const created = await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/keep', image: 'x:1', keep_input: true } });
    assert.deepEqual([created.status, created.body.route.keep_input], [200, true], JSON.stringify(created.body));
    const plain = await api.post('/v1/demo/apps/dl/routes').send({ route: { path: '/plain', image: 'x:1' } });
    assert.equal(plain.body.route.keep_input, false);
    const sync = await api.post('/v1/r/demo/dl/keep').set('Content-Type', 'application/x-kept').set('X-Auth-Token', 'secret-token')
      .send('kept body');
    assert.deepEqual([sync.status, sync.body.result], [200, 'ok kept body']);
    const callId = sync.body.call_id;
    assert.ok(callId, JSON.stringify(sync.headers));
    const res = await api.post(`/v1/demo/calls/${callId}/replay`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.call.replay_of, callId);
    assert.equal(await services.asyncRunner!.claimAndRun(res.body.call_id), true);
    const replayed = (await api.get(`/v1/demo/calls/${res.body.call_id}`)).body.call;
    assert.deepEqual([replayed.status, replayed.result, replayed.replay_of, replayed.trigger], ['success', 'ok kept body', callId, 'async']);
    const run = executor.seen[executor.seen.length - 1];
    assert.equal(run.id, res.body.call_id);
    assert.equal(run.body.toString(), 'kept body');
    assert.equal(run.headers['content-type'], 'application/x-kept');
    assert.equal(run.headers['x-auth-token'], undefined, 'the credential is not kept');
    const row = await t.db('calls').where({ id: callId }).first('request');
    assert.ok(row.request, 'the sync call\'s record keeps its input');
    assert.ok(!JSON.stringify(row.request).includes('secret-token'), 'no credential in the kept input');
    // Turned off, the route's next sync calls keep nothing again.
    const off = await as('member').put('/v1/demo/apps/dl/routes/plain').send({ route: { keep_input: false } });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const other = await api.post('/v1/r/demo/dl/plain').send('not kept');
    const otherId = other.body.call_id;
    const refused = await api.post(`/v1/demo/calls/${otherId}/replay`);
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'FRESCO_CALL_NOT_REPLAYABLE']);
    assert.match(refused.body.error.message, /keep_input/);
  });

  it('keeps a slow sync call\'s input only once it finished: while running its record has none, so a lost engine never requeues it', async () => {
    const answer = api.post('/v1/r/demo/dl/keep').set('Content-Type', 'text/plain').send('hold on').then((r) => r);
    const running = await waitFor('the slow sync call recorded as running',
      async () => t.db('calls').where({ route: '/keep', status: 'running' }).first('id', 'request'));
    assert.equal(running.request, null);
    executor.release();
    const done = await answer;
    assert.deepEqual([done.status, done.body.call_id], [200, running.id]);
    const res = await api.post(`/v1/demo/calls/${running.id}/replay`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const replayed = executor.seen.length;
    const ran = services.asyncRunner!.claimAndRun(res.body.call_id);
    await waitFor('the replay to run', () => executor.seen.length > replayed);
    executor.release();
    assert.equal(await ran, true);
    assert.equal(executor.seen[executor.seen.length - 1].body.toString(), 'hold on');
  });

  it('lets the sweeper purge dead letters past dead_letter_retention', async () => {
    await t.db('dead_letters').update({ created_at: new Date(Date.now() - 15 * 86400_000) });
    const sweeper = new Sweeper({ calls: services.callStore, queue: services.queue, deadLetters: services.deadLetterStore },
      { intervalMs: 1000, maxAttempts: 3, retentionMs: 86400_000, deadLetterRetentionMs: testConfig().DEFAULT.dead_letter_retention * 1000 });
    assert.equal(await sweeper.purgeDeadLetters(), 1);
    assert.equal((await as('other').get('/v1/other/deadletters')).body.deadletters.length, 0);
  });
});
