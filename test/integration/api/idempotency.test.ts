import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';
import { start, type Started } from '../../../src/main';
import { createTestDb, TestDb } from '../../helpers/db';
import { testConfig } from '../../helpers/api';
import { waitFor } from '../../helpers/wait';

/** Counts the function runs of every API process; a body "gated" waits until open() is called. */
class CountingExecutor implements Executor {
  readonly seen: ExecutorCall[] = [];
  private gate!: Promise<void>;
  open!: () => void;

  constructor() { this.close(); }
  close(): void { this.gate = new Promise((r) => { this.open = r; }); }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  retireRoutes(): void {}

  async run(req: ExecutorCall): Promise<CallOutcome> {
    this.seen.push(req);
    const startedAt = new Date();
    const body = req.body.toString();
    if (body === 'gated') await this.gate;
    const base = { kind: 'cold' as const, startedAt, resultTruncated: false, logTruncated: false, log: Buffer.from('log\n'), completedAt: new Date() };
    if (body === 'fail') return { ...base, status: 'error', exitCode: 3, result: Buffer.alloc(0), error: 'exit code 3' };
    return { ...base, status: 'success', exitCode: 0, result: Buffer.from(`run ${this.seen.length}: ${body}`) };
  }
}

describe('Idempotency-Key: one run per key, across API processes (PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  const executor = new CountingExecutor();
  const processes: Started[] = [];
  const dirs: string[] = [];

  /** An api-role process on the test database, with its own state directory and engine id. */
  async function apiProcess(env: Record<string, string> = {}): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-idem-'));
    dirs.push(dir);
    const p = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_BIND_HOST: '127.0.0.1', FRESCO_STATE_PATH: dir,
      FRESCO_ENGINE_ENGINE_ID: `test-idem-${randomUUID().slice(0, 8)}`, ...env,
    }), 'api', { executor });
    processes.push(p);
    return `http://127.0.0.1:${p.address!.port}`;
  }

  const run = (base: string, route: string, body: string, key?: string, headers: Record<string, string> = {}) => fetch(`${base}/v1/r/demo/idem${route}`, {
    method: 'POST', body, headers: { 'content-type': 'text/plain', ...(key === undefined ? {} : { 'Idempotency-Key': key }), ...headers },
  });
  const runsOf = (body: string) => executor.seen.filter((s) => s.body.toString() === body).length;
  const recordsOf = async (ids: string[]) => Number((await t.db('calls').whereIn('id', ids).count({ n: '*' }))[0].n);

  let a: string;
  let b: string;
  before(async () => {
    t = await createTestDb();
    a = await apiProcess();
    b = await apiProcess();
    for (const route of [{ path: '/sync', image: 'x:1' }, { path: '/other', image: 'x:1' }, { path: '/job', image: 'x:1', type: 'async' }]) {
      const res = await fetch(`${a}/v1/demo/apps`, { method: 'POST', body: JSON.stringify({ app: { name: 'idem' } }), headers: { 'content-type': 'application/json' } });
      assert.ok(res.status === 200 || res.status === 201 || res.status === 409, `app: ${res.status}`);
      const r = await fetch(`${a}/v1/demo/apps/idem/routes`, { method: 'POST', body: JSON.stringify({ route }), headers: { 'content-type': 'application/json' } });
      assert.ok(r.status < 300, `route ${route.path}: ${r.status} ${await r.text()}`);
    }
  });
  after(async () => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await t.drop();
  });

  it('runs a sync call once when the same key reaches two API processes at once, and gives its answer again', async () => {
    executor.close();
    const key = `order-${randomUUID()}`;
    const sent = Array.from({ length: 8 }, (_, i) => run(i % 2 ? b : a, '/sync', 'gated', key));
    await waitFor('the first call to start', () => runsOf('gated') >= 1);
    // The others are answered while the first still runs: 409 with its call id.
    const early = await Promise.race(sent.map((p) => p.then((r) => r)));
    executor.open();
    const answers = await Promise.all(sent);
    assert.equal(runsOf('gated'), 1, 'the function ran once');
    const ok = answers.filter((r) => r.status === 200);
    const busy = answers.filter((r) => r.status === 409);
    assert.equal(ok.length + busy.length, 8, answers.map((r) => r.status).join());
    assert.ok(ok.length >= 1);
    // The gated first call cannot answer before open(): the earliest answer is a duplicate's.
    assert.equal(early.status, 409);
    const firstId = executor.seen.find((s) => s.body.toString() === 'gated')!.id;
    for (const r of busy) {
      assert.equal(r.headers.get('x-fresco-call-id'), firstId);
      const body = await r.json();
      assert.equal(body.error.code, 'FRESCO_IDEMPOTENCY_IN_PROGRESS');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    const okBodies = await Promise.all(ok.map((r) => r.json()));
    const firstBody = okBodies[0];
    assert.equal(firstBody.call_id, firstId);
    assert.equal(firstBody.result, `run ${executor.seen.findIndex((s) => s.id === firstId) + 1}: gated`);
    for (const body of okBodies) assert.deepEqual(body, firstBody);
    // After it finished, both processes answer its recorded answer, without running it again.
    for (const base of [a, b, a]) {
      const again = await run(base, '/sync', 'gated', key);
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), firstBody);
      assert.equal(again.headers.get('x-fresco-call-id'), firstId);
    }
    assert.equal(runsOf('gated'), 1);
    await waitFor('the call record', async () => (await recordsOf([firstId])) === 1);
    const records = await t.db('calls').where({ project_id: 'demo', app: 'idem', route: '/sync' }).count({ n: '*' });
    assert.equal(Number(records[0].n), 1, 'one call record');
  });

  it("gives a failed sync call's error again, with the same call id", async () => {
    const key = randomUUID();
    const first = await run(a, '/sync', 'fail', key);
    assert.equal(first.status, 502);
    const firstBody = await first.json();
    const again = await run(b, '/sync', 'fail', key);
    assert.equal(again.status, 502);
    const againBody = await again.json();
    assert.equal(againBody.call_id, firstBody.call_id);
    assert.equal(againBody.error.code, 'FRESCO_CALL_FAILED');
    assert.equal(runsOf('fail'), 1);
  });

  it('accepts an async call once: every request with the key gets its call id, 202', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => run(i % 2 ? b : a, '/job', 'async-once', key)));
    const accepted = answers.filter((r) => r.status === 202);
    assert.ok(accepted.length >= 1);
    assert.ok(answers.every((r) => r.status === 202 || r.status === 409), answers.map((r) => r.status).join());
    const ids = new Set(answers.map((r) => r.headers.get('x-fresco-call-id')));
    assert.equal(ids.size, 1, 'one call id in every answer');
    const [id] = [...ids] as string[];
    assert.equal((await accepted[0].json()).call_id, id);
    const later = await run(b, '/job', 'async-once', key);
    assert.equal(later.status, 202);
    assert.equal((await later.json()).call_id, id);
    const rows = await t.db('calls').where({ project_id: 'demo', route: '/job' }).whereRaw("request->>'body' = ?", [Buffer.from('async-once').toString('base64')]);
    assert.equal(rows.length, 1, 'one call recorded');
  });

  it('answers 409 naming the conflict when the key comes with another body or route', async () => {
    const key = randomUUID();
    const first = await run(a, '/sync', 'body-1', key);
    assert.equal(first.status, 200);
    const firstId = (await first.json()).call_id;
    for (const [route, body] of [['/sync', 'body-2'], ['/other', 'body-1']]) {
      const r = await run(b, route, body, key);
      assert.equal(r.status, 409);
      const err = (await r.json()).error;
      assert.equal(err.code, 'FRESCO_IDEMPOTENCY_KEY_CONFLICT');
      assert.match(err.message, /Idempotency-Key was already used for call .* with another route, method or body/);
      assert.equal(r.headers.get('x-fresco-call-id'), firstId);
    }
    assert.equal(runsOf('body-2'), 0);
    assert.equal(runsOf('body-1'), 1);
  });

  it('takes the version asked for as part of the request: the same key for another version or alias is a 409, for the same one a replay', async () => {
    const post = (url: string, body: unknown) => fetch(`${a}${url}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const R = '/v1/demo/apps/idem/routes/sync';
    for (let i = 0; i < 2; i++) assert.equal((await post(`${R}/@versions`, {})).status, 201);
    assert.equal((await post(`${R}/@aliases`, { alias: { name: 'prod', version: 2 } })).status, 201);
    const key = randomUUID();
    const first = await run(a, '/sync', 'versioned', key, { 'Fresco-Version': '1' });
    assert.equal(first.status, 200);
    const firstBody = await first.json();
    const again = await run(b, '/sync', 'versioned', key, { 'Fresco-Version': '1' });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), firstBody, 'the same key and version: the first answer');
    // Another version, an alias (even of another version), or none: another request under the same key.
    for (const headers of [{ 'Fresco-Version': '2' }, { 'Fresco-Alias': 'prod' }, {}] as Array<Record<string, string>>) {
      const r = await run(b, '/sync', 'versioned', key, headers);
      assert.equal(r.status, 409, JSON.stringify(headers));
      assert.equal((await r.json()).error.code, 'FRESCO_IDEMPOTENCY_KEY_CONFLICT');
      assert.equal(r.headers.get('x-fresco-call-id'), firstBody.call_id);
    }
    assert.equal(runsOf('versioned'), 1);
    assert.equal(executor.seen.find((s) => s.id === firstBody.call_id)!.route.routeVersion, 1);
    // Through an alias: the alias is what was asked for, so a retry replays even after the alias moved.
    const viaAlias = randomUUID();
    const byAlias = await (await run(a, '/sync', 'aliased', viaAlias, { 'Fresco-Alias': 'prod' })).json();
    const moved = await fetch(`${a}${R}/@aliases/prod`, { method: 'PATCH', body: JSON.stringify({ version: 1 }), headers: { 'content-type': 'application/json' } });
    assert.equal(moved.status, 200);
    assert.deepEqual(await (await run(b, '/sync', 'aliased', viaAlias, { 'Fresco-Alias': 'prod' })).json(), byAlias);
    assert.equal((await run(b, '/sync', 'aliased', viaAlias, { 'Fresco-Version': '2' })).status, 409, 'the version it named is not the alias');
    assert.equal(runsOf('aliased'), 1);
  });

  it('refuses a key that is empty or longer than 255 characters with a 400 naming the header', async () => {
    for (const key of ['', 'k'.repeat(256)]) {
      const r = await run(a, '/sync', 'bad-key', key);
      assert.equal(r.status, 400);
      const err = (await r.json()).error;
      assert.equal(err.code, 'FRESCO_IDEMPOTENCY_KEY_INVALID');
      assert.match(err.message, /^Idempotency-Key: /);
    }
    assert.equal(runsOf('bad-key'), 0);
    const longest = await run(a, '/sync', 'ok-key', `${'k'.repeat(254)}~`);
    assert.equal(longest.status, 200);
  });

  it('runs again without a key, and after the window (a new process, window 1 s)', async () => {
    assert.equal((await run(a, '/sync', 'no-key')).status, 200);
    assert.equal((await run(a, '/sync', 'no-key')).status, 200);
    assert.equal(runsOf('no-key'), 2);

    const kept = randomUUID();
    const before = await (await run(a, '/sync', 'kept', kept)).json();
    const c = await apiProcess({ FRESCO_IDEMPOTENCY_WINDOW: '1' });
    // A process started later (a restart) gives the answer kept in the database.
    assert.deepEqual(await (await run(c, '/sync', 'kept', kept)).json(), before);
    assert.equal(runsOf('kept'), 1);
    const key = randomUUID();
    const first = await run(c, '/sync', 'windowed', key);
    const firstId = (await first.json()).call_id;
    // Within the window the answer is the first call's; once it ended, the key runs the function again.
    const second = await waitFor('the window to end', async () => {
      const r = await run(c, '/sync', 'windowed', key);
      const body = await r.json();
      return body.call_id !== firstId && body;
    }, 10_000, 100);
    assert.equal(runsOf('windowed'), 2);
    assert.match(second.result, /^run \d+: windowed$/);
  });
});
