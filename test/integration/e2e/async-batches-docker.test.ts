import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AllWorld } from '../../helpers/all-world';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { waitFor } from '../../helpers/wait';
import { buildImages } from '../executor/fixtures';
import { BROKER_URL } from '../queue/broker';

// Batched state writes (docs/durability.md, "Async calls"): the accepts, claims and outcomes of
// many async calls share statements. What a user checks: a burst of calls through the real API
// on a hot route all succeed, each with its own output and record, on both queues; and an engine
// killed (kill -9) in the middle of such a burst loses no accepted call and records no success twice.

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 });
const FINAL = ['success', 'error', 'timeout', 'cancelled'];
const HOT = { image: 'fresco-test/hot-http:1', format: 'http', type: 'async', max_concurrency: 4 };

/** Sends `n` calls `at` a time through `send`; returns the answers in order. */
async function burst<T>(n: number, at: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: at }, async () => {
    for (let i = next++; i < n; i = next++) out[i] = await send(i);
  }));
  return out;
}

for (const rabbitmq of [false, true]) {
  const queue = rabbitmq ? 'RabbitMQ' : 'in-process queue';

  describe(`async calls in batches, ${queue}: every call keeps its own record`, function () {
    this.timeout(240_000);
    const world = new AllWorld({ name: rabbitmq ? 'batch-mq' : 'batch-local', rabbitmq });

    before(async function () {
      this.timeout(120_000);
      buildImages();
      await world.start();
      await world.createRoutes('batch', [{ path: '/hello', ...HOT }]);
    });
    after(() => world.stop());

    it('500 async calls sent 50 at a time all reach success, each with its own output and one attempt, and are listed', async () => {
      const answers = await burst(500, 50, async (i) => {
        const res = await world.send('POST', '/v1/r/demo/batch/hello', `call-${i}`);
        return { status: res.status, body: await res.json() as { call_id: string } };
      });
      assert.deepEqual(answers.filter((a) => a.status !== 202), [], 'every call accepted');
      const ids = answers.map((a) => a.body.call_id);
      assert.equal(new Set(ids).size, 500);
      const listed = await waitFor('the 500 calls to be final', async () => {
        const page = (await world.json('GET', '/v1/demo/calls?app=batch&limit=1000')).body as { calls: any[] };
        return page.calls.length >= 500 && page.calls.every((c) => FINAL.includes(c.status)) ? page.calls : undefined;
      }, 180_000, 250);
      const byId = new Map(listed.map((c) => [c.id, c]));
      for (const [i, id] of ids.entries()) {
        const c = byId.get(id);
        assert.ok(c, `call ${i} is listed`);
        assert.deepEqual([c.status, c.result, c.attempts, c.route, c.trigger], ['success', `Hello call-${i}\n`, 1, '/hello', 'async'],
          `call ${i}: ${JSON.stringify(c)}`);
        assert.ok(Date.parse(c.created_at) <= Date.parse(c.started_at) && Date.parse(c.started_at) <= Date.parse(c.completed_at));
      }
      const one = await world.getCall(ids[123]);
      assert.deepEqual([one.status, one.result], ['success', 'Hello call-123\n'], 'GET of one call agrees with the list');
    });
  });

  describe(`async calls in batches, ${queue}: kill -9 in the middle of a burst`, function () {
    this.timeout(240_000);
    const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const engineId = `test-batch-kill-${rabbitmq ? 'mq' : 'local'}-${tag}`;
    const vhost = `fresco-test-batch-kill-${tag}`;
    let t: TestDb;
    let stateDir: string;
    let configFile: string;
    let fresco: FrescoProcess | undefined;
    let env: Record<string, string>;

    const start = async (): Promise<string> => {
      fresco = spawnFresco('all', 'all', configFile, env);
      const base = `http://127.0.0.1:${await fresco.port(60_000)}`;
      if (rabbitmq) await fresco.waitForLog('message queue connected', 30_000);
      return base;
    };

    before(async function () {
      this.timeout(120_000);
      buildImages();
      t = await createTestDb();
      // Every status a call ever had, so that a success recorded twice would show.
      await t.db.raw(`CREATE TABLE call_audit (call_id uuid NOT NULL, status text NOT NULL);
        CREATE FUNCTION audit_call() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
            INSERT INTO call_audit (call_id, status) VALUES (NEW.id, NEW.status);
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER call_audit AFTER INSERT OR UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION audit_call();`);
      stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-batch-kill-'));
      configFile = path.join(stateDir, 'fresco.conf');
      fs.writeFileSync(configFile, '[DEFAULT]\n');
      env = {
        FRESCO_DATABASE_CONNECTION: t.url, FRESCO_STATE_PATH: stateDir, FRESCO_BIND_PORT: '0', FRESCO_BIND_HOST: '127.0.0.1',
        FRESCO_AUTH_STRATEGY: 'noauth', FRESCO_ENGINE_ENGINE_ID: engineId, FRESCO_ENGINE_CALL_LEASE: '5',
        FRESCO_ENGINE_ASYNC_PREFETCH: '32',
      };
      if (rabbitmq) {
        await rabbitmqctl('add_vhost', vhost);
        await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
        env.FRESCO_TRANSPORT_URL = `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`;
      }
    });

    after(async function () {
      this.timeout(60_000);
      await fresco?.stop();
      if (rabbitmq) await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
      await t?.drop();
      if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it('every accepted call ends success exactly once after the process is killed and started again', async () => {
      let base = await start();
      const http = (p: string, body: unknown) => fetch(`${base}${p}`, {
        method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' },
      });
      assert.ok((await http('/v1/demo/apps', { app: { name: 'kill' } })).ok);
      assert.ok((await http('/v1/demo/apps/kill/routes', { route: { path: '/hello', ...HOT } })).ok);
      const accepted: Array<{ i: number; id: string }> = [];
      const counts = async (): Promise<Record<string, number>> => {
        const rows: Array<{ status: string; n: string }> = await t.db('calls').groupBy('status').select('status').count({ n: '*' });
        return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      };
      // Calls keep coming while the process dies: those refused by the dying process are not accepted, the rest must run.
      const sending = burst(400, 20, async (i) => {
        try {
          const res = await http('/v1/r/demo/kill/hello', `kill-${i}`);
          if (res.status === 202) accepted.push({ i, id: ((await res.json()) as { call_id: string }).call_id });
        } catch {
          // the connection died with the process: not accepted
        }
      });
      await waitFor('some calls finished and more on their way', async () => {
        const c = await counts();
        return (c.success ?? 0) >= 60 && (c.queued ?? 0) + (c.running ?? 0) > 0;
      }, 120_000, 20);
      await fresco!.kill9();
      await sending;
      const before = await counts();
      assert.ok((before.queued ?? 0) + (before.running ?? 0) > 0, `calls were left unfinished by the kill: ${JSON.stringify(before)}`);
      base = await start();
      const ids = accepted.map((a) => a.id);
      assert.ok(ids.length >= 60, `${ids.length} calls accepted`);
      const rows = await waitFor(`the ${ids.length} accepted calls to be final`, async () => {
        const r = await t.db('calls').whereIn('id', ids).select('id', 'status', 'result');
        return r.length === ids.length && r.every((c: { status: string }) => FINAL.includes(c.status)) ? r : undefined;
      }, 120_000, 250);
      const byId = new Map(rows.map((r: { id: string; status: string; result: Buffer }) => [r.id, r]));
      for (const { i, id } of accepted) {
        const r = byId.get(id)!;
        assert.deepEqual([r.status, Buffer.from(r.result ?? []).toString()], ['success', `Hello kill-${i}\n`], `call ${i}`);
      }
      const wins = await t.db('call_audit').whereIn('call_id', ids).where({ status: 'success' }).count({ n: '*' });
      assert.equal(Number(wins[0].n), ids.length, 'one success recorded per call, never two');
      const dead = await t.db('dead_letters').count({ n: '*' });
      assert.equal(Number(dead[0].n), 0, 'no dead letter');
    });
  });
}
