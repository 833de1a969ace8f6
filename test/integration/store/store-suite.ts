import assert from 'node:assert/strict';
import type { Db } from '../../../src/store/db';
import { KnexAppStore } from '../../../src/store/app-store';
import { KnexCallStore } from '../../../src/store/call-store';
import { KnexRouteStore } from '../../../src/store/route-store';
import { KnexTriggerStore } from '../../../src/store/trigger-store';
import { KnexDeadLetterStore } from '../../../src/store/dead-letter-store';
import type { CallOutcome, CallRequest, NewCall, NewRoute, NewTrigger } from '../../../src/domain/models';
import { waitFor } from '../../helpers/wait';

// One store suite — apps, routes, calls, triggers — run on real PostgreSQL and on the embedded PGlite.

const route = (over: Partial<NewRoute> = {}): NewRoute => ({
  projectId: 'p1', appName: 'app', path: '/hello', image: 'hello:1', type: 'sync', format: 'default', memory: 128,
  timeout: 30, idleTimeout: 30, maxConcurrency: 1, headers: {}, config: {}, isPublic: false, ...over,
});

const request: CallRequest = { method: 'POST', url: 'http://x/r/app/hello', requestPath: '/r/app/hello', headers: { a: 'b' }, body: Buffer.from('body') };
const newCall = (over: Partial<NewCall> = {}): NewCall => ({
  projectId: 'p1', app: 'app', route: '/hello', trigger: 'async', request, ...over,
});
const outcome = (over: Partial<CallOutcome> = {}): CallOutcome => ({
  status: 'success', kind: 'cold', startedAt: new Date(Date.now() - 50), completedAt: new Date(), exitCode: 0,
  result: Buffer.from('out'), resultTruncated: false, log: Buffer.from('log'), logTruncated: false, ...over,
});
const trigger = (over: Partial<NewTrigger> = {}): NewTrigger => ({
  projectId: 'p1', name: 'on-put', type: 'swift', app: 'app', route: '/hello', filter: { container: 'photos' },
  enabled: true, ...over,
});

/** Registers the store tests against the database `open` gives. */
export function storeSuite(name: string, open: () => Promise<{ db: Db; drop(): Promise<void> }>): void {
  describe(`stores on ${name}`, () => {
    let handle: { db: Db; drop(): Promise<void> };
    let apps: KnexAppStore;
    let routes: KnexRouteStore;
    let calls: KnexCallStore;
    let triggers: KnexTriggerStore;
    let dead: KnexDeadLetterStore;
    before(async () => {
      handle = await open();
      apps = new KnexAppStore(handle.db);
      routes = new KnexRouteStore(handle.db);
      calls = new KnexCallStore(handle.db);
      triggers = new KnexTriggerStore(handle.db);
      dead = new KnexDeadLetterStore(handle.db);
    });
    after(async () => {
      await calls.close();
      await handle.drop();
    });
    beforeEach(async () => {
      for (const table of ['dead_letters', 'calls', 'triggers', 'routes', 'apps']) await handle.db(table).delete();
    });

    it('keeps app names unique per project, not across projects', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: { A: '1' } });
      await assert.rejects(apps.create({ projectId: 'p1', name: 'app', description: '', config: {} }),
        { code: 'FRESCO_APP_EXISTS', status: 409 });
      await apps.create({ projectId: 'p2', name: 'app', description: '', config: {} });
      assert.deepEqual((await apps.list('p1')).map((a) => [a.name, a.config]), [['app', { A: '1' }]]);
    });

    it('refuses to delete an app that still has routes', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await routes.create(route());
      await assert.rejects(apps.delete('p1', 'app'), { code: 'FRESCO_APP_HAS_ROUTES', status: 409 });
      assert.ok(await apps.get('p1', 'app'));
      assert.equal(await routes.delete('p1', 'app', '/hello'), true);
      assert.equal(await apps.delete('p1', 'app'), true);
    });

    it('stores routes with slashes and finds public ones by URL only', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await routes.create(route({ path: '/img/resize', isPublic: true, headers: { 'X-A': ['1'] } }));
      const got = await routes.get('p1', 'app', '/img/resize');
      assert.deepEqual(got?.headers, { 'X-A': ['1'] });
      assert.equal((await routes.getPublic('app', '/img/resize'))?.projectId, 'p1');
      await routes.update('p1', 'app', '/img/resize', { isPublic: false });
      assert.equal(await routes.getPublic('app', '/img/resize'), undefined);
    });

    it('keeps a route\'s min_hot (0 unless set) and lists one app name across projects', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await apps.create({ projectId: 'p2', name: 'app', description: '', config: {} });
      assert.equal((await routes.create(route()))?.minHot, 0);
      await routes.create(route({ projectId: 'p2', minHot: 2 }));
      assert.equal((await routes.get('p2', 'app', '/hello'))?.minHot, 2);
      assert.equal((await routes.update('p1', 'app', '/hello', { minHot: 3 }))?.minHot, 3);
      assert.deepEqual((await routes.listAllProjects('app')).map((r) => [r.projectId, r.minHot]), [['p1', 3], ['p2', 2]]);
      await routes.update('p1', 'app', '/hello', { minHot: 0 });
      assert.deepEqual((await routes.listMinHot()).map((r) => [r.projectId, r.path]), [['p2', '/hello']], 'the routes an engine warms at start');
    });

    it('lets only one project claim a public URL', async () => {
      await apps.create({ projectId: 'p1', name: 'app', description: '', config: {} });
      await apps.create({ projectId: 'p2', name: 'app', description: '', config: {} });
      await routes.create(route({ isPublic: true }));
      await routes.create(route({ projectId: 'p2' }));
      await assert.rejects(routes.update('p2', 'app', '/hello', { isPublic: true }),
        { code: 'FRESCO_ROUTE_PUBLIC_URL_TAKEN', status: 409 });
      await assert.rejects(routes.create(route()), { code: 'FRESCO_ROUTE_EXISTS' });
    });

    it('takes a queued call once, runs it under a lease, and records its outcome and log', async () => {
      const queued = await calls.enqueue(newCall({ dedupeKey: 'k1' }));
      assert.equal(queued?.status, 'queued');
      assert.equal(await calls.enqueue(newCall({ dedupeKey: 'k1' })), undefined, 'the same dedupe key inserts nothing');
      const claimed = await calls.claim(queued!.id, 'e1', 60_000);
      assert.deepEqual([claimed?.call.status, claimed?.call.attempts, claimed?.request], ['running', 1, request]);
      const column = (await handle.db('calls').where({ id: queued!.id }).first('request')).request;
      assert.deepEqual(typeof column === 'string' ? JSON.parse(column) : column, { ...request, body: 'Ym9keQ==' },
        'the request column keeps its JSON shape, the body in base64');
      assert.equal(await calls.claim(queued!.id, 'e2', 60_000), undefined, 'a running call is not taken twice');
      await calls.markStarted(queued!.id, 'hot', new Date());
      assert.equal(await calls.renewLease(queued!.id, 'e2', 60_000), false);
      assert.equal(await calls.renewLease(queued!.id, 'e1', 60_000), true);
      assert.equal(await calls.complete(queued!.id, 'e2', outcome()), false, 'only the engine holding the lease completes');
      assert.equal(await calls.complete(queued!.id, 'e1', outcome({ status: 'error', exitCode: 3 })), true);
      const done = await calls.get('p1', queued!.id);
      assert.deepEqual([done?.status, done?.exitCode, done?.result?.toString()], ['error', 3, 'out']);
      assert.deepEqual(await calls.getLog('p1', queued!.id), { log: Buffer.from('log'), truncated: false });
      assert.equal(await calls.get('p2', queued!.id), undefined, 'other projects do not see it');
      assert.equal(await calls.get('p1', 'not-a-uuid'), undefined);
    });

    it('records a call its accepting engine runs at once as claimed: leased, its first attempt, never handed out again', async () => {
      const here = (await calls.enqueue(newCall({ dedupeKey: 'h1' }), { engineId: 'e1', leaseMs: 1 }))!;
      assert.deepEqual([here.status, here.attempts], ['running', 1]);
      assert.equal(await calls.enqueue(newCall({ dedupeKey: 'h1' }), { engineId: 'e1', leaseMs: 60_000 }), undefined,
        'the same dedupe key inserts nothing');
      const row = await handle.db('calls').where({ id: here.id }).first('status', 'engine_id', 'attempts', 'lease_until', 'created_at');
      assert.deepEqual([row.status, row.engine_id, row.attempts], ['running', 'e1', 1]);
      assert.ok(row.lease_until > row.created_at, 'leased from the database clock');
      assert.deepEqual(await calls.claimQueued('e2', 60_000, 10), [], 'not queued: no other engine picks it');
      assert.equal(await calls.claim(here.id, 'e2', 60_000), undefined);
      // Its engine lost (the lease ran out): the call goes back to the queue with its input, as a claimed one does.
      await waitFor('the lease to expire', async () => (await calls.requeueExpired(3)).includes(here.id));
      const again = await calls.claim(here.id, 'e2', 60_000);
      assert.deepEqual([again?.call.attempts, again?.request], [2, request]);
      assert.equal(await calls.complete(here.id, 'e1', outcome()), false, 'the first engine no longer records it');
      assert.equal(await calls.complete(here.id, 'e2', outcome()), true);
    });

    it('hands the oldest queued calls to engines one each, and puts requeued ones back', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await calls.enqueue(newCall()))!.id);
      const [[a, ...moreA], [b, ...moreB]] = await Promise.all([calls.claimQueued('e1', 60_000, 1), calls.claimQueued('e2', 60_000, 1)]);
      assert.deepEqual([moreA.length, moreB.length], [0, 0], 'a limit of 1 claims at most one');
      assert.deepEqual([a?.call.id, b?.call.id].sort(), ids.slice(0, 2).sort());
      assert.equal(await calls.requeue(a!.call.id, 'e2'), false);
      assert.equal(await calls.requeue(a!.call.id, 'e1'), true);
      assert.equal((await calls.get('p1', a!.call.id))?.status, 'queued');
      assert.deepEqual((await calls.listStaleQueued(new Date(Date.now() + 1000), 10)).sort(), [a!.call.id, ids[2]].sort());
    });

    it('cancels queued and running calls; a cancelled call is no longer its engine\'s', async () => {
      const q = (await calls.enqueue(newCall()))!;
      const r = (await calls.enqueue(newCall()))!;
      await calls.claim(r.id, 'e1', 60_000);
      assert.equal((await calls.cancel('p1', q.id))?.status, 'cancelled');
      assert.equal((await calls.cancel('p1', r.id))?.error, 'cancelled by the user');
      assert.equal(await calls.renewLease(r.id, 'e1', 60_000), false);
      assert.equal(await calls.complete(r.id, 'e1', outcome()), false);
      assert.equal(await calls.cancel('p2', q.id), undefined);
    });

    it('requeues async calls whose lease expired, up to maxAttempts, and fails sync ones', async () => {
      const async1 = (await calls.enqueue(newCall()))!;
      await calls.claim(async1.id, 'e1', 1);
      await calls.recordRunning('00000000-0000-4000-8000-000000000001', newCall({ trigger: 'http', request: undefined }), 'e1', new Date(), 1);
      const requeued: string[] = [];
      await waitFor('both leases to expire', async () => {
        requeued.push(...await calls.requeueExpired(2));
        return requeued.length > 0 && (await calls.get('p1', '00000000-0000-4000-8000-000000000001'))?.status === 'error';
      });
      assert.deepEqual(requeued, [async1.id]);
      const sync = await calls.get('p1', '00000000-0000-4000-8000-000000000001');
      assert.deepEqual([sync?.status, sync?.error], ['error', 'the process running this sync call stopped answering']);
      await calls.claim(async1.id, 'e1', 1);
      await waitFor('the second lease to expire', async () => {
        await calls.requeueExpired(2);
        return (await calls.get('p1', async1.id))?.status === 'error';
      });
      const failed = await calls.get('p1', async1.id);
      assert.deepEqual([failed?.status, failed?.attempts], ['error', 2]);
      // Out of attempts on lost engines: a dead letter; the sync call (no input kept) is not one.
      const { deadLetters } = await dead.list('p1', { limit: 10 });
      assert.deepEqual(deadLetters.map((d) => [d.callId, d.reason, d.errorCode, d.attempts]), [[async1.id, 'lost', 'FRESCO_ENGINE_LOST', 2]]);
    });

    it('writes a failed call\'s dead letter with its outcome, only where the call is still the engine\'s', async () => {
      const [a, b, c] = [(await calls.enqueue(newCall()))!, (await calls.enqueue(newCall()))!, (await calls.enqueue(newCall()))!];
      for (const x of [a, b, c]) await calls.claim(x.id, 'e1', 60_000);
      const failed = outcome({ status: 'error', exitCode: 2, error: 'boom' });
      const written = await Promise.all([calls.complete(a.id, 'e1', failed, undefined, true), calls.complete(b.id, 'e1', outcome(), undefined, false),
        calls.complete(c.id, 'e2', failed, undefined, true)]);
      assert.deepEqual(written, [true, true, false]);
      const { deadLetters } = await dead.list('p1', { limit: 10 });
      assert.equal(deadLetters.length, 1);
      const d = deadLetters[0];
      assert.deepEqual([d.kind, d.callId, d.app, d.route, d.trigger, d.reason, d.errorCode, d.error, d.attempts],
        ['call', a.id, 'app', '/hello', 'async', 'error', 'FRESCO_CALL_FAILED', 'boom', 1]);
      assert.deepEqual([d.input.method, d.input.headers, d.input.body.toString()], ['POST', { a: 'b' }, 'body']);
      assert.equal((await calls.get('p1', a.id))?.status, 'error');
    });

    it('keeps dead letters per project: dedupe, filters, pages, one redrive with its call, purge', async () => {
      const base = { kind: 'event' as const, app: 'app', route: '/hello', trigger: 'swift' as const, reason: 'not_created', attempts: 0, input: request };
      assert.equal(await dead.add({ ...base, projectId: 'p1', dedupeKey: 'k' }), true);
      assert.equal(await dead.add({ ...base, projectId: 'p1', dedupeKey: 'k' }), false, 'a redelivered event');
      for (let i = 0; i < 3; i++) await dead.add({ ...base, projectId: 'p1', kind: 'call', route: '/other' });
      await dead.add({ ...base, projectId: 'p2' });
      const all = await dead.list('p1', { limit: 10 });
      assert.equal(all.deadLetters.length, 4);
      assert.equal((await dead.list('p1', { kind: 'event', limit: 10 })).deadLetters.length, 1);
      assert.equal((await dead.list('p1', { route: '/other', limit: 10 })).deadLetters.length, 3);
      const p1 = await dead.list('p1', { limit: 3 });
      const p2 = await dead.list('p1', { limit: 3, marker: p1.next! });
      assert.deepEqual([...p1.deadLetters, ...p2.deadLetters].map((d) => d.id), all.deadLetters.map((d) => d.id));
      assert.equal(p2.next, null);
      const theirs = (await dead.list('p2', { limit: 10 })).deadLetters[0];
      assert.equal(await dead.get('p1', theirs.id), undefined);
      assert.equal(await calls.enqueueRedrive(newCall({ redriveOf: theirs.id })), undefined, 'not across projects');
      assert.equal(await dead.delete('p1', theirs.id), false);
      const mine = all.deadLetters[0];
      // The redrive's call and its mark commit together; a second redrive writes nothing.
      const [first, second] = await Promise.all([calls.enqueueRedrive(newCall({ redriveOf: mine.id })),
        calls.enqueueRedrive(newCall({ redriveOf: mine.id }))]);
      const winner = first ?? second;
      assert.ok(winner && !(first && second), 'redriven once');
      assert.deepEqual([winner.status, winner.redriveOf], ['queued', mine.id]);
      assert.equal((await dead.get('p1', mine.id))?.redriveCallId, winner.id);
      assert.equal((await handle.db('calls').where({ redrive_of: mine.id })).length, 1);
      assert.equal((await dead.list('p1', { redriven: false, limit: 10 })).deadLetters.length, 3);
      assert.equal((await dead.list('p1', { redriven: true, limit: 10 })).deadLetters.length, 1);
      assert.equal(await dead.purge('p1', { kind: 'event', olderThan: new Date(Date.now() - 60_000) }), 0);
      assert.equal(await dead.purge('p1', { kind: 'event' }), 1);
      assert.equal(await dead.purgeBefore(new Date(Date.now() + 1000)), 4);
      assert.equal((await dead.list('p2', { limit: 10 })).deadLetters.length, 0);
    });

    it('records finished sync calls behind the caller, lists them by page and filter, and purges old ones', async () => {
      const ids = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c'];
      for (const [i, id] of ids.entries()) {
        await calls.recordFinished(id, newCall({ trigger: 'http', route: i === 2 ? '/other' : '/hello' }),
          outcome({ startedAt: new Date(Date.now() - 10_000 + i * 1000), completedAt: new Date(Date.now() - 9000 + i * 1000) }));
      }
      const first = await calls.list('p1', { limit: 2 });
      assert.deepEqual(first.calls.map((c) => c.id), [ids[2], ids[1]]);
      const second = await calls.list('p1', { limit: 2, marker: first.next! });
      assert.deepEqual([second.calls.map((c) => c.id), second.next], [[ids[0]], null]);
      assert.deepEqual((await calls.list('p1', { limit: 10, route: '/other' })).calls.map((c) => c.id), [ids[2]]);
      assert.deepEqual((await calls.list('p2', { limit: 10 })).calls, []);
      assert.equal(await calls.purge(new Date(Date.now() - 7500)), 2);
      assert.deepEqual((await calls.list('p1', { limit: 10 })).calls.map((c) => c.id), [ids[2]]);
    });

    it('keeps trigger names unique per project and finds triggers by project, id and type', async () => {
      const t = await triggers.create(trigger({ secret: 's3cret' }));
      await assert.rejects(triggers.create(trigger()), { code: 'FRESCO_TRIGGER_EXISTS', status: 409 });
      const other = await triggers.create(trigger({ projectId: 'p2', type: 'schedule', schedule: '* * * * *', timezone: 'UTC' }));
      assert.deepEqual((await triggers.list('p1')).map((x) => [x.name, x.filter, x.secret]), [['on-put', { container: 'photos' }, 's3cret']]);
      assert.equal((await triggers.get('p2', t.id)), undefined);
      assert.equal((await triggers.getById(t.id))?.projectId, 'p1');
      assert.deepEqual((await triggers.listEnabled(['schedule'])).map((x) => x.id), [other.id]);
      assert.deepEqual((await triggers.listEnabled(['swift', 'schedule'], 'p1')).map((x) => x.id), [t.id]);
      const off = await triggers.update('p1', t.id, { enabled: false, filter: { container: 'docs' } });
      assert.deepEqual([off?.enabled, off?.filter], [false, { container: 'docs' }]);
      assert.deepEqual(await triggers.listEnabled(['swift']), []);
      await triggers.create(trigger({ name: 'second' }));
      await assert.rejects(triggers.update('p1', t.id, { name: 'second' }), { code: 'FRESCO_TRIGGER_EXISTS' });
      assert.equal(await triggers.delete('p2', t.id), false);
      assert.equal(await triggers.delete('p1', t.id), true);
      assert.equal(await triggers.get('p1', t.id), undefined);
    });

    it('moves a trigger\'s last firing forward only from the value the caller saw', async () => {
      const t = await triggers.create(trigger({ type: 'schedule', schedule: '* * * * *', timezone: 'UTC' }));
      const first = new Date('2026-01-01T00:01:00Z');
      assert.equal(await triggers.advanceFired(t.id, undefined, first), true);
      assert.equal(await triggers.advanceFired(t.id, undefined, first), false, 'another process already fired it');
      assert.equal(await triggers.advanceFired(t.id, first, new Date('2026-01-01T00:02:00Z')), true);
      assert.equal((await triggers.get('p1', t.id))?.lastFiredAt?.toISOString(), '2026-01-01T00:02:00.000Z');
    });

    it('keeps a job\'s start, count, input and end, and ends it when its last firing is taken', async () => {
      const startAt = new Date('2026-01-01T00:00:30Z');
      const t = await triggers.create(trigger({ type: 'schedule', schedule: '* * * * *', timezone: 'UTC', startAt, remaining: 2, input: '{"a":1}' }));
      assert.deepEqual([t.startAt?.toISOString(), t.remaining, t.input, t.ended], [startAt.toISOString(), 2, '{"a":1}', undefined]);
      const plain = await triggers.create(trigger({ name: 'plain', type: 'schedule', schedule: '* * * * *', timezone: 'UTC' }));
      assert.deepEqual([plain.startAt, plain.remaining, plain.input, plain.ended], [undefined, undefined, undefined, undefined]);
      assert.equal(await triggers.advanceFired(t.id, undefined, startAt, true), true);
      let now = await triggers.get('p1', t.id);
      assert.deepEqual([now?.remaining, now?.ended, now?.enabled], [1, undefined, true]);
      assert.equal(await triggers.advanceFired(t.id, startAt, new Date('2026-01-01T00:01:00Z'), true), true);
      now = await triggers.get('p1', t.id);
      assert.deepEqual([now?.remaining, now?.ended, now?.enabled], [0, 'done', false], 'the last firing ends it');
      assert.deepEqual((await triggers.listEnabled(['schedule'])).map((x) => x.id), [plain.id]);
      // A firing without countdown leaves a count alone; an update sets and clears the job fields.
      assert.equal(await triggers.advanceFired(plain.id, undefined, startAt), true);
      const changed = await triggers.update('p1', plain.id, { startAt: new Date('2026-02-01T00:00:00Z'), remaining: 5, input: '"x"', ended: 'cancelled' });
      assert.deepEqual([changed?.startAt?.toISOString(), changed?.remaining, changed?.input, changed?.ended],
        ['2026-02-01T00:00:00.000Z', 5, '"x"', 'cancelled']);
      const cleared = await triggers.update('p1', plain.id, { startAt: null, remaining: null, input: null, ended: null });
      assert.deepEqual([cleared?.startAt, cleared?.remaining, cleared?.input, cleared?.ended], [undefined, undefined, undefined, undefined]);
      await triggers.create(trigger({ projectId: 'p2', name: 'theirs' }));
      assert.deepEqual((await triggers.listAllProjects()).map((x) => [x.projectId, x.name]), [['p1', 'on-put'], ['p1', 'plain'], ['p2', 'theirs']]);
    });

    it('lists every project\'s calls when asked to', async () => {
      await calls.recordFinished('00000000-0000-4000-8000-0000000000a1', newCall({ trigger: 'http' }), outcome({}));
      await calls.recordFinished('00000000-0000-4000-8000-0000000000a2', newCall({ trigger: 'http', projectId: 'p2' }), outcome({}));
      assert.equal((await calls.list('p1', { limit: 10 })).calls.length, 1);
      assert.deepEqual((await calls.list('p1', { limit: 10, allProjects: true })).calls.map((c) => c.projectId).sort(), ['p1', 'p2']);
    });
  });
}
