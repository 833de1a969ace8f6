import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { waitFor } from '../../helpers/wait';
import { buildZip } from '../../helpers/zip-builder';
import { containersOf } from '../executor/fixtures';

// Functions from code (docs/runtimes.md) as a user deploys them: Fresco as `npm start` runs it
// (role all, noauth) on real PostgreSQL and Docker, with the Python and Node runtime images built
// from Debian's packages by runtimes/build.sh. Routes carry code (a file or a zip, as a multipart
// upload or base64 JSON), run hot in their runtime, and bad packages are refused with nothing stored.

const ROOT = path.resolve(__dirname, '../../..');

/** Builds (or finds, by content tag) a runtime image and returns its name:tag. */
function runtimeImage(name: string): string {
  const out = execFileSync('bash', [path.join(ROOT, 'runtimes/build.sh'), name], { encoding: 'utf8' });
  const m = /(fresco\/runtime-[a-z0-9]+:[0-9a-f]{12})/.exec(out);
  assert.ok(m, `runtimes/build.sh ${name} printed no image: ${out}`);
  return m[1];
}

describe('functions from code (role all, real Docker and PostgreSQL)', function () {
  this.timeout(60_000);
  let t: TestDb;
  let fresco: Started;
  let base: string;
  let stateDir: string;
  const engineId = `test-rt-${randomUUID().slice(0, 8)}`;
  const P = 'rt-project';
  const http = axios.create({ validateStatus: () => true, transformResponse: (d) => d });
  const json = (body: string) => JSON.parse(body);
  const routesUrl = () => `${base}/v1/${P}/apps/fn/routes`;
  const run = (p: string, body = '', type = 'application/json') => http.post(`${base}/v1/r/${P}/fn${p}`, body, { headers: { 'Content-Type': type } });
  const call = async (id: string) => json((await http.get(`${base}/v1/${P}/calls/${id}`)).data).call;
  const callLog = async (id: string) => (await http.get(`${base}/v1/${P}/calls/${id}/log`)).data as string;
  const upload = (route: object, part: 'file' | 'package', name: string, content: Buffer | string) => {
    const form = new FormData();
    form.append('route', JSON.stringify(route));
    form.append(part, new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), name);
    return http.post(routesUrl(), form);
  };
  const createJson = (route: object) => http.post(routesUrl(), { route });
  const b64 = (s: Buffer | string) => Buffer.from(s).toString('base64');
  const packageCount = async () => Number((await t.db('code_packages').count<{ n: string }[]>({ n: '*' }))[0].n);
  const containersFor = async (p: string) => (await containersOf(engineId)).filter((c) => c.Labels['io.fresco.route'] === p);

  const pyHello = fs.readFileSync(path.join(ROOT, 'examples/python-hello/hello.py'));
  const jsHello = fs.readFileSync(path.join(ROOT, 'examples/node-hello/hello.js'));
  const pyZip = buildZip([
    { name: 'app/', mode: 0o040755 },
    { name: 'app/__init__.py', data: '' },
    { name: 'app/greet.py', data: 'def greet(who):\n    return "Hi " + who\n', deflate: true },
    { name: 'main.py', data: 'from app.greet import greet\n\ndef handler(event, context):\n    return greet(event["name"])\n' },
  ]);
  const jsZip = buildZip([
    { name: 'lib/greet.js', data: 'module.exports = (who) => `Hi ${who}`;\n', deflate: true },
    { name: 'index.js', data: "const greet = require('./lib/greet');\nexports.handler = (event) => greet(event.name);\n" },
  ]);

  before(async function () {
    this.timeout(900_000);
    const images = { python3: runtimeImage('python3'), nodejs: runtimeImage('nodejs') };
    t = await createTestDb();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-rt-'));
    fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: stateDir,
      FRESCO_ENGINE_ENGINE_ID: engineId, FRESCO_RUNTIMES_PACKAGE_MAX_SIZE: String(256 * 1024),
    }), 'all');
    base = `http://127.0.0.1:${fresco.address!.port}`;
    for (const [name, image] of Object.entries(images)) {
      const res = await http.post(`${base}/v1/runtimes`, { runtime: { name, image } });
      assert.equal(res.status, 201, res.data);
    }
    assert.equal((await http.post(`${base}/v1/${P}/apps`, { app: { name: 'fn' } })).status, 200);
    const created = [
      await upload({ path: '/py', runtime: 'python3', entry: 'hello.main' }, 'file', 'hello.py', pyHello),
      await upload({ path: '/py-fail', runtime: 'python3', entry: 'hello.fail' }, 'file', 'hello.py', pyHello),
      await createJson({ path: '/py-zip', runtime: 'python3', entry: 'main.handler', code: { name: 'code.zip', data: b64(pyZip) } }),
      await upload({ path: '/js', runtime: 'nodejs', entry: 'hello.main' }, 'file', 'hello.js', jsHello),
      await upload({ path: '/js-fail', runtime: 'nodejs', entry: 'hello.fail' }, 'file', 'hello.js', jsHello),
      await upload({ path: '/js-zip', runtime: 'nodejs', entry: 'index.handler' }, 'package', 'code.zip', jsZip),
      await createJson({ path: '/py-hang', runtime: 'python3', entry: 'hang.main', timeout: 2,
        code: { name: 'hang.py', data: b64('import time\n\ndef main(event, context):\n    time.sleep(60)\n') } }),
      await createJson({ path: '/py-qinling', runtime: 'python3', entry: 'q.main', calling: 'qinling',
        code: { name: 'q.py', data: b64('def main(name="nobody", **kwargs):\n    return [name, sorted(kwargs), kwargs["context"].call_id is not None]\n') } }),
      await createJson({ path: '/js-qinling', runtime: 'nodejs', entry: 'q.main', calling: 'qinling',
        code: { name: 'q.js', data: b64('exports.main = (args) => [args.name, Object.keys(args).sort(), Boolean(args.context.call_id)];\n') } }),
      await createJson({ path: '/py-later', runtime: 'python3', entry: 'hello.main', type: 'async', code: { name: 'hello.py', data: b64(pyHello) } }),
    ];
    for (const res of created) assert.equal(res.status, 200, res.data);
  });
  after(async () => {
    await fresco?.stop();
    await t?.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('shows a code route with its runtime, entry and package digest, and lists the runtimes', async () => {
    const route = json((await http.get(`${routesUrl()}/py`)).data).route;
    assert.equal(route.runtime, 'python3');
    assert.equal(route.entry, 'hello.main');
    assert.equal(route.calling, 'lambda');
    assert.equal(route.format, 'json');
    assert.equal(route.code.file, 'hello.py');
    assert.match(route.code.digest, /^[0-9a-f]{64}$/);
    const runtimes = json((await http.get(`${base}/v1/runtimes`)).data).runtimes;
    assert.deepEqual(runtimes.map((r: { name: string }) => r.name), ['nodejs', 'python3']);
  });

  for (const [lang, p] of [['Python', '/py'], ['Node', '/js']]) {
    it(`runs a ${lang} function from a single file, hot from the second call, its prints in the call log`, async () => {
      const first = await run(p, '{"name": "Ann"}');
      assert.equal(first.status, 200, first.data);
      assert.deepEqual(json(json(first.data).result), { greeting: 'Hello Ann' });
      const firstId = json(first.data).call_id;
      const log = await callLog(firstId);
      assert.match(log, new RegExp(`greeting Ann in call ${firstId}`), 'stdout of the function is in the log');
      assert.match(log, /a line on stderr/);
      const before = (await containersFor(p)).map((c) => c.Id);
      assert.equal(before.length, 1, 'one runtime container for the route');
      const second = await run(p, 'Bob', 'text/plain');
      assert.equal(second.status, 200, second.data);
      assert.deepEqual(json(json(second.data).result), { greeting: 'Hello Bob' }, 'a body that is not JSON is the raw string');
      const rec = await call(json(second.data).call_id);
      assert.equal(rec.status, 'success');
      assert.equal(rec.kind, 'hot');
      assert.deepEqual((await containersFor(p)).map((c) => c.Id), before, 'no new container for the second call');
    });
  }

  for (const [lang, p, trace] of [['Python', '/py-fail', /Traceback[\s\S]*hello\.py", line \d+, in fail[\s\S]*ValueError: no greeting/],
    ['Node', '/js-fail', /TypeError: no greeting today\n\s+at exports\.fail \(\/code\/hello\.js:\d+/]] as const) {
    it(`ends a ${lang} exception as a failed call whose log holds the stack, and the container stays hot`, async () => {
      const res = await run(p, '{}');
      assert.equal(res.status, 502, res.data);
      const body = json(res.data);
      assert.equal(body.error.code, 'FRESCO_CALL_FAILED');
      const rec = await call(body.call_id);
      assert.equal(rec.status, 'error');
      assert.match(rec.error, /no greeting/);
      assert.match(await callLog(body.call_id), trace);
      const again = await run(p, '{}');
      assert.equal(again.status, 502);
      assert.equal((await call(json(again.data).call_id)).kind, 'hot');
    });
  }

  it('starts a new function\'s container when its route is created, so that its first call starts none', async () => {
    const res = await upload({ path: '/py-warm', runtime: 'python3', entry: 'hello.main' }, 'file', 'hello.py', pyHello);
    assert.equal(res.status, 200, res.data);
    const started = await waitFor('the route\'s container', async () => {
      const cs = await containersFor('/py-warm');
      return cs.length === 1 && cs[0].State === 'running' ? cs.map((c) => c.Id) : undefined;
    }, 30_000);
    const first = await run('/py-warm', '{"name": "Early"}');
    assert.equal(first.status, 200, first.data);
    assert.deepEqual(json(json(first.data).result), { greeting: 'Hello Early' });
    assert.deepEqual((await containersFor('/py-warm')).map((c) => c.Id), started, 'the first call ran in the container started at creation');
  });

  it('ends a function that hangs at the route timeout, and the next call gets a new container', async () => {
    const res = await run('/py-hang', '{}');
    assert.equal(res.status, 504, res.data);
    assert.equal(json(res.data).error.code, 'FRESCO_CALL_TIMEOUT');
    assert.equal((await call(json(res.data).call_id)).status, 'timeout');
  });

  it('calls a Qinling-style function with the input\'s keys as keyword arguments plus context', async () => {
    const named = await run('/py-qinling', '{"name": "Ann", "extra": 1}');
    assert.equal(named.status, 200, named.data);
    assert.deepEqual(json(json(named.data).result), ['Ann', ['context', 'extra'], true]);
    const positional = await run('/py-qinling', 'Bob', 'text/plain');
    assert.deepEqual(json(json(positional.data).result), ['Bob', ['context'], true], 'input that is not an object is the one positional argument');
    const empty = await run('/py-qinling', '', 'text/plain');
    assert.deepEqual(json(json(empty.data).result), ['nobody', ['context'], true]);
  });

  it('calls a Qinling-style Node function with the input object merged with context', async () => {
    const res = await run('/js-qinling', '{"name": "Ann"}');
    assert.equal(res.status, 200, res.data);
    assert.deepEqual(json(json(res.data).result), ['Ann', ['context', 'name'], true]);
  });

  for (const [lang, p] of [['Python', '/py-zip'], ['Node', '/js-zip']]) {
    it(`runs a ${lang} function from a zip of several modules`, async () => {
      const res = await run(p, '{"name": "Zed"}');
      assert.equal(res.status, 200, res.data);
      assert.equal(json(json(res.data).result), 'Hi Zed');
    });
  }

  it('runs an async code route through the in-process queue', async () => {
    const res = await run('/py-later', '{"name": "Queue"}');
    assert.equal(res.status, 202, res.data);
    const id = json(res.data).call_id;
    const done = await waitFor('the async call to finish', async () => {
      const c = await call(id);
      return c.status === 'success' ? c : undefined;
    }, 30_000);
    assert.deepEqual(json(done.result), { greeting: 'Hello Queue' });
    assert.match(await callLog(id), /greeting Queue in call/);
  });

  it('never lets two functions share a container', async () => {
    for (const p of ['/py', '/py-zip', '/js', '/js-zip']) assert.equal((await run(p, '{"name": "X"}')).status, 200);
    const all = await containersOf(engineId);
    const byRoute = new Map<string, string[]>();
    for (const c of all) byRoute.set(c.Labels['io.fresco.route'], [...(byRoute.get(c.Labels['io.fresco.route']) ?? []), c.Id]);
    const ids = ['/py', '/py-zip', '/js', '/js-zip'].flatMap((p) => byRoute.get(p) ?? []);
    assert.equal(new Set(ids).size, ids.length, 'every container serves one route');
    for (const p of ['/py', '/py-zip', '/js', '/js-zip']) assert.equal(byRoute.get(p)?.length, 1, p);
  });

  it('returns the package to its own project only, byte for byte', async () => {
    const file = await http.get(`${routesUrl()}/py?download=true`, { responseType: 'arraybuffer', transformResponse: undefined });
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(file.data), pyHello);
    assert.match(file.headers['content-disposition'], /hello\.py/);
    const zip = await http.get(`${routesUrl()}/js-zip?download=true`, { responseType: 'arraybuffer', transformResponse: undefined });
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.deepEqual(Buffer.from(zip.data), jsZip);
    assert.equal((await http.get(`${base}/v1/other-project/apps/fn/routes/py?download=true`)).status, 404);
  });

  const bad: Array<[string, string, Buffer, RegExp]> = [
    ['a zip-slip path', 'code.zip', buildZip([{ name: '../../evil.py', data: 'x' }]), /leaves the package \(zip-slip\)/],
    ['an absolute path', 'code.zip', buildZip([{ name: '/etc/evil.py', data: 'x' }]), /absolute path \/etc\/evil\.py/],
    ['a symlink out of the tree', 'code.zip', buildZip([{ name: 'hello.py', data: '/etc/passwd', mode: 0o120777 }]), /symlink hello\.py points out of the package/],
    ['a package over the size limit', 'hello.py', Buffer.alloc(256 * 1024 + 1, 0x23), /over the limit of 262144 bytes/],
    ['a zip bomb', 'code.zip', buildZip([{ name: 'hello.py', data: Buffer.alloc(8 * 1024 * 1024), deflate: true }]), /zip bomb/],
    ['input that is not a zip', 'code.zip', Buffer.from('print("not a zip")\n'), /not a zip archive/],
  ];
  for (const [what, name, content, message] of bad) {
    it(`refuses ${what} with 400 naming the problem, storing nothing`, async () => {
      const packages = await packageCount();
      for (const res of [
        await upload({ path: '/bad', runtime: 'python3', entry: 'hello.main' }, name.endsWith('.zip') ? 'package' : 'file', name, content),
        await createJson({ path: '/bad', runtime: 'python3', entry: 'hello.main', code: { name, data: b64(content) } }),
      ]) {
        assert.equal(res.status, 400, res.data);
        const err = json(res.data).error;
        assert.equal(err.code, 'FRESCO_PACKAGE_INVALID');
        assert.match(err.message, message);
      }
      assert.equal((await http.get(`${routesUrl()}/bad`)).status, 404, 'no route was created');
      assert.equal(await packageCount(), packages, 'no package was stored');
    });
  }

  it('refuses a runtime deletion while routes use it, and drops a package with its last route', async () => {
    const res = await http.delete(`${base}/v1/runtimes/nodejs`);
    assert.equal(res.status, 409, res.data);
    assert.equal(json(res.data).error.code, 'FRESCO_RUNTIME_IN_USE');
    const digest = json((await http.get(`${routesUrl()}/js-zip`)).data).route.code.digest;
    assert.equal((await http.delete(`${routesUrl()}/js-zip`)).status, 200);
    assert.equal(Number((await t.db('code_packages').where({ digest }).count<{ n: string }[]>({ n: '*' }))[0].n), 0);
  });
});
