// A small cluster on this machine for the cluster tests: real `fresco api` and `fresco engine`
// processes (from the sources), each with its own engine id and a free port, one PostgreSQL
// database of the test's own, optionally a RabbitMQ vhost of its own, and the machine's Docker.
// Containers are counted by Fresco's labels, which carry the engine id.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import axios from 'axios';
import { createTestDb, TestDb } from '../../helpers/db';
import { FrescoProcess, spawnFresco } from '../../helpers/fresco-process';
import { waitFor } from '../../helpers/wait';
import { members, rank, routeKey } from '../../../src/cluster/placement';
import { buildImages, docker } from '../executor/fixtures';
import { BROKER_URL } from '../queue/broker';

const run = promisify(execFile);
/** Where PostgreSQL's Unix socket is (for engines in a network namespace of their own). */
const PG_SOCKET_DIR = process.env.FRESCO_TEST_PG_SOCKET_DIR ?? '/var/run/postgresql';
const rabbitmqctl = (...args: string[]) => run('rabbitmqctl', args, { timeout: 60_000 });

/** The answer of one call, as a user sees it. */
export interface Answer { status: number; body: string; code?: string; callId?: string; ms: number; error?: string }

export class ClusterWorld {
  readonly tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly secret = randomBytes(24).toString('hex');
  readonly engines = new Map<string, FrescoProcess>();
  readonly http = axios.create({ validateStatus: () => true, timeout: 60_000, transformResponse: (d) => d });
  t!: TestDb;
  api!: FrescoProcess;
  base = '';
  private stateDir = '';
  private configFile = '';
  private vhost?: string;

  constructor(private readonly o: { engineTimeout?: number; rabbit?: boolean; placementWait?: number } = {}) {}

  get transportUrl(): string | undefined {
    return this.vhost ? `${BROKER_URL.replace(/\/+$/, '')}/${encodeURIComponent(this.vhost)}` : undefined;
  }

  /** The engine id of engine `name` in this world. */
  id(name: string): string {
    return `test-cl-${name}-${this.tag}`;
  }

  async setUp(): Promise<void> {
    buildImages();
    this.t = await createTestDb();
    if (this.o.rabbit) {
      this.vhost = `fresco-test-${this.tag}`;
      await rabbitmqctl('add_vhost', this.vhost);
      await rabbitmqctl('set_permissions', '-p', this.vhost, 'guest', '.*', '.*', '.*');
    }
    this.stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-cluster-'));
    this.configFile = path.join(this.stateDir, 'fresco.conf');
    fs.writeFileSync(this.configFile, '[DEFAULT]\n');
  }

  private common(): Record<string, string> {
    return {
      FRESCO_DATABASE_CONNECTION: this.t.url, FRESCO_STATE_PATH: this.stateDir, FRESCO_DATABASE_MAX_POOL_SIZE: '4',
      FRESCO_CLUSTER_SECRET: this.secret, FRESCO_CLUSTER_HEARTBEAT_INTERVAL: '1',
      FRESCO_CLUSTER_ENGINE_TIMEOUT: String(this.o.engineTimeout ?? 10),
      FRESCO_CLUSTER_PLACEMENT_WAIT: String(this.o.placementWait ?? 5),
      ...(this.transportUrl ? { FRESCO_TRANSPORT_URL: this.transportUrl } : {}),
    };
  }

  /** Starts `fresco api` with Docker absent ([docker] host is a socket that does not exist). */
  async startApi(): Promise<void> {
    this.api = spawnFresco('api', 'api', this.configFile, {
      ...this.common(), FRESCO_BIND_PORT: '0', FRESCO_ENGINE_ENGINE_ID: this.id('api'),
      FRESCO_DOCKER_HOST: path.join(this.stateDir, 'no-docker-here.sock'),
    });
    this.base = `http://127.0.0.1:${await this.api.port()}`;
  }

  /** Starts engine `name` on a free hop port; resolves once it serves the hop. */
  async startEngine(name: string, env: Record<string, string> = {}): Promise<FrescoProcess> {
    const p = spawnFresco(name, 'engine', this.configFile, {
      ...this.common(), FRESCO_ENGINE_ENGINE_ID: this.id(name), FRESCO_CLUSTER_BIND_PORT: '0', ...env,
    });
    this.engines.set(name, p);
    await p.waitForLog('engine call hop listening', 30_000);
    return p;
  }

  /** Starts engine `name` inside network namespace `ns` (`ip netns exec`), its hop bound to
   *  `host` (an address of that namespace) and announced there; it reaches PostgreSQL and Docker
   *  through their Unix sockets, which a network namespace does not hide. */
  async startEngineInNetns(ns: string, name: string, host: string, env: Record<string, string> = {}): Promise<FrescoProcess> {
    const root = path.resolve(__dirname, '../../..');
    const entry = `require(${JSON.stringify(path.join(root, 'src/cli/main'))}).main(process.argv.slice(1))`;
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FRESCO_')));
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--require', 'tsx/cjs', '-e', entry, '--', '--config-file',
      this.configFile, 'engine'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...base, FRESCO_LOG_LEVEL: 'info', ...this.common(), FRESCO_DATABASE_CONNECTION: `postgresql://postgres@${encodeURIComponent(PG_SOCKET_DIR)}/${this.t.name}`,
        FRESCO_ENGINE_ENGINE_ID: this.id(name), FRESCO_CLUSTER_BIND_HOST: host, FRESCO_CLUSTER_BIND_PORT: '0', ...env,
      },
    });
    const p = new FrescoProcess(`${name}@${ns}`, child);
    this.engines.set(name, p);
    await p.waitForLog('engine call hop listening', 30_000);
    return p;
  }

  /** Resolves once the API places calls on every engine in `names`: its own view, re-read every
   *  second, may lag the database by that much (the API logs each engine joining or leaving it). */
  async placing(names: string[], timeoutMs = 20_000): Promise<void> {
    const inView = (name: string) => {
      const last = this.api.lines.filter((l) => l.engine === this.id(name)
        && (l.msg === 'engine joined placement' || l.msg === 'engine left placement')).pop();
      return last?.msg === 'engine joined placement';
    };
    await waitFor(`the api to place calls on ${names.join(', ')}`, () => names.every(inView), timeoutMs, 50);
  }

  /** Engine ids the database lists as renewed within `ms`. */
  async liveIds(ms = 60_000): Promise<string[]> {
    return this.t.db('engines').where('heartbeat_at', '>', this.t.db.raw("now() - (? * interval '1 millisecond')", [ms])).orderBy('id').pluck('id');
  }

  /** Creates app `app` and its routes (body: the Route fields). */
  async createRoutes(project: string, app: string, routes: Array<Record<string, unknown>>): Promise<void> {
    const a = await this.http.post(`${this.base}/v1/${project}/apps`, { app: { name: app } });
    if (a.status !== 200) throw new Error(`app create: ${a.status} ${a.data}`);
    for (const r of routes) {
      const res = await this.http.post(`${this.base}/v1/${project}/apps/${app}/routes`, { route: r });
      if (res.status !== 200) throw new Error(`route create: ${res.status} ${res.data}`);
    }
  }

  /** The engine losing tests' routes (engine-freeze, netns): eight slow ones (`/sN/sleep`, route
   *  timeout 30 s) and eight hot ones (`/hN/pid`) of the hot-http test image, created once both
   *  `names` engines are in the membership and the API places calls on them; `homedOn(name)` picks
   *  one of each whose home is that engine. */
  async lossRoutes(project: string, app: string, names: string[]): Promise<{ homedOn(name: string): { slow: string; hot: string } }> {
    const slow = Array.from({ length: 8 }, (_, i) => `/s${i}/sleep`);
    const hot = Array.from({ length: 8 }, (_, i) => `/h${i}/pid`);
    await this.createRoutes(project, app, [
      ...slow.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32, timeout: 30 })),
      ...hot.map((path) => ({ path, image: 'fresco-test/hot-http:1', format: 'http', memory: 32 })),
    ]);
    await waitFor(`engines ${names.join(', ')} in the membership`, async () => (await this.liveIds()).length === names.length, 20_000, 100);
    await this.placing(names);
    const homeOf = (routePath: string) =>
      rank(routeKey({ projectId: project, appName: app, path: routePath }), members(names.map((n) => this.id(n))))[0].id;
    return {
      homedOn: (name: string) => {
        const pick = (list: string[]) => list.find((r) => homeOf(r) === this.id(name));
        const s = pick(slow);
        const h = pick(hot);
        if (!s || !h) throw new Error(`no slow and hot route homed on engine ${name}`);
        return { slow: s, hot: h };
      },
    };
  }

  /** POST /v1/r/{project}/{app}{path}; never throws. */
  async call(project: string, app: string, routePath: string, body = 'x'): Promise<Answer> {
    const t0 = Date.now();
    try {
      const res = await this.http.post(`${this.base}/v1/r/${project}/${app}${routePath}`, body, { headers: { 'Content-Type': 'text/plain' } });
      let parsed: { result?: string; error?: { code?: string } } = {};
      try { parsed = JSON.parse(res.data); } catch { /* not JSON */ }
      return {
        status: res.status, body: parsed.result ?? res.data, code: parsed.error?.code,
        callId: res.headers['x-fresco-call-id'] as string | undefined, ms: Date.now() - t0,
      };
    } catch (err) {
      return { status: 0, body: '', error: (err as Error).message, ms: Date.now() - t0 };
    }
  }

  /** Running containers of engine `name`, by kind label. */
  async containers(name: string, kind = 'hot'): Promise<Array<{ id: string; route: string }>> {
    const list = await docker.listContainers({ filters: { label: [`io.fresco.engine=${this.id(name)}`, `io.fresco.kind=${kind}`] } });
    return list.map((c) => ({ id: c.Id, route: c.Labels['io.fresco.route'] }));
  }

  async tearDown(): Promise<void> {
    await Promise.all([this.api, ...this.engines.values()].map((p) => p?.stop()));
    for (const name of [...this.engines.keys(), 'api']) {
      const left = await docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${this.id(name)}`] } });
      for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    if (this.vhost) await rabbitmqctl('delete_vhost', this.vhost).catch(() => undefined);
    await this.t?.drop();
    if (this.stateDir) fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
