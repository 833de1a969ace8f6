import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, TestDb } from '../../helpers/db';
import { waitFor } from '../../helpers/wait';

// `openstack fn ...` (osc/, installed by test/setup.d/50-osc.sh) against a Fresco started from
// bin/fresco with auth_strategy = keystone, the real Keystone of shared/openstack and real
// PostgreSQL and Docker: demo creates, runs and reads; alt fails cleanly on demo's objects.
// Fresco listens on the catalog's port ($FAAS_URL, 8080) when it is free, so that the CLI finds
// it in the catalog; otherwise on a free port, with a region of our own holding its endpoints.

const REPO = path.resolve(__dirname, '../../..');
const SHARED = process.env.FRESCO_SHARED_DIR ?? path.resolve(REPO, '../shared');
const ENV_FILE = process.env.OPENSTACK_ENV_FILE ?? '/tmp/openstack-env.sh';
const OPENSTACK = '/usr/bin/openstack';
const IMAGE = `fresco-osc-test/hello:${process.pid}`;
// A cold function: "Hello <stdin>" on stdout, a line of log on stderr.
const HELLO = 'read -r who || true; echo "Hello $who"; echo "greeted $who" >&2';
// Debugging aid only: FRESCO_OSC_TEST_ROLE=api checks the CLI's non-run commands while no
// executor is wired (the run and call tests then fail, as they should).
const ROLE = process.env.FRESCO_OSC_TEST_ROLE ?? 'all';

type Env = Record<string, string>;
interface Result { code: number; stdout: string; stderr: string }

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The variables keystone-up.sh exports (it is idempotent: ~0.3 s when Keystone runs). */
function openstackEnv(): Env {
  sh('bash', [path.join(SHARED, 'openstack/keystone-up.sh'), ENV_FILE]);
  const env: Env = {};
  for (const line of fs.readFileSync(ENV_FILE, 'utf8').split('\n')) {
    if (!line.startsWith('export ')) continue;
    for (const m of line.matchAll(/(\w+)=(\S*)/g)) env[m[1]] = m[2];
  }
  return env;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A function image from the host's static busybox: no registry needed. */
function buildImage(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-osc-image-'));
  try {
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    fs.symlinkSync('busybox', path.join(root, 'bin/sh'));
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 << 20 });
    const cmd = JSON.stringify(['/bin/busybox', 'sh', '-c', HELLO]);
    const r = spawnSync('docker', ['import', '--change', `CMD ${cmd}`, '-', IMAGE], { input: tar.stdout });
    if (r.status !== 0) throw new Error(`docker import: ${r.stderr}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Rejects with the end of its log if the process exits (a start-up failure: fail at once). */
function exitOf(child: ChildProcess, log: string): Promise<never> {
  const failed = new Promise<never>((_, reject) => child.once('exit', (code) =>
    reject(new Error(`fresco exited (${code}): ${fs.readFileSync(log, 'utf8').slice(-2000)}`))));
  failed.catch(() => undefined);
  return failed;
}

function writeConfig(dir: string, port: number, db: TestDb, ks: Env): string {
  const file = path.join(dir, 'fresco.conf');
  fs.writeFileSync(file, [
    '[DEFAULT]', `bind_host = 127.0.0.1`, `bind_port = ${port}`, 'auth_strategy = keystone',
    `state_path = ${dir}/state`, 'log_level = warn',
    '[database]', `connection = ${db.url}`,
    '[keystone_authtoken]', `auth_url = ${ks.OS_AUTH_URL}`, `username = ${ks.OS_SERVICE_USERNAME}`,
    `password = ${ks.OS_SERVICE_PASSWORD}`, `project_name = ${ks.OS_SERVICE_PROJECT_NAME}`,
    'user_domain_name = Default', 'project_domain_name = Default', '',
  ].join('\n'));
  return file;
}

describe('openstack fn (OSC plugin) with the real Keystone', function () {
  this.timeout(180_000);
  let ks: Env;
  let db: TestDb;
  let dir: string;
  let fresco: ChildProcess | undefined;
  let url: string;
  let region: string;
  let ownRegion: string | undefined;
  let override: string | undefined;
  const app = `oscapp${process.pid}`;
  let callId: string;

  /** Runs `openstack ARGS` as USER (demo, alt, admin); the endpoint override unless `catalog`. */
  function osc(user: 'DEMO' | 'ALT' | 'ADMIN', args: string[], catalog = false): Promise<Result> {
    const env: Env = {
      PATH: '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8',
      OS_AUTH_URL: ks.OS_AUTH_URL, OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
      // Admin manages Keystone, whose endpoints are in the default region only.
      OS_REGION_NAME: user === 'ADMIN' ? ks.OS_REGION_NAME : region,
      OS_USERNAME: ks[`OS_${user}_USERNAME`], OS_PASSWORD: ks[`OS_${user}_PASSWORD`],
      OS_PROJECT_NAME: ks[`OS_${user}_PROJECT_NAME`],
    };
    if (override && !catalog) env.OS_FUNCTIONS_ENDPOINT_OVERRIDE = override;
    return new Promise((resolve) => {
      execFile(OPENSTACK, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  async function ok(user: 'DEMO' | 'ALT' | 'ADMIN', args: string[], catalog = false): Promise<string> {
    const r = await osc(user, args, catalog);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  const json = async (user: 'DEMO' | 'ALT', args: string[], catalog = false) =>
    JSON.parse(await ok(user, [...args, '-f', 'json'], catalog));

  /** A clean CLI failure: exit 1, the API's message on stderr, no Python traceback. */
  async function failsCleanly(user: 'DEMO' | 'ALT', args: string[], message: RegExp): Promise<void> {
    const r = await osc(user, args);
    assert.equal(r.code, 1, `openstack ${args.join(' ')}: exit ${r.code}, stdout ${r.stdout}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /Traceback/);
  }

  before(async function () {
    ks = openstackEnv();
    sh('npm', ['run', '--silent', 'build']);
    buildImage();
    db = await createTestDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-osc-'));
    const catalogPort = Number(new URL(ks.FAAS_URL).port);
    region = ks.OS_REGION_NAME;
    let port = catalogPort;
    if (!(await portFree(catalogPort))) {
      port = await freePort();
      override = `http://127.0.0.1:${port}`;
      ownRegion = region = `FrescoOscTest-${process.pid}`;
      await registerOwnRegion(override);
    }
    url = `http://127.0.0.1:${port}`;
    const log = fs.openSync(path.join(dir, 'fresco.log'), 'a');
    fresco = spawn(process.execPath, ['bin/fresco', '--config-file', writeConfig(dir, port, db, ks), ROLE],
      { cwd: REPO, stdio: ['ignore', log, log], env: { ...process.env, NODE_ENV: 'test' } });
    await Promise.race([
      waitFor('Fresco /healthcheck', async () => (await fetch(`${url}/healthcheck`).catch(() => undefined))?.ok, 30_000, 200),
      exitOf(fresco, path.join(dir, 'fresco.log')),
    ]);
  });

  async function registerOwnRegion(at: string): Promise<void> {
    await ok('ADMIN', ['region', 'create', region]);
    for (const iface of ['public', 'internal']) {
      await ok('ADMIN', ['endpoint', 'create', '--region', region, 'functions', iface, at]);
    }
  }

  // Every step runs even if an earlier one failed; the first error is reported.
  after(async function () {
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown) => { try { await step(); } catch (err) { errors.push(err); } };
    await attempt(stopFresco);
    if (ownRegion) await attempt(() => removeOwnRegion(ownRegion as string));
    await attempt(() => db?.drop());
    spawnSync('docker', ['rmi', '-f', IMAGE]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  });

  async function stopFresco(): Promise<void> {
    if (!fresco || fresco.exitCode !== null) return;
    const exited = new Promise((r) => fresco?.once('exit', r));
    fresco.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (fresco.exitCode === null) fresco.kill('SIGKILL');
  }

  async function removeOwnRegion(name: string): Promise<void> {
    const ids = (await ok('ADMIN', ['endpoint', 'list', '--region', name, '-f', 'value', '-c', 'ID']))
      .split('\n').filter(Boolean);
    for (const id of ids) await ok('ADMIN', ['endpoint', 'delete', id]);
    await ok('ADMIN', ['region', 'delete', name]);
  }

  it('finds Fresco in the Keystone catalog (type functions) with a demo token', async () => {
    const apps = await json('DEMO', ['fn', 'app', 'list'], true);
    assert.ok(Array.isArray(apps));
  });

  it('creates an app and a route as demo', async () => {
    const created = await json('DEMO', ['fn', 'app', 'create', app, '--description', 'osc test', '--config', 'GREETING=hi']);
    assert.equal(created.name, app);
    assert.equal(created.project_id, ks.OS_DEMO_PROJECT_ID);
    assert.deepEqual(created.config, { GREETING: 'hi' });
    const apps = await json('DEMO', ['fn', 'app', 'list']);
    assert.ok(apps.some((a: { Name: string }) => a.Name === app));
    const route = await json('DEMO', ['fn', 'route', 'create', app, '/hello', '--image', IMAGE, '--timeout', '20']);
    assert.equal(route.path, '/hello');
    assert.equal(route.image, IMAGE);
    assert.equal(route.type, 'sync');
    const set = await json('DEMO', ['fn', 'route', 'set', app, 'hello', '--memory', '64']);
    assert.equal(set.memory, 64);
    const shown = await json('DEMO', ['fn', 'route', 'show', app, '/hello']);
    assert.equal(shown.memory, 64);
  });

  it('runs the route and returns the function output (fn run)', async () => {
    const run = await json('DEMO', ['fn', 'run', app, '/hello', '--data', 'World']);
    assert.equal(run.status, 'success');
    assert.equal(run.result, 'Hello World\n');
    assert.match(run.call_id, /\S/);
    callId = run.call_id;
  });

  it('runs it with the body from @file, through the catalog endpoint', async () => {
    const file = path.join(dir, 'body.txt');
    fs.writeFileSync(file, 'File');
    const run = await json('DEMO', ['fn', 'run', app, 'hello', '--data', `@${file}`], true);
    assert.equal(run.result, 'Hello File\n');
  });

  it('shows the call, lists it and prints its log', async () => {
    const call = await json('DEMO', ['fn', 'call', 'show', callId]);
    assert.equal(call.id, callId);
    assert.equal(call.status, 'success');
    assert.equal(call.app, app);
    assert.equal(call.route, '/hello');
    const calls = await json('DEMO', ['fn', 'call', 'list', '--app', app]);
    assert.ok(calls.some((c: { ID: string }) => c.ID === callId));
    const log = await ok('DEMO', ['fn', 'call', 'log', callId]);
    assert.match(log, /greeted World/);
  });

  it('shows API errors cleanly (exit 1, message, no traceback)', async () => {
    await failsCleanly('DEMO', ['fn', 'app', 'create', app], /already exists/);
    await failsCleanly('DEMO', ['fn', 'route', 'show', app, '/nope'], /not found/i);
    await failsCleanly('DEMO', ['fn', 'app', 'delete', app], /HTTP 409/);
  });

  it('fails cleanly as alt on every demo object, and leaves them as they were', async () => {
    await failsCleanly('ALT', ['fn', 'app', 'show', app], /not found/i);
    await failsCleanly('ALT', ['fn', 'route', 'show', app, '/hello'], /not found/i);
    await failsCleanly('ALT', ['fn', 'run', app, '/hello', '--data', 'Mallory'], /not found/i);
    await failsCleanly('ALT', ['fn', 'call', 'show', callId], /not found/i);
    await failsCleanly('ALT', ['fn', 'call', 'log', callId], /not found/i);
    await failsCleanly('ALT', ['fn', 'route', 'delete', app, '/hello'], /not found/i);
    await failsCleanly('ALT', ['fn', 'app', 'delete', app], /not found/i);
    const altApps = await json('ALT', ['fn', 'app', 'list']);
    assert.ok(!altApps.some((a: { Name: string }) => a.Name === app));
    const altCalls = await json('ALT', ['fn', 'call', 'list']);
    assert.ok(!altCalls.some((c: { ID: string }) => c.ID === callId));
    const still = await json('DEMO', ['fn', 'route', 'show', app, '/hello']);
    assert.equal(still.image, IMAGE);
  });

  it('deletes the route and the app as demo', async () => {
    await ok('DEMO', ['fn', 'route', 'delete', app, '/hello']);
    await ok('DEMO', ['fn', 'app', 'delete', app]);
    await failsCleanly('DEMO', ['fn', 'app', 'show', app], /not found/i);
  });
});
