// `npm run bench`: in one run on this machine, latency and throughput of bare `docker run` and of
// the real Fresco (`start(config, 'all')`, its HTTP API, its database): cold, pre-started, hot
// http (c=1, c=4), async throughput on the in-process queue and on RabbitMQ, and Fresco's own
// added latency on a hot call. wrk drives the API on 127.0.0.1, every run bounded in time.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/executor/options';
import { log } from '../src/log';
import { asyncThroughput } from './async';
import {
  APP, BenchDb, BenchFresco, createRoutes, FrescoSetup, HELLO, openBenchDb, PROJECT, publicUrl, runUrl, startFresco,
  stateDirName,
} from './fresco';
import { Figure, print, removeScript, requireWrk, timedLoop, wrk } from './measure';
import { executorHandler, startTarget } from './server';

const SECONDS = Math.min(10, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
const ASYNC_CALLS = Math.max(10, Number(process.env.BENCH_ASYNC_CALLS ?? 2000));

type Key = 'bare' | 'cold1' | 'cold4' | 'pre' | 'preWrk' | 'hot1' | 'hot4' | 'hotV1' | 'direct' | 'minimal'
  | 'localAccept' | 'local' | 'localPaced' | 'rabbitAccept' | 'rabbit' | 'rabbitPaced';
type Results = Partial<Record<Key, Figure>>;

function dockerRunOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', ['run', '--rm', '-i', '--network', 'none', HELLO], { stdio: ['pipe', 'ignore', 'ignore'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
    p.stdin.end('Bob');
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** POSTs "Bob" to `url`; rejects unless the answer is 200. */
function post(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve()
        : reject(new Error(`POST ${url}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end('Bob');
  });
}

async function waitPrestarted(f: BenchFresco): Promise<void> {
  const deadline = Date.now() + 5000;
  while (f.executor.stats().prestarted < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

/** Runs `run` on a Fresco started for `setup`, stopped after; with `optional`, one that cannot start is skipped. */
async function withFresco(db: BenchDb, setup: FrescoSetup, run: (f: BenchFresco) => Promise<void>, optional = false): Promise<void> {
  let f: BenchFresco;
  try {
    f = await startFresco(db, setup);
  } catch (err) {
    if (!optional) throw err;
    console.log(`Fresco "${setup.name}" skipped: ${(err as Error).message}`);
    return;
  }
  console.log(`Fresco "${setup.name}" (start(config, 'all')) at ${f.url}; async calls via ${f.queue}`);
  try {
    await run(f);
  } finally {
    await f.stop();
  }
}

async function coldScenarios(f: BenchFresco, r: Results): Promise<void> {
  await createRoutes(f.url);
  const url = publicUrl(f, '/cold');
  await post(url);
  r.cold1 = await wrk('Fresco cold, default format (/r)', url, { connections: 1, seconds: SECONDS });
  r.cold4 = await wrk('Fresco cold, default format (/r)', url, { connections: 4, seconds: SECONDS });
}

async function prestartedScenarios(f: BenchFresco, r: Results): Promise<void> {
  const url = publicUrl(f, '/pre');
  await post(url);
  r.pre = await timedLoop('Fresco pre-started, default (/r, one ready/call)', SECONDS, () => post(url), () => waitPrestarted(f));
  r.pre.note = `node client, waits for a ready container between calls; ${r.pre.note}`;
  r.preWrk = await wrk('Fresco pre-started route, back-to-back (/r)', url, { connections: 1, seconds: SECONDS });
}

async function hotScenarios(f: BenchFresco, r: Results): Promise<void> {
  const url = publicUrl(f, '/hot');
  await post(url);
  await wrk('warm-up', url, { connections: 4, seconds: 1 });
  r.hot1 = await wrk('Fresco hot http (/r)', url, { connections: 1, seconds: SECONDS });
  r.hot4 = await wrk('Fresco hot http (/r)', url, { connections: 4, seconds: SECONDS });
  r.hotV1 = await wrk('Fresco hot http (POST /v1/r, JSON answer)', runUrl(f, '/hot'), { connections: 1, seconds: SECONDS });
  const { runnable } = await f.running.services.resolver.private(PROJECT, APP, '/hot');
  r.direct = await timedLoop('hot http, executor.run direct (no HTTP)', SECONDS, () => f.executor.run({
    id: randomUUID(), route: runnable, method: 'POST', url, requestPath: `/r/${APP}/hot`,
    headers: { 'content-type': 'text/plain' }, body: Buffer.from('Bob'),
  }));
  r.direct.note = `node loop, same hot pool as the API; ${r.direct.note}`;
  const server = await startTarget(executorHandler(f.executor, { hot: runnable }));
  try {
    r.minimal = await wrk('hot http, executor behind a minimal node server', `${server.url}/hot`, { connections: 1, seconds: SECONDS });
  } finally {
    await server.close();
  }
}

async function warmScenarios(f: BenchFresco, r: Results): Promise<void> {
  await prestartedScenarios(f, r);
  await hotScenarios(f, r);
  [r.localAccept, r.local, r.localPaced] = await asyncThroughput(f, '/async-local', 'async, in-process queue', ASYNC_CALLS);
}

async function rabbitScenarios(f: BenchFresco, r: Results): Promise<void> {
  [r.rabbitAccept, r.rabbit, r.rabbitPaced] = await asyncThroughput(f, '/async-rabbit', 'async, RabbitMQ', ASYNC_CALLS);
}

async function main(): Promise<void> {
  const began = Date.now();
  requireWrk();
  log.level = process.env.FRESCO_LOG_LEVEL ?? 'warn';
  execFileSync('bash', [path.join(packageRoot(), 'test', 'images', 'build.sh')], { stdio: 'inherit' });
  const stateDir = stateDirName();
  fs.mkdirSync(stateDir, { recursive: true });
  const db = await openBenchDb(stateDir);
  const r: Results = {};
  try {
    console.log(`bench: ${SECONDS} s per scenario, ${ASYNC_CALLS} async calls, ${os.cpus().length} CPUs, node ${process.version}`);
    console.log(`database: ${db.description}; auth noauth; wrk on 127.0.0.1\n`);
    r.bare = await timedLoop('bare docker run --rm -i (sequential)', SECONDS, dockerRunOnce);
    await withFresco(db, { name: 'cold', prestartPerRoute: 0 }, (f) => coldScenarios(f, r));
    await withFresco(db, { name: 'warm' }, (f) => warmScenarios(f, r));
    await withFresco(db, { name: 'mq', rabbit: true }, (f) => rabbitScenarios(f, r), true);
  } finally {
    agent.destroy();
    removeScript();
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  console.log('');
  print(table(r));
  console.log(`\ntotal bench time ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

const ORDER: Key[] = ['bare', 'cold1', 'cold4', 'pre', 'preWrk', 'hot1', 'hot4', 'hotV1', 'minimal', 'direct',
  'localAccept', 'local', 'localPaced', 'rabbitAccept', 'rabbit', 'rabbitPaced'];

function ratio(name: string, a: Figure | undefined, b: Figure | undefined, note: string): Figure {
  const q = (x?: number, y?: number) => (x === undefined || y === undefined ? NaN : x / y);
  return { name, p50: q(a?.p50, b?.p50), p99: q(a?.p99, b?.p99), rps: q(a?.rps, b?.rps), note };
}

function added(name: string, a: Figure | undefined, b: Figure | undefined, note: string): Figure {
  return { name, p50: (a?.p50 ?? NaN) - (b?.p50 ?? NaN), p99: (a?.p99 ?? NaN) - (b?.p99 ?? NaN), rps: NaN, note };
}

/** Every figure, then the ratios and Fresco's added latency, as rows of one table. */
function table(r: Results): Figure[] {
  const rows = ORDER.flatMap((k) => (r[k] ? [r[k]!] : []));
  const sep: Figure = { name: '-- ratios (each column a/b) and added latency (ms) --', p50: NaN, p99: NaN, rps: NaN };
  const hot = r.hot1;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [...rows, sep,
    ratio('ratio hot/cold (c=1)', hot, r.cold1,
      `hot c=1 ≥ 3000/s: ${verdict((hot?.rps ?? 0) >= 3000)}; hot c=4 ≥ 5000/s: ${verdict((r.hot4?.rps ?? 0) >= 5000)}`),
    ratio('ratio hot/cold (c=4)', r.hot4, r.cold4, ''),
    ratio('ratio pre-started/bare docker run', r.pre, r.bare, `pre-started p50 ≤ 25 ms: ${verdict((r.pre?.p50 ?? Infinity) <= 25)}`),
    added('added on a hot call: API /r − executor direct', hot, r.direct,
      `Fresco's added latency; ≤ 0.3 ms: ${verdict((hot?.p50 ?? Infinity) - (r.direct?.p50 ?? 0) <= 0.3)}`),
    added('  of which: minimal node server − executor direct', r.minimal, r.direct, 'any HTTP server + wrk client'),
    added('  of which: API /r − minimal node server', hot, r.minimal, 'Koa, routing, resolver, call record in DB'),
  ];
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
