// `npm run bench`: in one run on this machine, latency and throughput of bare `docker run` and of
// the real Fresco (`start(config, 'all')`, its HTTP API, its database): cold, pre-started, hot
// http (c=1, c=4), async throughput on the in-process queue and on RabbitMQ, and Fresco's own
// added latency on a hot call. wrk drives the API on 127.0.0.1, every run bounded in time.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/executor/options';
import { log } from '../src/log';
import { apiOverhead } from './api-overhead';
import { asyncThroughput } from './async';
import { clusterFigures } from './cluster';
import { followLatency } from './follow';
import { idempotencyOverhead } from './idempotency';
import {
  BenchDb, BenchFresco, createRoutes, FrescoSetup, HELLO, openBenchDb, publicUrl, startFresco,
  stateDirName,
} from './fresco';
import { hotInterleaved, type HotKey } from './hot';
import { ironFunctionsFromEnv, type IronFunctions } from './ironfunctions';
import { Figure, print, removeScript, requireWrk, timedLoop, wrk } from './measure';

const SECONDS = Math.min(10, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
const ASYNC_CALLS = Math.max(10, Number(process.env.BENCH_ASYNC_CALLS ?? 2000));
const FOLLOW_CALLS = Math.min(20, Math.max(1, Number(process.env.BENCH_FOLLOW_CALLS ?? 5)));
const ROUNDS = Math.min(10, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));
// BENCH_SCENARIOS=hot,async (any of overhead, bare, cold, pre, hot, idem, async, rabbit, cluster, follow) runs only those.
const WANTED = new Set((process.env.BENCH_SCENARIOS ?? 'overhead,bare,cold,pre,hot,idem,async,rabbit,cluster,follow').split(',').map((x) => x.trim()));
const want = (name: string) => WANTED.has(name);

type Key = HotKey | 'bare' | 'cold1' | 'cold4' | 'pre' | 'preWrk'
  | 'localAccept' | 'local' | 'localPaced' | 'rabbitAccept' | 'rabbit' | 'rabbitPaced' | 'follow';
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

async function warmScenarios(f: BenchFresco, r: Results, extra: Figure[], ifn?: IronFunctions): Promise<void> {
  await createRoutes(f.url);
  if (want('pre')) await prestartedScenarios(f, r);
  if (want('hot')) {
    await post(publicUrl(f, '/hot'));
    Object.assign(r, await hotInterleaved(f, SECONDS, ROUNDS, ifn));
  }
  if (want('idem')) {
    await post(publicUrl(f, '/hot'));
    extra.push(...await idempotencyOverhead(f, SECONDS, ROUNDS));
  }
  if (want('async')) [r.localAccept, r.local, r.localPaced] = await asyncThroughput(f, '/async-local', 'async, in-process queue', ASYNC_CALLS);
  if (want('follow')) r.follow = await followLatency(f, FOLLOW_CALLS);
}

async function rabbitScenarios(f: BenchFresco, r: Results): Promise<void> {
  await createRoutes(f.url); // BENCH_SCENARIOS=rabbit alone: no earlier run made them
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
  let ifn: IronFunctions | undefined;
  let overhead: Figure[] = [];
  const idem: Figure[] = [];
  try {
    console.log(`bench: ${SECONDS} s per scenario, hot path ${ROUNDS} interleaved rounds, ${ASYNC_CALLS} async calls, `
      + `${os.cpus().length} CPUs, node ${process.version}`);
    console.log(`database: ${db.description}; auth noauth; wrk on 127.0.0.1`);
    if (want('hot')) ifn = await ironFunctionsFromEnv();
    console.log(ifn ? `side by side: ${ifn.description}, image ${ifn.image}\n` : 'no IRONFUNCTIONS_URL or IRONFUNCTIONS_BIN: IronFunctions not measured\n');
    if (want('overhead')) overhead = await apiOverhead(db, SECONDS, ROUNDS);
    if (want('bare')) r.bare = await timedLoop('bare docker run --rm -i (sequential)', SECONDS, dockerRunOnce);
    if (want('cold')) await withFresco(db, { name: 'cold', prestartPerRoute: 0 }, (f) => coldScenarios(f, r));
    if (want('pre') || want('hot') || want('idem') || want('async') || want('follow')) await withFresco(db, { name: 'warm' }, (f) => warmScenarios(f, r, idem, ifn));
    if (want('rabbit')) await withFresco(db, { name: 'mq', rabbit: true }, (f) => rabbitScenarios(f, r), true);
    if (want('cluster')) overhead.push(...await clusterFigures(db, SECONDS, ROUNDS));
  } finally {
    await ifn?.stop();
    agent.destroy();
    removeScript();
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  console.log('');
  print([...overhead, ...table(r), ...idem]);
  console.log(`\ntotal bench time ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

const ORDER: Key[] = ['bare', 'cold1', 'cold4', 'pre', 'preWrk', 'hot1', 'hot4', 'hotV1', 'hotV14', 'minimal', 'minimal4',
  'direct', 'fifn1', 'ifn1', 'fifn4', 'ifn4', 'localAccept', 'local', 'localPaced', 'rabbitAccept', 'rabbit', 'rabbitPaced', 'follow'];

function ratio(name: string, a: Figure | undefined, b: Figure | undefined, note: string): Figure {
  const q = (x?: number, y?: number) => (x === undefined || y === undefined ? NaN : x / y);
  return { name, p50: q(a?.p50, b?.p50), p99: q(a?.p99, b?.p99), rps: q(a?.rps, b?.rps), note };
}

function added(name: string, a: Figure | undefined, b: Figure | undefined, note: string): Figure {
  return { name, p50: (a?.p50 ?? NaN) - (b?.p50 ?? NaN), p99: (a?.p99 ?? NaN) - (b?.p99 ?? NaN), rps: NaN, note };
}

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** calls/s of `a` over `b` with the target `min` marked. */
function target(name: string, a: Figure | undefined, b: Figure | undefined, min: number): Figure[] {
  if (!a || !b) return [];
  return [ratio(name, a, b, `calls/s ratio ≥ ${min}: ${verdict(a.rps / b.rps >= min)}`)];
}

/** The hot path's targets: Fresco against the minimal server, executor.run direct and IronFunctions. */
function hotTargets(r: Results): Figure[] {
  const addedP50 = (r.hot1?.p50 ?? NaN) - (r.direct?.p50 ?? NaN);
  return [
    ...target('ratio /r c=1 / minimal server c=1', r.hot1, r.minimal, 0.8),
    ...target('ratio /r c=4 / minimal server c=4', r.hot4, r.minimal4, 0.8),
    ...target('ratio /v1/r c=1 / minimal server c=1', r.hotV1, r.minimal, 0.8),
    ...target('ratio /v1/r c=4 / minimal server c=4', r.hotV14, r.minimal4, 0.8),
    ...(r.hot1 && r.direct ? [added('added on a hot call: API /r − executor direct', r.hot1, r.direct,
      `Fresco's added p50 ≤ 0.1 ms: ${verdict(addedP50 <= 0.1)}`)] : []),
    ...(r.hotV1 && r.direct ? [added('added on a hot call: API /v1/r − executor direct', r.hotV1, r.direct,
      `≤ 0.1 ms: ${verdict((r.hotV1.p50 - r.direct.p50) <= 0.1)}`)] : []),
    ...(r.minimal && r.direct ? [added('  of which: minimal node server − executor direct', r.minimal, r.direct, 'any HTTP server + wrk client')] : []),
    ...(r.hot1 && r.minimal ? [added('  of which: API /r − minimal node server', r.hot1, r.minimal, 'fast path: auth, resolver, call record, metrics')] : []),
    ...(r.hot1 && r.minimal && r.direct ? [cpuRow(r)] : []),
    ...target('ratio Fresco / IronFunctions, hot c=1 (same image)', r.fifn1, r.ifn1, 1.5),
    ...target('ratio Fresco / IronFunctions, hot c=4 (same image, mc=4)', r.fifn4, r.ifn4, 1.5),
  ];
}

/** This process's CPU per hot call (least of the rounds) on each path, and what the API adds over the minimal server. */
function cpuRow(r: Results): Figure {
  const us = (f?: Figure) => (f as { cpuUs?: number } | undefined)?.cpuUs ?? NaN;
  return {
    name: 'CPU per hot call (µs, c=1): API /r − minimal server', p50: NaN, p99: NaN, rps: NaN,
    note: `${(us(r.hot1) - us(r.minimal)).toFixed(0)} µs added; /r ${us(r.hot1).toFixed(0)}, /v1/r ${us(r.hotV1).toFixed(0)}, `
      + `minimal server ${us(r.minimal).toFixed(0)}, executor direct ${us(r.direct).toFixed(0)}`,
  };
}

/** Async throughput, accept → final, against its target. */
function asyncTargets(r: Results): Figure[] {
  return ([['in-process queue', r.local], ['RabbitMQ', r.rabbit]] as const).flatMap(([q, f]) => (f ? [{
    name: `async throughput, ${q} (accept → final)`, p50: NaN, p99: NaN, rps: f.rps,
    note: `≥ 2000 calls/s: ${verdict(f.rps >= 2000)}`,
  }] : []));
}

/** Every figure, then the ratios and Fresco's added latency, as rows of one table. */
function table(r: Results): Figure[] {
  const rows = ORDER.flatMap((k) => (r[k] ? [r[k]!] : []));
  const sep: Figure = { name: '-- ratios (each column a/b) and added latency (ms) --', p50: NaN, p99: NaN, rps: NaN };
  const hot = r.hot1;
  return [...rows, sep,
    ...(hot && r.cold1 ? [ratio('ratio hot/cold (c=1)', hot, r.cold1,
      `hot c=1 ≥ 3000/s: ${verdict((hot?.rps ?? 0) >= 3000)}; hot c=4 ≥ 5000/s: ${verdict((r.hot4?.rps ?? 0) >= 5000)}`)] : []),
    ...(r.hot4 && r.cold4 ? [ratio('ratio hot/cold (c=4)', r.hot4, r.cold4, '')] : []),
    ...(r.pre && r.bare ? [ratio('ratio pre-started/bare docker run', r.pre, r.bare, `pre-started p50 ≤ 25 ms: ${verdict((r.pre?.p50 ?? Infinity) <= 25)}`)] : []),
    ...hotTargets(r),
    ...asyncTargets(r),
  ];
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
