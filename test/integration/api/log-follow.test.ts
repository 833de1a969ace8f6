import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import { Lifecycle } from '../../../src/lifecycle';
import { startEngine } from '../../../src/main';
import { createTestDb, TestDb } from '../../helpers/db';
import { buildTestApi, testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** A function the test drives: it writes stderr lines when told and ends when told. */
class DrivenExecutor implements Executor {
  readonly running = new Map<string, { req: ExecutorCall; log: string; end: () => void }>();
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}
  run(req: ExecutorCall): Promise<CallOutcome> {
    const startedAt = new Date();
    req.onStart?.('cold');
    return new Promise((resolve) => {
      const c = {
        req, log: '',
        end: () => {
          this.running.delete(req.id);
          resolve({
            status: 'success', kind: 'cold', exitCode: 0, result: Buffer.from('done'), resultTruncated: false,
            log: Buffer.from(c.log), logTruncated: false, startedAt, completedAt: new Date(),
          });
        },
      };
      this.running.set(req.id, c);
    });
  }
  write(id: string, text: string): void {
    const c = this.running.get(id)!;
    c.log += text;
    c.req.logSink?.(Buffer.from(text));
  }
}

/** A streaming GET: its headers, and the text received so far (read as it arrives). */
async function follow(base: string, path: string, signal?: AbortSignal) {
  const res = await fetch(`${base}${path}`, { signal });
  const got = { status: res.status, headers: res.headers, text: '', ended: false };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      got.text += decoder.decode(value, { stream: true });
    }
    got.ended = true;
  })();
  return got;
}

// GET .../log?follow=true on two API processes sharing one database: node A runs the calls
// (in-process queue, as `fresco all`), node B only answers the API (as an `api` process whose
// calls run elsewhere).
describe('API: following a call\'s log (PostgreSQL, two API processes)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new DrivenExecutor();
  const engine = new Lifecycle();
  const servers: http.Server[] = [];
  let a: ReturnType<typeof buildTestApi>;
  let baseA: string;
  let baseB: string;

  const listen = async (app: ReturnType<typeof buildTestApi>) => {
    const s = http.createServer(app.callback());
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const json = async (base: string, path: string, body?: unknown) => (await fetch(`${base}${path}`, body === undefined ? {} : {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' },
  })).json();
  /** Starts an async call on node A and waits until its function runs. */
  const startCall = async () => {
    const id: string = (await (await fetch(`${baseA}/v1/r/demo/lf/slow`, { method: 'POST', body: 'x' })).json()).call_id;
    await waitFor('the function to run', () => executor.running.has(id));
    return id;
  };
  const followersOf = (id: string) => (a.services.running as unknown as { entries: Map<string, { tail?: { followers: Set<unknown> } }> })
    .entries.get(id)?.tail?.followers.size ?? 0;

  before(async () => {
    t = await createTestDb();
    const config = testConfig({ FRESCO_ENGINE_CALL_LEASE: '5', FRESCO_ENGINE_ENGINE_ID: 'follow-a' });
    a = buildTestApi(t.db, config, { executor });
    startEngine(config, a.services, engine);
    const b = buildTestApi(t.db, testConfig({ FRESCO_ENGINE_ENGINE_ID: 'follow-b' }), {});
    baseA = await listen(a);
    baseB = await listen(b);
    await json(baseA, '/v1/demo/apps', { app: { name: 'lf' } });
    await json(baseA, '/v1/demo/apps/lf/routes', { route: { path: '/slow', image: 'x:1', type: 'async' } });
  });
  after(async () => {
    for (const c of [...executor.running.values()]) c.end();
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await engine.close();
    await t.drop();
  });

  it('streams each line live on the node that runs the call, before the call ends, then ends with it', async () => {
    const id = await startCall();
    executor.write(id, 'first line\n');
    const f = await follow(baseA, `/v1/demo/calls/${id}/log?follow=true`);
    assert.equal(f.status, 200);
    assert.equal(f.headers.get('x-fresco-log-follow'), 'live');
    assert.match(f.headers.get('content-type')!, /^text\/plain/);
    await waitFor('what was written before the follow', () => f.text === 'first line\n');
    executor.write(id, 'FRESCO_PROGRESS 40 resizing\n');
    await waitFor('the progress line', () => f.text.endsWith('resizing\n'));
    const call = (await json(baseA, `/v1/demo/calls/${id}`)).call;
    assert.equal(call.status, 'running', 'the lines came while the call runs');
    assert.equal(call.progress, 40);
    assert.equal(call.progress_message, 'resizing');
    assert.equal(f.ended, false);
    executor.write(id, 'last line\n');
    executor.running.get(id)!.end();
    await waitFor('the follow to end with the call', () => f.ended);
    assert.equal(f.text, 'first line\nFRESCO_PROGRESS 40 resizing\nlast line\n');
    assert.equal((await json(baseA, `/v1/demo/calls/${id}`)).call.status, 'success', 'the record is final when the follow ends');
  });

  it('from another API process: waits for the call running elsewhere, sees its progress, then answers its whole log', async () => {
    const id = await startCall();
    const f = await follow(baseB, `/v1/demo/calls/${id}/log?follow=true`);
    assert.equal(f.status, 200);
    assert.equal(f.headers.get('x-fresco-log-follow'), 'final');
    executor.write(id, 'FRESCO_PROGRESS 70 almost\n');
    await waitFor('the progress, written with the lease renewal', async () => (await json(baseB, `/v1/demo/calls/${id}`)).call.progress === 70);
    assert.equal((await json(baseB, `/v1/demo/calls/${id}`)).call.progress_message, 'almost');
    assert.equal(f.ended, false, 'the follow lasts while the call runs');
    executor.write(id, 'bye\n');
    executor.running.get(id)!.end();
    await waitFor('the follow to end', () => f.ended);
    assert.equal(f.text, 'FRESCO_PROGRESS 70 almost\nbye\n');
  });

  it('answers a finished call\'s stored log at once (final), scoped to its project, and refuses a bad follow', async () => {
    const id = await startCall();
    executor.write(id, 'only line\n');
    executor.running.get(id)!.end();
    await waitFor('the call to end', async () => (await json(baseA, `/v1/demo/calls/${id}`)).call.status === 'success');
    for (const base of [baseA, baseB]) {
      const res = await fetch(`${base}/v1/demo/calls/${id}/log?follow=true`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-fresco-log-follow'), 'final');
      assert.equal(await res.text(), 'only line\n');
      assert.equal((await fetch(`${base}/v1/other/calls/${id}/log?follow=true`)).status, 404, 'not another project\'s');
    }
    const plain = await fetch(`${baseA}/v1/demo/calls/${id}/log`);
    assert.equal(plain.headers.get('x-fresco-log-follow'), null, 'without follow the answer is as before');
    assert.equal(await plain.text(), 'only line\n');
    const bad = await fetch(`${baseA}/v1/demo/calls/${id}/log?follow=yes`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /follow/);
  });

  it('lets go of a follower that disconnects', async () => {
    const id = await startCall();
    const ac = new AbortController();
    const f = await follow(baseA, `/v1/demo/calls/${id}/log?follow=true`, ac.signal);
    assert.equal(f.headers.get('x-fresco-log-follow'), 'live');
    await waitFor('the follower registered', () => followersOf(id) === 1);
    ac.abort();
    await waitFor('the follower let go', () => followersOf(id) === 0);
    executor.write(id, 'nobody listens\n');
    executor.running.get(id)!.end();
    await waitFor('the call to end', async () => (await json(baseA, `/v1/demo/calls/${id}`)).call.status === 'success');
  });
});
