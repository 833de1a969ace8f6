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
import type { DockerExecutor } from '../../../src/executor/docker-executor';
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
  let images: Record<'python3' | 'nodejs', string>;
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
  // A route's containers: those started for it (labelled with its path) and the waiting runtime
  // containers it was given (named by its workers, as `openstack fn worker list` shows them).
  const workerNames = (p: string) => new Set((fresco.services.executor?.workers?.({ projectId: P, appName: 'fn', path: p }) ?? []).map((w) => `/${w.name}`));
  const containersFor = async (p: string) => {
    const names = workerNames(p);
    return (await containersOf(engineId)).filter((c) => c.Labels['io.fresco.route'] === p || c.Names.some((n) => names.has(n)));
  };

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

  // The same code as jsZip in a package of its own (jsZip's route is deleted by the last test).
  const jsZipNew = buildZip([
    { name: 'lib/greet.js', data: 'module.exports = (who) => `Hi ${who}`;\n', deflate: true },
    { name: 'index.js', data: "const greet = require('./lib/greet');\nexports.handler = (event) => greet(event.name);\n// new\n" },
  ]);

  before(async function () {
    this.timeout(900_000);
    images = { python3: runtimeImage('python3'), nodejs: runtimeImage('nodejs') };
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
    const byRoute = new Map<string, string[]>();
    for (const p of ['/py', '/py-zip', '/js', '/js-zip']) byRoute.set(p, (await containersFor(p)).map((c) => c.Id));
    const ids = [...byRoute.values()].flat();
    assert.equal(new Set(ids).size, ids.length, 'every container serves one route');
    for (const p of ['/py', '/py-zip', '/js', '/js-zip']) assert.equal(byRoute.get(p)?.length, 1, p);
  });

  // Waiting runtime containers (docs/runtimes.md): up before the routes that use them exist.
  const waitingOf = async (runtime: 'python3' | 'nodejs') => {
    const paths = (json((await http.get(routesUrl())).data).routes as { path: string }[]).map((r) => r.path);
    const serving = new Set(paths.flatMap((p) => [...workerNames(p)]));
    return (await containersOf(engineId)).filter((c) => c.Labels['io.fresco.runtime.image'] === images[runtime]
      && c.State === 'running' && !c.Names.some((n) => serving.has(n)));
  };
  // The engine's count, through the wrappers main.ts puts around it (CodeExecutor, startup gate):
  // Docker shows a container running a moment before its runtime answers and it counts as waiting.
  const engine = () => (fresco.services.executor as unknown as { inner: { current: DockerExecutor } }).inner.current;
  const waitForWaiting = (runtime: 'python3' | 'nodejs', not: string[] = []) => waitFor(`a waiting ${runtime} container`, async () => {
    if ((engine().stats().waitingRuntimes[images[runtime]] ?? 0) < 1) return undefined;
    const ids = (await waitingOf(runtime)).map((c) => c.Id).filter((id) => !not.includes(id));
    return ids.length > 0 ? ids : undefined;
  }, 45_000);

  // A single file for Python, a zip with a directory for Node.
  for (const [runtime, entry, part, file, src] of [['python3', 'hello.main', 'file', 'hello.py', pyHello],
    ['nodejs', 'index.handler', 'package', 'code.zip', jsZipNew]] as const) {
    it(`runs a new ${runtime} function's first call in a runtime container that waited before the route existed, then starts another to wait`, async () => {
      const waiting = await waitForWaiting(runtime);
      const p = `/${runtime}-new`;
      const res = await upload({ path: p, runtime, entry }, part, file, src);
      assert.equal(res.status, 200, res.data);
      const first = await run(p, '{"name": "New"}');
      assert.equal(first.status, 200, first.data);
      if (runtime === 'python3') {
        assert.deepEqual(json(json(first.data).result), { greeting: 'Hello New' });
        assert.match(await callLog(json(first.data).call_id), /greeting New in call/, 'the function\'s prints reach the call log');
      } else {
        assert.equal(json(json(first.data).result), 'Hi New', 'the zip\'s lib/greet.js was there');
      }
      const serving = (await containersFor(p)).map((c) => c.Id);
      assert.equal(serving.length, 1);
      assert.ok(waiting.includes(serving[0]), 'the first call ran in a container that was waiting before the route was created');
      assert.equal((await containersFor(p))[0].Labels['io.fresco.route'], '', 'it was started for no route');
      const refilled = await waitForWaiting(runtime, waiting);
      assert.ok(!refilled.includes(serving[0]));
      const second = await run(p, '"Again"');
      assert.equal((await call(json(second.data).call_id)).kind, 'hot');
      assert.deepEqual((await containersFor(p)).map((c) => c.Id), serving, 'the container stays the route\'s');
    });
  }

  it('gives two functions two waiting containers that share nothing: module globals and /tmp are their own', async () => {
    const code = 'import os\nCALLS = []\n\ndef main(event, context):\n    CALLS.append(event)\n'
      + '    open("/tmp/marker-" + event, "w").close()\n    return {"calls": CALLS, "tmp": sorted(os.listdir("/tmp"))}\n';
    const ids: string[] = [];
    for (const p of ['/iso-a', '/iso-b']) {
      await waitForWaiting('python3');
      assert.equal((await createJson({ path: p, runtime: 'python3', entry: 'iso.main', code: { name: 'iso.py', data: b64(code) } })).status, 200);
      const res = await run(p, JSON.stringify(p.slice(1)));
      assert.equal(res.status, 200, res.data);
      assert.deepEqual(json(json(res.data).result), { calls: [p.slice(1)], tmp: [`marker-${p.slice(1)}`] }, `${p} sees only its own state`);
      ids.push(...(await containersFor(p)).map((c) => c.Id));
    }
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1], 'two routes, two containers');
  });

  it('gives a function in a waiting container the same environment and config as in one started for it', async () => {
    const code = 'import os\nAT_IMPORT = os.environ.get("GREETING")\n\ndef main(event, context):\n'
      + '    keys = ["GREETING", "MY_KEY", "APP_NAME", "FORMAT", "FRESCO_ENTRY", "FRESCO_CALLING"]\n'
      + '    return {"env": {k: os.environ.get(k) for k in keys}, "at_import": AT_IMPORT, "route": os.environ.get("ROUTE"),\n'
      + '            "memory": os.environ.get("MEMORY_MB"), "ctx": [context.app_name, context.route]}\n';
    const env: Record<string, { env: unknown; at_import: string; route: string; memory: string; ctx: string[] }> = {};
    const waiting = await waitForWaiting('python3');
    // 256 MiB: no waiting container has that limit, so this one starts a container of its own.
    for (const [p, memory] of [['/env-waiting', 128], ['/env-started', 256]] as const) {
      const res = await createJson({ path: p, runtime: 'python3', entry: 'envy.main', memory, config: { GREETING: 'hi', 'my-key': 'v' },
        code: { name: 'envy.py', data: b64(code) } });
      assert.equal(res.status, 200, res.data);
      const out = await run(p, '{}');
      assert.equal(out.status, 200, out.data);
      env[p] = json(json(out.data).result);
    }
    const [specialised] = (await containersFor('/env-waiting')).map((c) => c.Id);
    assert.ok(waiting.includes(specialised), 'the 128 MiB route ran in a waiting container');
    const [own] = await containersFor('/env-started');
    assert.equal(own.Labels['io.fresco.route'], '/env-started', 'the 256 MiB route started its own');
    assert.deepEqual(env['/env-waiting'].env, env['/env-started'].env);
    assert.deepEqual(env['/env-waiting'].env, { GREETING: 'hi', MY_KEY: 'v', APP_NAME: 'fn', FORMAT: 'json', FRESCO_ENTRY: 'envy.main', FRESCO_CALLING: 'lambda' });
    assert.equal(env['/env-waiting'].at_import, 'hi', 'config is set before the code is imported');
    assert.deepEqual([env['/env-waiting'].route, env['/env-waiting'].memory, env['/env-waiting'].ctx], ['/env-waiting', '128', ['fn', '/env-waiting']]);
    assert.deepEqual([env['/env-started'].route, env['/env-started'].memory, env['/env-started'].ctx], ['/env-started', '256', ['fn', '/env-started']]);
  });

  it('fails the calls of code that breaks on import in a waiting container with its traceback, and the next function still gets one', async () => {
    const waiting = await waitForWaiting('python3');
    const bad = 'raise RuntimeError("broken at import")\n\ndef main(event, context):\n    return 1\n';
    assert.equal((await createJson({ path: '/py-broken', runtime: 'python3', entry: 'broken.main', code: { name: 'broken.py', data: b64(bad) } })).status, 200);
    const res = await run('/py-broken', '{}');
    assert.equal(res.status, 502, res.data);
    const id = json(res.data).call_id;
    assert.match((await call(id)).error, /RuntimeError: broken at import/);
    assert.match(await callLog(id), /Traceback[\s\S]*broken\.py", line 1[\s\S]*RuntimeError: broken at import/);
    assert.ok(waiting.includes((await containersFor('/py-broken'))[0].Id), 'it ran in a waiting container');
    const next = await waitForWaiting('python3', waiting);
    assert.equal((await upload({ path: '/py-after', runtime: 'python3', entry: 'hello.main' }, 'file', 'hello.py', pyHello)).status, 200);
    const ok = await run('/py-after', '{"name": "After"}');
    assert.equal(ok.status, 200, ok.data);
    assert.ok(next.includes((await containersFor('/py-after'))[0].Id), 'the next function ran in a waiting container too');
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
