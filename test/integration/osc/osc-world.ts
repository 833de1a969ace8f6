import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { deleteSwiftContainers, issueToken, openstackUp, OsEnv } from '../../helpers/openstack';

// What the `openstack fn` tests drive: Debian's /usr/bin/openstack with Fresco's plugin
// (test/setup.d/50-osc.sh) against a Fresco (`fresco all`, Keystone auth, its own PostgreSQL
// database) on a port the kernel picked. The catalog's Fresco URL ($FAAS_URL, port 8080) is not
// used: anything on this machine may hold that port. Instead Fresco's endpoints (type
// `functions`) go into a Keystone region of this world's own, removed by stop().

/** Debian's client: a pyenv python3 may come first on PATH and lacks the OpenStack libraries. */
export const OPENSTACK = '/usr/bin/openstack';
/** One command's limit: generous, as Debian's client and Keystone are slow on a loaded CI machine. */
const OSC_TIMEOUT_MS = 150_000;
const SETUP_OSC = path.resolve(__dirname, '../../setup.d/50-osc.sh');

/** The test accounts of keystone-up.sh. */
export type OscUser = 'DEMO' | 'ALT' | 'ADMIN';
/** An `openstack` run: its exit code and output. */
export interface OscResult { code: number; stdout: string; stderr: string }

/** A running Fresco, its Keystone accounts and an `openstack` runner aimed at it. */
export class OscWorld {
  private constructor(
    readonly ks: OsEnv,
    /** Fresco's root URL, e.g. http://127.0.0.1:41234. */
    public url: string,
    readonly region: string,
    private readonly fresco: FrescoProcess,
    readonly db: TestDb,
    private readonly dir: string,
    /** Fresco's [swift] container_prefix, when it keeps its packages in Swift. */
    readonly swiftContainerPrefix?: string,
  ) {}

  /**
   * Installs this checkout's plugin if another is installed (50-osc.sh, ~2 s when it is: on a
   * machine shared by several checkouts the system python holds whichever installed last), starts
   * Keystone (idempotent), Fresco on a free port and its own catalog region; throws if any fails.
   * With `swift`, Swift runs too and Fresco keeps its packages there ([swift], a container prefix
   * of this world's own, `swiftContainerPrefix`).
   */
  static async start(label: string, opts: { swift?: boolean } = {}): Promise<OscWorld> {
    execFileSync('bash', [SETUP_OSC], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    const ks = await openstackUp(opts.swift ? 'swift-up.sh' : 'keystone-up.sh');
    const db = await createTestDb();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fresco-osc-${label}-`));
    const swiftPrefix = opts.swift ? `fresco_osc_${randomBytes(4).toString('hex')}_` : undefined;
    const fresco = spawnFresco(`fresco (${label})`, 'all', writeConfig(dir, db, ks, swiftPrefix), { FRESCO_BIND_PORT: '0' });
    const region = `FrescoOscTest-${randomBytes(4).toString('hex')}`;
    const world = new OscWorld(ks, '', region, fresco, db, dir, swiftPrefix);
    try {
      world.url = `http://127.0.0.1:${await fresco.port(30_000)}`;
      await world.registerRegion();
    } catch (err) {
      await world.stop().catch(() => undefined);
      throw err;
    }
    return world;
  }

  /** A scratch directory of this world, removed by stop(). */
  get scratch(): string {
    return this.dir;
  }

  /**
   * Runs `openstack ARGS` as USER. By default the endpoint comes from OS_FRESCO_ENDPOINT_OVERRIDE;
   * with `catalog`, from the Keystone catalog of this world's region.
   */
  osc(user: OscUser, args: string[], catalog = false): Promise<OscResult> {
    const env = this.env(user, catalog);
    return new Promise((resolve) => {
      execFile(OPENSTACK, args, { env, timeout: OSC_TIMEOUT_MS }, (err, stdout, stderr) => {
        // A killed command has no exit code: say so, or a timeout reads as a silent failure.
        const killed = err && (err as { killed?: boolean }).killed ? `\n[killed after ${OSC_TIMEOUT_MS / 1000} s without ending]` : '';
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr + killed });
      });
    });
  }

  /** Starts `openstack ARGS` as USER, for a test that reads its output as it comes. */
  spawn(user: OscUser, args: string[]): ChildProcess {
    return spawn(OPENSTACK, args, { env: this.env(user, false), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private env(user: OscUser, catalog: boolean): Record<string, string> {
    const ks = this.ks;
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8',
      OS_AUTH_URL: ks.OS_AUTH_URL, OS_IDENTITY_API_VERSION: '3', OS_INTERFACE: 'public',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default',
      // Admin manages Keystone, whose endpoints are in the default region only.
      OS_REGION_NAME: user === 'ADMIN' ? ks.OS_REGION_NAME : this.region,
      OS_USERNAME: ks[`OS_${user}_USERNAME`], OS_PASSWORD: ks[`OS_${user}_PASSWORD`],
      OS_PROJECT_NAME: ks[`OS_${user}_PROJECT_NAME`],
    };
    if (!catalog) env.OS_FRESCO_ENDPOINT_OVERRIDE = this.url;
    // A plugin installed apart (pip install --target DIR osc/): its modules and entry points come first,
    // so a checkout can test its plugin without replacing the one in the shared system python.
    if (process.env.FRESCO_OSC_PYTHONPATH) env.PYTHONPATH = process.env.FRESCO_OSC_PYTHONPATH;
    return env;
  }

  /** Runs `openstack ARGS` as USER and returns its stdout; fails the test unless it exits 0. */
  async ok(user: OscUser, args: string[], catalog = false): Promise<string> {
    const r = await this.osc(user, args, catalog);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** `ok` with `-f json`, parsed. */
  async json(user: OscUser, args: string[], catalog = false) {
    return JSON.parse(await this.ok(user, [...args, '-f', 'json'], catalog));
  }

  /** Stops Fresco, removes the region, the database and the scratch directory; every step runs, the first error is thrown. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown) => { try { await step(); } catch (err) { errors.push(err); } };
    await attempt(() => this.fresco.stop(10_000));
    await attempt(() => this.removeRegion());
    await attempt(() => this.db.drop());
    await attempt(() => this.removeSwiftContainers());
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  }

  // The package containers of this world's prefix in the service user's account.
  private async removeSwiftContainers(): Promise<void> {
    if (!this.swiftContainerPrefix) return;
    const account = `${this.ks.SWIFT_URL}/v1/AUTH_${this.ks.OS_SERVICE_PROJECT_ID}`;
    await deleteSwiftContainers(account, await issueToken(this.ks, 'SERVICE'), this.swiftContainerPrefix);
  }

  private async registerRegion(): Promise<void> {
    await this.ok('ADMIN', ['region', 'create', this.region]);
    for (const iface of ['public', 'internal']) {
      await this.ok('ADMIN', ['endpoint', 'create', '--region', this.region, 'functions', iface, this.url]);
    }
  }

  private async removeRegion(): Promise<void> {
    if (!this.url) return; // never registered: Fresco did not start
    const ids = (await this.ok('ADMIN', ['endpoint', 'list', '--region', this.region, '-f', 'value', '-c', 'ID']))
      .split('\n').filter(Boolean);
    for (const id of ids) await this.ok('ADMIN', ['endpoint', 'delete', id]);
    await this.ok('ADMIN', ['region', 'delete', this.region]);
  }
}

function writeConfig(dir: string, db: TestDb, ks: OsEnv, swiftPrefix?: string): string {
  const file = path.join(dir, 'fresco.conf');
  // The service user of [keystone_authtoken] keeps the packages, as DevStack's plugin configures it.
  const swift = swiftPrefix ? ['[swift]', 'enabled = true', `region_name = ${ks.OS_REGION_NAME}`, `container_prefix = ${swiftPrefix}`] : [];
  fs.writeFileSync(file, [
    '[DEFAULT]', 'bind_host = 127.0.0.1', 'auth_strategy = keystone', `state_path = ${dir}/state`,
    '[database]', `connection = ${db.url}`,
    '[keystone_authtoken]', `auth_url = ${ks.OS_AUTH_URL}`, `username = ${ks.OS_SERVICE_USERNAME}`,
    `password = ${ks.OS_SERVICE_PASSWORD}`, `project_name = ${ks.OS_SERVICE_PROJECT_NAME}`,
    'user_domain_name = Default', 'project_domain_name = Default', ...swift, '',
  ].join('\n'));
  return file;
}
