import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import axios from 'axios';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { waitFor } from '../../helpers/wait';
import { buildImages, docker } from '../executor/fixtures';
import { BROKER_URL } from '../queue/broker';

// "Nothing accepted is lost" (docs/api.md, docs/operations.md), on real processes: `fresco api` and two `fresco engine`s
// (their own engine ids, a 5 s call lease) on real PostgreSQL, RabbitMQ (a vhost of this run, so
// nobody else's engines take our calls) and Docker. kill -9 of an engine, a RabbitMQ restart and
// a PostgreSQL restart: every accepted call ends in a final status, none reports success twice
// (an audit trigger on the test database records every status change), and the processes
// recover without being restarted. RabbitMQ and PostgreSQL are started again even if a test fails.

const run = promisify(execFile);
const FINAL = ['success', 'error', 'timeout', 'cancelled'];
const PG_VERSION = fs.readdirSync('/etc/postgresql').filter((v) => fs.existsSync(`/etc/postgresql/${v}/main`)).sort().pop();
const pgctl = (action: string) => run('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION ?? '15', 'main', action],
  { timeout: 60_000 });
const rabbitmqctl = (...args: string[]) => run('rabbitmqctl', args, { timeout: 60_000 });

const AUDIT = `
CREATE TABLE call_audit (seq bigserial PRIMARY KEY, call_id uuid NOT NULL, status text NOT NULL, engine_id text,
  attempts int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION audit_call() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO call_audit (call_id, status, engine_id, attempts) VALUES (NEW.id, NEW.status, NEW.engine_id, NEW.attempts);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER call_audit AFTER INSERT OR UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION audit_call();`;

interface Answer { status: number; id?: string; code?: string; sentAt: number; error?: string }
interface CallRow { id: string; status: string; attempts: number; engine_id: string | null; result: Buffer | null }

describe('processes: fresco api and engines survive kill -9, RabbitMQ and PostgreSQL restarts', function () {
  this.timeout(90_000);
  const P = 'durability';
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const vhost = `fresco-test-${tag}`;
  const transportUrl = `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`;
  const ids = { api: `test-dur-api-${tag}`, e1: `test-dur-e1-${tag}`, e2: `test-dur-e2-${tag}` };
  const engines: Partial<Record<'e1' | 'e2', FrescoProcess>> = {};
  const timings: Record<string, number> = {};
  const http = axios.create({ validateStatus: () => true, timeout: 30_000 });
  let t: TestDb;
  let stateDir: string;
  let configFile: string;
  let api: FrescoProcess;
  let base: string;

  const common = () => ({
    FRESCO_DATABASE_CONNECTION: t.url, FRESCO_TRANSPORT_URL: transportUrl, FRESCO_STATE_PATH: stateDir,
    FRESCO_DATABASE_MAX_POOL_SIZE: '4',
  });
  const startEngine = (name: 'e1' | 'e2') => (engines[name] = spawnFresco(name, 'engine', configFile, {
    ...common(), FRESCO_ENGINE_ENGINE_ID: ids[name], FRESCO_ENGINE_CALL_LEASE: '5', FRESCO_ENGINE_ASYNC_PREFETCH: '2',
  }));
  const procs = () => [api, engines.e1!, engines.e2!];

  async function ensureEngines(): Promise<void> {
    for (const name of ['e1', 'e2'] as const) {
      if (engines[name]?.alive) continue;
      await startEngine(name).waitForLog('message queue connected');
    }
  }

  async function submit(route: string, body: string): Promise<Answer> {
    const sentAt = Date.now();
    try {
      const res = await http.post(`${base}/v1/r/${P}/dur${route}`, body, { headers: { 'Content-Type': 'text/plain' } });
      return { status: res.status, id: res.data?.call_id, code: res.data?.error?.code, sentAt };
    } catch (err) {
      return { status: 0, error: (err as Error).message, sentAt };
    }
  }

  const rows = (list: string[]): Promise<CallRow[]> =>
    t.db('calls').whereIn('id', list).select('id', 'status', 'attempts', 'engine_id', 'result');

  /** Waits until every call of `list` has a final status; returns their rows. */
  const settled = (list: string[], timeoutMs: number) => waitFor(`${list.length} calls to reach a final status`, async () => {
    const r = await rows(list);
    return r.length === list.length && r.every((c) => FINAL.includes(c.status)) ? r : undefined;
  }, timeoutMs, 250);

  /** Every call succeeded with the output of its own run, and exactly one success was ever recorded for it. */
  async function assertSucceededOnce(done: CallRow[]): Promise<Map<string, string>> {
    for (const c of done) {
      assert.equal(c.status, 'success', `call ${c.id}`);
      assert.match(Buffer.from(c.result ?? []).toString(), new RegExp(`^napped ${c.id} `));
    }
    const wins = await t.db('call_audit').whereIn('call_id', done.map((c) => c.id)).where({ status: 'success' })
      .select('call_id', 'engine_id');
    assert.equal(wins.length, done.length, 'one success recorded per call, never two');
    return new Map(wins.map((w: { call_id: string; engine_id: string }) => [w.call_id, w.engine_id]));
  }

  function assertUndisturbed(pids: number[]): void {
    for (const p of procs()) {
      assert.ok(p.alive, `${p.label} is still running (exit: ${JSON.stringify(p.exit)}, stderr: ${p.stderr.slice(-1000)})`);
      assert.doesNotMatch(p.stderr, /unhandled|uncaught/i, p.label);
    }
    assert.deepEqual(procs().map((p) => p.pid), pids, 'no Fresco process was restarted');
  }

  async function queueDepth(): Promise<number> {
    const conn = await amqp.connect(transportUrl);
    try {
      return (await (await conn.createChannel()).checkQueue('fresco.calls.prio')).messageCount;
    } finally {
      await conn.close().catch(() => undefined);
    }
  }

  before(async function () {
    this.timeout(120_000);
    buildImages();
    t = await createTestDb();
    await t.db.raw(AUDIT);
    await rabbitmqctl('add_vhost', vhost);
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-dur-'));
    configFile = path.join(stateDir, 'fresco.conf');
    fs.writeFileSync(configFile, '[DEFAULT]\n');
    api = spawnFresco('api', 'api', configFile, { ...common(), FRESCO_BIND_PORT: '0', FRESCO_ENGINE_ENGINE_ID: ids.api });
    base = `http://127.0.0.1:${await api.port()}`;
    await api.waitForLog('message queue connected');
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'dur' } })).status, 200);
    for (const s of [1, 2, 3]) {
      const res = await http.post(`${base}/v1/${P}/apps/dur/routes`, { route: {
        path: `/nap${s}`, image: 'fresco-test/nap:1', type: 'async', memory: 32, config: { NAP_SECONDS: String(s) },
      } });
      assert.equal(res.status, 200, JSON.stringify(res.data));
    }
  });

  after(async function () {
    this.timeout(120_000);
    await rabbitmqctl('start_app').catch(() => undefined);
    await pgctl('start').catch(() => undefined); // "already running" when the test restored it
    await Promise.all([api, ...Object.values(engines)].map((p) => p?.stop()));
    for (const id of Object.values(ids)) {
      const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${id}`] } });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await rabbitmqctl('await_startup').catch(() => undefined);
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
    await t?.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    if (Object.keys(timings).length) console.log(`      measured (ms): ${JSON.stringify(timings)}`);
  });

  it('fresco api alone queues async calls; two engines started later share them and run each once', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => submit('/nap2', `one-${i}`)));
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(202), JSON.stringify(answers));
    const list = answers.map((a) => a.id!);
    await waitFor('the 8 calls to wait in the broker', async () => (await queueDepth()) === 8, 10_000, 200);
    assert.deepEqual((await rows(list)).map((c) => c.status), Array(8).fill('queued'), 'nothing ran them');

    const startedAt = Date.now();
    await Promise.all((['e1', 'e2'] as const).map((n) => startEngine(n).waitForLog('message queue connected')));
    const done = await settled(list, 60_000);
    timings.twoEnginesDrain8Ms = Date.now() - startedAt;
    assert.deepEqual(done.map((c) => c.attempts), Array(8).fill(1), 'each call ran once');
    const winners = await assertSucceededOnce(done);
    assert.deepEqual(new Set(winners.values()), new Set([ids.e1, ids.e2]), 'both engines took a share');
    const runners = await t.db('call_audit').whereIn('call_id', list).where({ status: 'running' }).distinct('engine_id');
    assert.deepEqual(new Set(runners.map((r: { engine_id: string }) => r.engine_id)), new Set([ids.e1, ids.e2]),
      'the api process ran nothing');
  });

  it('kill -9 of an engine running calls: the other engine runs them again after the lease, success once', async () => {
    await ensureEngines();
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => submit('/nap3', `two-${i}`)));
    const list = answers.map((a) => a.id!);
    assert.ok(list.every(Boolean), JSON.stringify(answers));
    const runningOnE1 = () => t.db('calls').whereIn('id', list).where({ status: 'running', engine_id: ids.e1 })
      .whereNotNull('started_at').pluck('id');
    await waitFor('e1 to be running a call', async () => (await runningOnE1()).length > 0, 30_000, 100);
    const killedAt = Date.now();
    await engines.e1!.kill9();
    const stranded: string[] = await t.db('calls').whereIn('id', list).where({ status: 'running', engine_id: ids.e1 }).pluck('id');
    assert.ok(stranded.length > 0, 'e1 died with calls running');

    const rescued = await settled(stranded, 45_000);
    timings.killedEngineCallsFinalMs = Date.now() - killedAt;
    assert.deepEqual(rescued.map((c) => c.attempts), rescued.map(() => 2), 'run again once, by the survivor');
    const winners = await assertSucceededOnce(await settled(list, 30_000));
    for (const id of stranded) assert.equal(winners.get(id), ids.e2);

    // The restarted engine (same id) removes the containers the killed one left behind.
    const e1 = startEngine('e1');
    const reaped = await e1.waitForLog('removed containers left by an earlier run');
    assert.ok((reaped.containers as number) >= stranded.length, JSON.stringify(reaped));
    await e1.waitForLog('message queue connected');
    const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${ids.e1}`] } });
    assert.ok(!left.some((c) => stranded.includes(c.Labels['io.fresco.call'])), 'no container of a stranded call remains');
  });

  it('RabbitMQ restart while calls are accepted and run: every 202 ends final, processes reconnect by themselves', async function () {
    this.timeout(150_000);
    await ensureEngines();
    const pids = procs().map((p) => p.pid);
    const answers: Answer[] = [];
    const inflight: Array<Promise<void>> = [];
    let n = 0;
    const pacer = setInterval(() => inflight.push(submit('/nap1', `three-${n++}`).then((a) => { answers.push(a); })), 200);
    let restartedAt = 0;
    try {
      await waitFor('calls accepted before the restart', () => answers.filter((a) => a.status === 202).length >= 5, 15_000);
      const marks = procs().map((p) => p.lines.length);
      await rabbitmqctl('stop_app');
      const lost = await Promise.all(procs().map((p, i) => p.waitForLog('message queue connection lost', 20_000, marks[i])));
      const lostAt = Math.max(...lost.map((l) => l.at));
      await waitFor('answers to calls sent while the broker is down',
        () => answers.filter((a) => a.sentAt > lostAt).length >= 3, 20_000);
      await rabbitmqctl('start_app');
      restartedAt = Date.now();
      const back = await Promise.all(procs().map((p, i) => p.waitForLog('message queue connected', 60_000, marks[i])));
      timings.rabbitReconnectMs = Math.max(...back.map((l) => l.at)) - restartedAt;
      const backAt = Math.max(...back.map((l) => l.at));
      await waitFor('answers after the broker is back', () => answers.filter((a) => a.sentAt > backAt).length >= 5, 20_000);
    } finally {
      clearInterval(pacer);
      await Promise.all(inflight);
    }
    for (const a of answers) {
      assert.ok((a.status === 202 && a.id) || (a.status === 503 && a.code), `a clean answer: ${JSON.stringify(a)}`);
    }
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.id!);
    const done = await settled(accepted, 90_000);
    timings.rabbitAllFinalMs = Date.now() - restartedAt;
    timings.rabbitCallsAccepted = accepted.length;
    await assertSucceededOnce(done);
    assertUndisturbed(pids);
  });

  it('PostgreSQL restart while the engines run calls: every accepted call ends, the API heals by itself', async function () {
    this.timeout(120_000);
    await ensureEngines();
    const pids = procs().map((p) => p.pid);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => submit('/nap2', `four-${i}`)));
    const list = answers.map((a) => a.id!);
    assert.ok(list.every(Boolean), JSON.stringify(answers));
    await waitFor('calls running', async () => (await t.db('calls').whereIn('id', list).where({ status: 'running' })
      .whereNotNull('started_at')).length >= 2, 30_000, 100);
    const marks = procs().map((p) => p.lines.length);
    let during: Answer;
    let stoppedAt = 0;
    try {
      await pgctl('stop');
      stoppedAt = Date.now();
      await waitFor('the API to report the database down', async () => (await http.get(`${base}/healthcheck`)).status === 503,
        15_000, 100);
      during = await submit('/nap2', 'four-during');
      // Down until an engine has failed to record something (a finished call or a claim), so the outage really hit it.
      await Promise.any([engines.e1!, engines.e2!].map((e, i) => e.waitForLog('message handler failed', 15_000, marks[i + 1])));
    } finally {
      await pgctl('start');
    }
    const upAt = Date.now();
    timings.pgDownMs = upAt - stoppedAt;
    await waitFor('the API to be healthy again', async () => (await http.get(`${base}/healthcheck`)).status === 200, 30_000, 100);
    timings.pgHealthyAfterStartMs = Date.now() - upAt;
    // A JSON error saying what is wrong, no hang and no dropped connection.
    assert.equal(during!.status, 503, `a clean error while the database is down: ${JSON.stringify(during!)}`);
    assert.equal(during!.code, 'FRESCO_DATABASE_UNAVAILABLE');
    const later = await submit('/nap1', 'four-after');
    assert.equal(later.status, 202, 'accepts again');
    const done = await settled([...list, later.id!], 60_000);
    timings.pgAllFinalAfterStartMs = Date.now() - upAt;
    await assertSucceededOnce(done);
    timings.pgMostAttempts = Math.max(...done.map((c) => c.attempts));
    assert.equal((await t.db('calls').whereIn('status', ['queued', 'running']).count({ n: '*' }))[0].n, '0', 'none left behind');
    assertUndisturbed(pids);
  });
});
