// `node dist/bench/memory.js`: the resident memory of a real `fresco all` process (bin/fresco, on
// a throw-away PostgreSQL database): idle after start-up, then with 1,000 routes of which
// BENCH_MEM_HOT (default 200) hot http routes each keep a warm container. Targets: idle ≤ 80 MB,
// loaded ≤ 200 MB. The containers are the function's, not Fresco's: only Fresco's RSS counts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { packageRoot } from '../src/executor/options';
import { api, HELLO, HOT_HTTP, openBenchDb, stateDirName } from './fresco';

const ROUTES = Number(process.env.BENCH_MEM_ROUTES ?? 1000);
const HOT = Math.min(ROUTES, Number(process.env.BENCH_MEM_HOT ?? 200));

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await fetch(`${base}/healthcheck`).then((r) => r.ok, () => false)) return;
    await sleep(200);
  }
  throw new Error('fresco all did not become healthy within 30 s');
}

/** Runs `task` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, task: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

async function main(): Promise<void> {
  const stateDir = `${stateDirName()}-mem`;
  fs.mkdirSync(stateDir, { recursive: true });
  const db = await openBenchDb(stateDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env, ...db.env, FRESCO_BIND_HOST: '127.0.0.1', FRESCO_BIND_PORT: String(port), FRESCO_AUTH_STRATEGY: 'noauth',
    FRESCO_ENGINE_ENGINE_ID: `bench-mem-${process.pid}`, FRESCO_LOG_LEVEL: 'warn',
  };
  delete env.FRESCO_TRANSPORT_URL;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'fresco'), 'all'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const pid = child.pid!;
  try {
    await waitHealthy(base);
    await sleep(5000);
    const idle = rssMb(pid);
    const t0 = Date.now();
    await api(base, 'POST', '/v1/mem/apps', { app: { name: 'mem' } });
    const routes = Array.from({ length: ROUTES }, (_, i) => i);
    await pool(routes, 8, (i) => api(base, 'POST', '/v1/mem/apps/mem/routes', {
      route: i < HOT
        ? { path: `/hot${i}`, image: HOT_HTTP, format: 'http', is_public: true, idle_timeout: 3600 }
        : { path: `/r${i}`, image: HELLO, is_public: true },
    }).then(() => undefined));
    await pool(routes.slice(0, HOT), 4, async (i) => {
      const res = await fetch(`${base}/r/mem/hot${i}`, { method: 'POST', body: 'Bob' });
      if (!res.ok) throw new Error(`warming /hot${i}: HTTP ${res.status} ${await res.text()}`);
    });
    const setupS = (Date.now() - t0) / 1000;
    await sleep(5000);
    const loaded = rssMb(pid);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(`fresco all (pid ${pid}), ${db.description}`);
    console.log(`idle RSS after start-up: ${idle.toFixed(1)} MB (≤ 80 MB: ${verdict(idle <= 80)})`);
    console.log(`RSS with ${ROUTES} routes and ${HOT} warm hot containers: ${loaded.toFixed(1)} MB `
      + `(≤ 200 MB: ${verdict(loaded <= 200)}; set up in ${setupS.toFixed(0)} s)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
