import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { waitFor } from '../../helpers/wait';
import { buildImages, containersOf } from '../executor/fixtures';

// Fresco as `npm start` runs it (role all, noauth), on real PostgreSQL and real Docker, driven over
// HTTP like a user: the function contract through /v1/r and /r, hot http pass-through, every
// misbehaving image ending its call with the right answer while the engine keeps serving, and an
// async call through the in-process queue.

describe('functions through the API (role all, real Docker)', function () {
  this.timeout(60_000);
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  const engineId = `test-e2e-${randomUUID().slice(0, 8)}`;
  const P = 'e2e-project';
  const http = axios.create({ validateStatus: () => true, transformResponse: (d) => d });
  const json = (body: string) => JSON.parse(body);
  const route = (p: string, image: string, extra: Record<string, unknown> = {}) =>
    http.post(`${base}/v1/${P}/apps/fn/routes`, { route: { path: p, image, ...extra } });
  const runV1 = (p: string, body = '') => http.post(`${base}/v1/r/${P}/fn${p}`, body, { headers: { 'Content-Type': 'text/plain' } });

  before(async function () {
    this.timeout(120_000);
    buildImages();
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-e2e-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir,
      FRESCO_ENGINE_ENGINE_ID: engineId, FRESCO_ENGINE_OUTPUT_CAP: '65536',
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'fn', config: { GREETING: 'hi' } } })).status, 200);
    const routes: Array<[string, string, Record<string, unknown>]> = [
      ['/hello', 'fresco-test/hello:1', { is_public: true }],
      ['/env', 'fresco-test/env:1', { config: { ROUTE_VAR: 'r' } }],
      ['/hot', 'fresco-test/hot-http:1', { format: 'http', is_public: true }],
      ['/hot/status', 'fresco-test/hot-http:1', { format: 'http', is_public: true }],
      ['/hot/dump', 'fresco-test/hot-http:1', { format: 'http', is_public: true }],
      ['/json', 'fresco-test/hot-json:1', { format: 'json' }],
      ['/fail', 'fresco-test/fail:1', {}],
      ['/sleep', 'fresco-test/sleep:1', { timeout: 1 }],
      ['/oom', 'fresco-test/oom:1', { memory: 16 }],
      ['/flood', 'fresco-test/flood:1', {}],
      ['/forkbomb', 'fresco-test/forkbomb:1', { timeout: 2 }],
      ['/garbage', 'fresco-test/garbage:1', { format: 'http' }],
      ['/probe', 'fresco-test/probe:1', {}],
      ['/later', 'fresco-test/hot-http:1', { format: 'http', type: 'async' }],
    ];
    for (const [p, image, extra] of routes) {
      const res = await route(p, image, extra);
      assert.equal(res.status, 200, `${p}: ${res.data}`);
    }
  });
  after(async () => {
    await fresco?.stop();
    await t?.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs a cold function on /v1/r with the body on stdin and records the call', async () => {
    const res = await runV1('/hello', 'Bob');
    assert.equal(res.status, 200, res.data);
    const body = json(res.data);
    assert.equal(body.result, 'Hello Bob\n');
    const call = json((await http.get(`${base}/v1/${P}/calls/${body.call_id}`)).data).call;
    assert.equal(call.status, 'success');
    assert.equal(call.exit_code, 0);
    assert.equal(call.cold, true);
  });

  it('gives the function the contract environment: app and route config, call id, method, headers', async () => {
    const res = await http.post(`${base}/v1/r/${P}/fn/env?x=1`, 'payload', { headers: { 'Content-Type': 'text/plain', 'X-Custom': 'yes' } });
    const { result, call_id: id } = json(res.data);
    const [env, stdin] = result.split('---\n');
    for (const line of ['GREETING=hi', 'ROUTE_VAR=r', `CALL_ID=${id}`, 'METHOD=POST', 'APP_NAME=fn', 'ROUTE=/env',
      'HEADER_X_CUSTOM=yes', 'MEMORY_MB=128']) {
      assert.ok(env.split('\n').includes(line), `${line} in:\n${env}`);
    }
    assert.doesNotMatch(env, /TOKEN|PASSWORD|FRESCO_/);
    assert.equal(stdin, 'payload');
  });

  it('never shows a cold nor a hot function the credential headers the caller sent', async () => {
    const creds = { 'X-Storage-Token': 'st', 'X-Subject-Token': 'su', 'X-Service-Token': 'se', Authorization: 'Basic eA==', Cookie: 'c=1' };
    const cold = json((await http.post(`${base}/v1/r/${P}/fn/env`, 'p', { headers: { ...creds, 'X-Kept': 'k' } })).data).result as string;
    assert.match(cold, /^HEADER_X_KEPT=k$/m);
    assert.doesNotMatch(cold, /^HEADER_(X_STORAGE_TOKEN|X_SUBJECT_TOKEN|X_SERVICE_TOKEN|AUTHORIZATION|COOKIE)=/m);
    const hot = (await http.get(`${base}/r/fn/hot/dump`, { headers: { ...creds, 'X-Kept': 'k' } })).data as string;
    assert.match(hot, /\r\nX-Kept: k\r\n/i);
    assert.doesNotMatch(hot, /\r\n(X-Storage-Token|X-Subject-Token|X-Service-Token|Authorization|Cookie):/i);
  });

  it("passes the caller's request to a hot http function on /r and its status, headers and body back", async () => {
    const created = await http.put(`${base}/r/fn/hot/status`, 'x');
    assert.equal(created.status, 201);
    assert.equal(created.headers['x-fn'], 'hot');
    assert.equal(created.data, 'created\n');
    const dump = await http.get(`${base}/r/fn/hot/dump?q=1&r=two`, { headers: { 'X-Trace': 'abc' } });
    assert.equal(dump.status, 200);
    assert.match(dump.data, /^GET \/r\/fn\/hot\/dump\?q=1&r=two HTTP\/1\.1\r\n/);
    assert.match(dump.data, /\r\nX-Trace: abc\r\n/i);
    const hello = await http.post(`${base}/r/fn/hot`, 'Hot');
    assert.equal(hello.data, 'Hello Hot\n');
    const calls = json((await http.get(`${base}/v1/${P}/calls?route=/hot`)).data).calls;
    assert.ok(calls.some((c: { kind: string; status: string }) => c.kind === 'hot' && c.status === 'success'));
  });

  it('runs a hot json function', async () => {
    const res = await runV1('/json', 'Jay');
    assert.equal(res.status, 200, res.data);
    assert.match(json(res.data).result, /Jay/);
  });

  it('ends every misbehaving function with the right answer and keeps serving', async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      ['/fail', 502, 'FRESCO_CALL_FAILED', /exit/i],
      ['/sleep', 504, 'FRESCO_CALL_TIMEOUT', /timeout|timed out/i],
      ['/oom', 502, 'FRESCO_CALL_FAILED', /memory/i],
      ['/flood', 502, 'FRESCO_CALL_FAILED', /output/i],
      ['/garbage', 502, 'FRESCO_CALL_FAILED', /HTTP/],
    ];
    for (const [p, status, code, message] of cases) {
      const res = await runV1(p, 'x');
      assert.equal(res.status, status, `${p}: ${res.data}`);
      const body = json(res.data);
      assert.equal(body.error.code, code, p);
      assert.ok(body.call_id, `${p} answers its call id`);
      const call = json((await http.get(`${base}/v1/${P}/calls/${body.call_id}`)).data).call;
      assert.equal(call.status, status === 504 ? 'timeout' : 'error', p);
      assert.match(call.error, message, p);
      assert.equal(json((await runV1('/hello', 'still')).data).result, 'Hello still\n', `serving after ${p}`);
    }
    const fail = json((await runV1('/fail')).data);
    const log = await http.get(`${base}/v1/${P}/calls/${fail.call_id}/log`);
    assert.equal(log.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(log.data, /about to fail/);
    const bomb = await runV1('/forkbomb');
    assert.ok([502, 504].includes(bomb.status), bomb.data);
    assert.equal((await http.post(`${base}/r/fn/hot`, 'after')).data, 'Hello after\n');
  });

  it('runs functions hardened: nobody, read-only root, writable /tmp, labelled as Fresco’s', async () => {
    const out = json((await runV1('/probe')).data).result;
    assert.match(out, /uid=65534/);
    assert.match(out, /Read-only file system/);
    assert.match(out, /^tmp$/m);
    assert.ok((await containersOf(engineId)).length > 0, 'hot containers carry this engine id label');
  });

  it('accepts an async call with 202 and Location, and the engine runs it to success', async () => {
    const res = await runV1('/later', 'async');
    assert.equal(res.status, 202, res.data);
    const id = json(res.data).call_id;
    assert.equal(res.headers.location, `${base}/v1/${P}/calls/${id}`);
    const done = await waitFor('the async call to finish', async () => {
      const call = json((await http.get(`${base}/v1/${P}/calls/${id}`)).data).call;
      return call.status !== 'queued' && call.status !== 'running' ? call : undefined;
    }, 20_000);
    assert.equal(done.status, 'success');
    assert.equal(done.result, 'Hello async\n');
    assert.equal(done.trigger, 'async');
  });
});
