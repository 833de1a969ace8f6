import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { start, Started } from '../../../src/main';
import { testConfig } from '../../helpers/api';
import { createTestDb, TestDb } from '../../helpers/db';
import { deleteSwiftContainers, issueToken, openstackUp, OsEnv } from '../../helpers/openstack';

// Code packages kept in Swift ([swift] enabled, docs/runtimes.md) as an operator runs it: Fresco
// (role all, noauth for its users) on real PostgreSQL and Docker keeps each project's packages in a
// container of its own in the service user's account of a real Swift behind a real Keystone. A
// package is stored under its digest, runs, downloads back, is refused once corrupted and goes with
// its route; with Swift unreachable a create fails with 503 and writes nothing.

const ROOT = path.resolve(__dirname, '../../..');
const HELLO = 'def main(event, context):\n    return "Hello " + event["name"]\n';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('code packages in Swift (role all, real Keystone, Swift, Docker and PostgreSQL)', function () {
  this.timeout(120_000);
  let os_: OsEnv;
  let t: TestDb;
  const started: Started[] = [];
  const dirs: string[] = [];
  let base: string;
  let image: string;
  const P = `swift-${randomBytes(4).toString('hex')}`;
  const prefix = `fresco_test_${randomBytes(4).toString('hex')}_`;
  const container = `${prefix}${P}`;

  // Swift as the test sees it: the service user's own account.
  let serviceToken: string;
  const account = () => `${os_.SWIFT_URL}/v1/AUTH_${os_.OS_SERVICE_PROJECT_ID}`;
  const swift = (method: string, obj: string, body?: string) =>
    fetch(`${account()}/${container}/${obj}`, { method, body, headers: { 'X-Auth-Token': serviceToken } });

  const swiftEnv = (extra: Record<string, string> = {}) => ({
    FRESCO_SWIFT_ENABLED: 'true', FRESCO_SWIFT_AUTH_URL: os_.OS_AUTH_URL, FRESCO_SWIFT_USERNAME: os_.OS_SERVICE_USERNAME,
    FRESCO_SWIFT_PASSWORD: os_.OS_SERVICE_PASSWORD, FRESCO_SWIFT_PROJECT_NAME: os_.OS_SERVICE_PROJECT_NAME,
    FRESCO_SWIFT_REGION_NAME: os_.OS_REGION_NAME, FRESCO_SWIFT_CONTAINER_PREFIX: prefix, ...extra,
  });
  async function startFresco(env: Record<string, string>): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-swift-'));
    dirs.push(dir);
    const fresco = await start(testConfig({
      FRESCO_DATABASE_CONNECTION: t.url, FRESCO_BIND_PORT: '0', FRESCO_STATE_PATH: dir,
      FRESCO_ENGINE_ENGINE_ID: `test-swift-${randomBytes(4).toString('hex')}`, ...env,
    }), 'all');
    started.push(fresco);
    return `http://127.0.0.1:${fresco.address!.port}`;
  }
  const routes = (at = base) => `${at}/v1/${P}/apps/fn/routes`;
  const create = (p: string, code: string, at = base) => {
    const form = new FormData();
    form.append('route', JSON.stringify({ path: p, runtime: 'python3', entry: 'hello.main' }));
    form.append('file', new Blob([code]), 'hello.py');
    return fetch(routes(at), { method: 'POST', body: form });
  };
  const run = (p: string, at = base) => fetch(`${at}/v1/r/${P}/fn${p}`, { method: 'POST', body: '{"name": "Ann"}', headers: { 'Content-Type': 'application/json' } });

  before(async function () {
    this.timeout(900_000);
    const out = execFileSync('bash', [path.join(ROOT, 'runtimes/build.sh'), 'python3'], { encoding: 'utf8' });
    image = /(fresco\/runtime-python3:[0-9a-f]{12})/.exec(out)![1];
    os_ = await openstackUp('swift-up.sh');
    serviceToken = await issueToken(os_, 'SERVICE');
    t = await createTestDb();
    base = await startFresco(swiftEnv());
    assert.equal((await fetch(`${base}/v1/runtimes`, { method: 'POST', body: JSON.stringify({ runtime: { name: 'python3', image } }), headers: { 'Content-Type': 'application/json' } })).status, 201);
    assert.equal((await fetch(`${base}/v1/${P}/apps`, { method: 'POST', body: '{"app": {"name": "fn"}}', headers: { 'Content-Type': 'application/json' } })).status, 200);
  });
  after(async () => {
    for (const f of started.reverse()) await f.stop();
    // The container, and what a failed test left in it.
    if (serviceToken) await deleteSwiftContainers(account(), serviceToken, prefix);
    await t?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('stores a package in the project\'s container under its digest, runs it, downloads it back and deletes it with its route', async () => {
    const res = await create('/hello', HELLO);
    assert.equal(res.status, 200, await res.clone().text());
    const { route } = await res.json() as { route: { code: { digest: string } } };
    assert.equal(route.code.digest, sha(HELLO));
    const stored = await swift('GET', sha(HELLO));
    assert.equal(stored.status, 200, `object ${container}/${sha(HELLO)}`);
    assert.equal(await stored.text(), HELLO);
    const row = await t.db('code_packages').where({ digest: sha(HELLO) }).first();
    assert.equal(row.content, null, 'the database keeps only the index');

    const ran = await run('/hello');
    assert.equal(ran.status, 200, await ran.clone().text());
    assert.equal(JSON.parse(((await ran.json()) as { result: string }).result), 'Hello Ann');
    const back = await fetch(`${routes()}/hello?download=true`);
    assert.equal(back.status, 200);
    assert.equal(await back.text(), HELLO);

    assert.equal((await fetch(`${routes()}/hello`, { method: 'DELETE' })).status, 200);
    assert.equal((await swift('HEAD', sha(HELLO))).status, 404, 'the object went with its route');
    assert.equal(await t.db('code_packages').where({ digest: sha(HELLO) }).first(), undefined);
  });

  it('keeps a package two routes share until the last of them goes', async () => {
    const code = `${HELLO}# shared\n`;
    assert.equal((await create('/a', code)).status, 200);
    assert.equal((await create('/b', code)).status, 200);
    assert.equal((await fetch(`${routes()}/a`, { method: 'DELETE' })).status, 200);
    assert.equal((await swift('HEAD', sha(code))).status, 200);
    assert.equal((await fetch(`${routes()}/b`, { method: 'DELETE' })).status, 200);
    assert.equal((await swift('HEAD', sha(code))).status, 404);
  });

  it('refuses a package changed in Swift: download and a run on another engine fail with FRESCO_PACKAGE_CORRUPT', async () => {
    const code = `${HELLO}# to be damaged\n`;
    assert.equal((await create('/damaged', code)).status, 200);
    assert.equal((await swift('PUT', sha(code), 'def main(event, context):\n    return "wrong code"\n')).status, 201);

    const back = await fetch(`${routes()}/damaged?download=true`);
    assert.equal(back.status, 500);
    assert.equal(((await back.json()) as { error: { code: string } }).error.code, 'FRESCO_PACKAGE_CORRUPT');
    // An engine that has not unpacked it yet (this one did when the route was written).
    const other = await startFresco(swiftEnv());
    const ran = await run('/damaged', other);
    const body = await ran.text();
    assert.equal(ran.status, 500, body);
    assert.match(body, /FRESCO_PACKAGE_CORRUPT/);
    assert.doesNotMatch(body, /wrong code/);
  });

  it('answers 503 naming Swift when Swift does not answer, and writes no route', async () => {
    const down = await startFresco(swiftEnv({ FRESCO_SWIFT_ENDPOINT_OVERRIDE: `http://127.0.0.1:${await closedPort()}`, FRESCO_SWIFT_TIMEOUT: '5' }));
    const before = await t.db('code_packages').count<{ n: string }[]>({ n: '*' });
    const res = await create('/unstored', `${HELLO}# never stored\n`, down);
    const body = await res.json() as { error: { code: string; message: string } };
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.error.code, 'FRESCO_PACKAGE_STORE_UNAVAILABLE');
    assert.match(body.error.message, /Swift at http:\/\/127\.0\.0\.1:\d+ did not answer PUT/);
    assert.equal((await fetch(`${routes()}/unstored`)).status, 404);
    assert.deepEqual(await t.db('code_packages').count<{ n: string }[]>({ n: '*' }), before);
  });
});
