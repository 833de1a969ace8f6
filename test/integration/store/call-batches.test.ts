import assert from 'node:assert/strict';
import { createTestDb, TestDb } from '../../helpers/db';
import type { CallOutcome, NewCall } from '../../../src/domain/models';
import { insertFinishedMany } from '../../../src/store/call-batches';
import { encodeRow } from '../../../src/store/call-row-json';
import { KnexCallStore } from '../../../src/store/call-store';
import { type Db, openDb } from '../../../src/store/db';

// The call store's group-committed writes on PostgreSQL: calls submitted together share a
// statement, yet each caller gets exactly its own answer.

const NEW: NewCall = { projectId: 'p', app: 'a', route: '/r', trigger: 'async',
  request: { method: 'POST', url: '', requestPath: '/r', headers: {}, body: Buffer.alloc(0) } };
const outcome = (text: string): CallOutcome => ({ status: 'success', kind: 'hot', startedAt: new Date(Date.now() - 5),
  completedAt: new Date(), exitCode: 0, result: Buffer.from(text), resultTruncated: false, log: Buffer.from([0, 1]), logTruncated: false });

/** PostgreSQL's plan (JSON text) of `sql` as knex sent it ('?' placeholders) with `bindings`. */
async function explain(db: Db, sql: string, bindings: unknown[]): Promise<string> {
  const conn = await db.client.acquireConnection();
  try {
    const res = await conn.query(`EXPLAIN (FORMAT JSON) ${db.client.positionBindings(sql)}`, bindings);
    return JSON.stringify(res.rows);
  } finally {
    await db.client.releaseConnection(conn);
  }
}

describe('call store: group-committed enqueue, claim and complete (PostgreSQL)', () => {
  let t: TestDb;
  let store: KnexCallStore;
  before(async () => {
    t = await createTestDb();
    store = new KnexCallStore(t.db);
  });
  after(async () => {
    await store.close();
    await t.drop();
  });

  it('enqueues concurrent calls in shared statements; a dedupe key used twice in one batch is accepted once', async () => {
    const got = await Promise.all([
      ...Array.from({ length: 30 }, () => store.enqueue(NEW)),
      store.enqueue({ ...NEW, dedupeKey: 'k1' }), store.enqueue({ ...NEW, dedupeKey: 'k1' }),
    ]);
    assert.equal(got.slice(0, 30).filter(Boolean).length, 30);
    assert.equal(new Set(got.slice(0, 30).map((c) => c!.id)).size, 30);
    assert.equal(got.slice(30).filter(Boolean).length, 1, 'one of the two with the same dedupe key');
  });

  it('gives a call claimed twice in one batch to one claimer; junk ids claim nothing', async () => {
    const a = (await store.enqueue(NEW))!;
    const b = (await store.enqueue(NEW))!;
    const [c1, c2, c3, junk] = await Promise.all([store.claim(a.id, 'e1', 60_000), store.claim(a.id, 'e2', 60_000),
      store.claim(b.id, 'e1', 60_000), store.claim('not-a-uuid', 'e1', 60_000)]);
    assert.equal([c1, c2].filter(Boolean).length, 1);
    assert.equal(c3?.call.id, b.id);
    assert.equal(junk, undefined);
    const row = await t.db('calls').where({ id: a.id }).first('status', 'engine_id', 'attempts');
    assert.deepEqual([row.status, row.attempts], ['running', 1]);
  });

  it('claims a batch of the oldest queued calls, and records each outcome only where the call is still ours', async () => {
    await t.db('calls').where({ status: 'queued' }).update({ status: 'cancelled' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await store.enqueue(NEW))!.id);
    for (const [i, id] of ids.entries()) await t.db('calls').where({ id }).update({ created_at: new Date(Date.now() - 10_000 + i) });
    const claimed = await store.claimQueued('e1', 60_000, 3);
    assert.deepEqual(claimed.map((c) => c.call.id), ids.slice(0, 3), 'the three oldest, oldest first');
    await t.db('calls').where({ id: ids[1] }).update({ status: 'cancelled' });
    const recorded = await Promise.all([
      store.complete(ids[0], 'e1', outcome('zero')), store.complete(ids[1], 'e1', outcome('one')),
      store.complete(ids[2], 'other-engine', outcome('two')),
    ]);
    assert.deepEqual(recorded, [true, false, false]);
    const row = await t.db('calls').where({ id: ids[0] }).first();
    assert.deepEqual([row.status, row.kind, Buffer.from(row.result).toString(), [...row.log]], ['success', 'hot', 'zero', [0, 1]]);
    assert.ok(row.duration_ms >= 0 && row.lease_until === null);
  });

  it('writes accepts, claims by id, a claim of the next calls and outcomes pending together in one statement', async () => {
    await t.db('calls').where({ status: 'queued' }).update({ status: 'cancelled' });
    const running = (await store.enqueue(NEW))!;
    const byId = (await store.enqueue(NEW))!;
    const next = (await store.enqueue({ ...NEW, priority: 9 }))!;
    assert.equal((await store.claim(running.id, 'e1', 60_000))?.call.id, running.id);
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    t.db.on('query', count);
    let got;
    try {
      got = await Promise.all([
        store.enqueue({ ...NEW, dedupeKey: 'mixed', priority: 2 }), store.claim(byId.id, 'e1', 60_000),
        store.claimQueued('e1', 60_000, 5), store.complete(running.id, 'e1', outcome('ran')),
      ]);
    } finally {
      t.db.off('query', count);
    }
    assert.equal(statements.length, 1, statements.join('\n'));
    const [accepted, claimed, picked, recorded] = got;
    assert.deepEqual([accepted?.status, accepted?.priority, accepted?.attempts], ['queued', 2, 0]);
    assert.deepEqual(await store.get('p', accepted!.id), accepted, 'the accepted call as its record reads back');
    assert.equal(claimed?.call.id, byId.id);
    assert.deepEqual(picked.map((c) => c.call.id), [next.id], 'the next call, not the one claimed by id nor the one accepted alongside');
    assert.deepEqual([picked[0].call.status, picked[0].call.attempts, picked[0].request.requestPath], ['running', 1, '/r']);
    assert.equal(recorded, true);
    assert.equal((await store.get('p', running.id))?.result?.toString(), 'ran');
  });

  it('sends claims and outcomes as prepared statements, parsed once per connection, that find calls by primary key', async () => {
    // One connection, so that its prepared statements and settings are the ones the store used.
    const db = openDb({ connection: t.url, maxPoolSize: 1 });
    const one = new KnexCallStore(db);
    try {
      // Statistics taken while the queue was short, then a burst: thousands of queued and running calls PostgreSQL
      // does not know of. A lookup by id must still go by the primary key, not scan the queue's partial indexes.
      await db('calls').whereIn('status', ['queued', 'running']).update({ status: 'cancelled' });
      await db.raw('ANALYZE calls');
      await db.raw(`INSERT INTO calls (id, project_id, app, route, trigger, status, created_at, engine_id)
        SELECT gen_random_uuid(), 'burst', 'a', '/r', 'async', CASE WHEN g % 2 = 0 THEN 'queued' ELSE 'running' END, now(), 'e9'
        FROM generate_series(1, 4000) g`);
      // Most of the burst ran already: its rows are final, their old versions dead entries of the partial indexes.
      await db.raw("UPDATE calls SET status = 'success' WHERE project_id = 'burst' AND random() < 0.9");
      const sent: Array<{ sql: string; bindings: unknown[] }> = [];
      const keep = (q: { sql: string; bindings: unknown[] }) => sent.push({ sql: q.sql, bindings: [...q.bindings] });
      db.on('query', keep);
      for (let i = 0; i < 3; i++) {
        const c = (await one.enqueue(NEW))!;
        assert.equal((await one.claim(c.id, 'e1', 60_000))?.call.id, c.id);
        assert.equal(await one.complete(c.id, 'e1', outcome(`run ${i}`)), true);
        assert.equal((await one.get('p', c.id))?.result?.toString(), `run ${i}`);
      }
      db.off('query', keep);
      const prepared = (await db.raw('SELECT statement FROM pg_prepared_statements')).rows.map((r: { statement: string }) => r.statement);
      const claim = sent.find((q) => /^WITH claimed AS/.test(q.sql))!;
      const done = sent.find((q) => /^WITH done AS/.test(q.sql))!;
      for (const q of [claim, done]) {
        // Sent three times, prepared once.
        assert.equal(sent.filter((s) => s.sql === q.sql).length, 3);
        assert.equal(prepared.filter((p: string) => p === db.client.positionBindings(q.sql)).length, 1, q.sql);
        const plan = await explain(db, q.sql, q.bindings);
        assert.match(plan, /calls_pkey/, plan);
        assert.doesNotMatch(plan, /calls_pending|calls_project_active_idx|"Seq Scan"/, plan);
      }
      assert.equal((await db.raw('SHOW plan_cache_mode')).rows[0].plan_cache_mode, 'force_custom_plan');
    } finally {
      await one.close();
      await db.raw("DELETE FROM calls WHERE project_id = 'burst'");
      await db.destroy();
    }
  });

  it('inserts finished rows (their journal text) in one statement: odd text, bytes, nulls, defaults, a known id skipped', async () => {
    const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    const base = { project_id: 'p', app: 'a', route: '/r', trigger: 'http', status: 'success', attempts: 1 };
    await insertFinishedMany(t.db, [
      encodeRow({ ...base, id: id(1), error: 'quote " comma , brace {} backslash \\ NULL', result: Buffer.from([0, 255, 10]),
        log: Buffer.alloc(0), created_at: new Date('2026-01-02T03:04:05.678Z'), completed_at: new Date(), duration_ms: 7,
        exit_code: 0, kind: 'hot', result_truncated: true, log_truncated: false, trigger_id: null,
        request: { method: 'POST', headers: { 'x-a': ['1', '2'] }, body: 'b' } }),
      // Dates as ISO strings, bytes as Uint8Array, defaulted columns left out.
      encodeRow({ ...base, id: id(2), created_at: '2026-01-02T03:04:05.000Z', result: new Uint8Array([1, 2]) }),
    ]);
    await insertFinishedMany(t.db, [encodeRow({ ...base, id: id(1), status: 'error', created_at: new Date() })]);
    const rows = await t.db('calls').whereIn('id', [id(1), id(2)]).orderBy('id');
    assert.equal(rows[0].status, 'success', 'an id already written is skipped');
    assert.equal(rows[0].error, 'quote " comma , brace {} backslash \\ NULL');
    assert.deepEqual(Buffer.from(rows[0].result), Buffer.from([0, 255, 10]));
    assert.deepEqual(Buffer.from(rows[0].log), Buffer.alloc(0));
    assert.equal(new Date(rows[0].created_at).toISOString(), '2026-01-02T03:04:05.678Z');
    assert.equal(rows[0].result_truncated, true);
    assert.deepEqual(rows[0].request, { method: 'POST', headers: { 'x-a': ['1', '2'] }, body: 'b' }, 'the request as a JSON object');
    assert.deepEqual(Buffer.from(rows[1].result), Buffer.from([1, 2]));
    assert.equal(rows[1].log, null);
    assert.equal(rows[1].result_truncated, false);
    assert.equal(rows[1].log_truncated, false);
  });
});
