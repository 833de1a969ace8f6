// The cluster's figures for `npm run bench` (scenario "cluster"):
//  1. hot http calls through `fresco api` → call hop → `fresco engine` next to `fresco all`, each a
//     process of its own (bin/fresco, the compiled build), wrk c=1 and c=4 in interleaved rounds;
//     the hop's added p50 is api→engine minus all at c=1.
//  2. a placement simulation (pure computation): rendezvous placement of 100,000 routes on 100
//     and 1,000 engines: imbalance (max/mean routes per engine) and the share of routes moved
//     when one engine joins or leaves; also with the runtime's spill bound (an engine takes at
//     most ⌈1.25 × mean⌉ routes, the rest go to the next engine in the route's order); next to the
//     imbalance, the balls-into-bins floor: the max/mean that placing each route independently and
//     uniformly at random gives (what any per-route hash can at best approach); and the
//     per-call cost of finding a route's home at 1,000 engines (one pass) next to sorting them all.
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { EngineDirectory } from '../src/cluster/engine-directory';
import { HopServer } from '../src/cluster/hop-server';
import { hash32, home, Member, members, rankByHash, weight } from '../src/cluster/placement';
import { RemoteExecutor } from '../src/cluster/remote-executor';
import type { EngineStore } from '../src/cluster/types';
import type { CallOutcome, Executor, RunnableRoute } from '../src/domain/executor';
import { packageRoot } from '../src/executor/options';
import { APP, BenchDb, createRoutes } from './fresco';
import { Figure, quantile, timedLoop, wrk } from './measure';

const TAG = `${process.pid}-${randomBytes(2).toString('hex')}`;

interface Proc { child: ChildProcess; lines: Array<Record<string, unknown>>; stop(): Promise<void> }

function spawnRole(role: string, env: Record<string, string | undefined>): Proc {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FRESCO_')));
  const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'fresco'), role], {
    env: { ...base, FRESCO_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) { try { lines.push(JSON.parse(p)); } catch { /* not a log line */ } }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, lines, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; } };
}

async function waitLog(p: Proc, text: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const l = p.lines.find((x) => String(x.msg ?? '').includes(text));
    if (l) return l;
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`bench cluster: no "${text}" (exit ${p.child.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const median = (xs: number[]) => quantile(xs, 0.5);

function summary(name: string, runs: Figure[]): Figure {
  return {
    name, p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), rps: median(runs.map((r) => r.rps)),
    note: `median of ${runs.length} rounds; ${runs[runs.length - 1]?.note ?? ''}`,
  };
}

/** Hot c=1 and c=4 through api → engine next to all; needs PostgreSQL (processes share it). */
export async function clusterHot(db: BenchDb, seconds: number, rounds: number): Promise<Figure[]> {
  if (!db.env.FRESCO_DATABASE_CONNECTION) return [{ name: 'cluster: skipped (needs PostgreSQL)', p50: NaN, p99: NaN, rps: NaN }];
  const common = {
    ...db.env, FRESCO_BIND_HOST: '127.0.0.1', FRESCO_BIND_PORT: '0', FRESCO_AUTH_STRATEGY: 'noauth',
    FRESCO_NOTIFICATIONS_QUEUE: `bench-notifications-${TAG}`,
  };
  const secret = randomBytes(24).toString('hex');
  const all = spawnRole('all', { ...common, FRESCO_ENGINE_ENGINE_ID: `bench-${TAG}-all` });
  const engine = spawnRole('engine', {
    ...common, FRESCO_ENGINE_ENGINE_ID: `bench-${TAG}-engine`, FRESCO_CLUSTER_SECRET: secret, FRESCO_CLUSTER_BIND_PORT: '0',
  });
  const api = spawnRole('api', {
    ...common, FRESCO_ENGINE_ENGINE_ID: `bench-${TAG}-api`, FRESCO_CLUSTER_SECRET: secret, FRESCO_DOCKER_HOST: '/nonexistent/docker.sock',
  });
  try {
    const allUrl = `http://127.0.0.1:${(await waitLog(all, 'Fresco API listening')).port}`;
    const apiUrl = `http://127.0.0.1:${(await waitLog(api, 'Fresco API listening')).port}`;
    await waitLog(engine, 'engine call hop listening');
    await createRoutes(allUrl);
    const urls = { all: `${allUrl}/r/${APP}/hot`, api: `${apiUrl}/r/${APP}/hot` };
    // Warm both paths' hot containers (max_concurrency 4) and the api's engine directory.
    for (const u of Object.values(urls)) await wrk('warm', u, { connections: 4, seconds: 1 });
    const runs: Record<string, Figure[]> = { all1: [], api1: [], all4: [], api4: [] };
    for (let i = 0; i < rounds; i++) {
      runs.all1.push(await wrk('all', urls.all, { connections: 1, seconds }));
      runs.api1.push(await wrk('api', urls.api, { connections: 1, seconds }));
      runs.all4.push(await wrk('all', urls.all, { connections: 4, seconds }));
      runs.api4.push(await wrk('api', urls.api, { connections: 4, seconds }));
    }
    const a1 = summary('cluster: fresco all, hot /r c=1', runs.all1);
    const h1 = summary('cluster: api → hop → engine, hot /r c=1', runs.api1);
    const a4 = summary('cluster: fresco all, hot /r c=4', runs.all4);
    const h4 = summary('cluster: api → hop → engine, hot /r c=4', runs.api4);
    const hopAdded = h1.p50 - a1.p50;
    return [a1, h1, a4, h4, {
      name: 'cluster: the hop\'s added latency (c=1)', p50: hopAdded, p99: h1.p99 - a1.p99, rps: h1.rps / a1.rps,
      note: `p50/p99 in ms added, calls/s column = ratio api/all; target ≤ 0.3 ms p50: ${hopAdded <= 0.3 ? 'met' : 'NOT met'} (shared machine: noisy)`,
    }, { name: 'cluster: calls/s ratio api/all at c=4', p50: NaN, p99: NaN, rps: h4.rps / a4.rps }];
  } finally {
    await Promise.all([api.stop(), engine.stop(), all.stop()]);
  }
}

// --- the hop alone: both ends in this process, an executor that answers at once -----------

/** `loop`'s figure with the process's CPU time per call (user + system, both ends) in its note. */
async function withCpu(loop: () => Promise<Figure>): Promise<Figure> {
  const c0 = process.cpuUsage();
  const f = await loop();
  const c = process.cpuUsage(c0);
  return { ...f, note: `${f.note ?? ''}; CPU ${((c.user + c.system) / (f.count ?? 1)).toFixed(0)} µs/call` };
}

const INSTANT: Executor = {
  start: async () => undefined, stop: async () => undefined, retireRoutes: () => undefined,
  run: async (): Promise<CallOutcome> => ({
    status: 'success', kind: 'hot', exitCode: 0, result: Buffer.from('Hello Bob\n'), resultTruncated: false,
    log: Buffer.alloc(0), logTruncated: false, httpStatus: 200, httpHeaders: { 'content-type': ['text/plain'] },
    startedAt: new Date(), completedAt: new Date(),
  }),
};

/** A length-prefixed echo over one persistent node:net connection (what a raw TCP hop could not go below). */
async function rawTcpEcho(): Promise<{ call: () => Promise<void>; close: () => void }> {
  const reader = (onFrame: (f: Buffer) => void) => {
    let buf: Buffer = Buffer.alloc(0);
    return (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const n = buf.readUInt32BE(0);
        onFrame(buf.subarray(4, 4 + n));
        buf = buf.subarray(4 + n);
      }
    };
  };
  const framed = (b: Buffer) => { const f = Buffer.allocUnsafe(4 + b.length); f.writeUInt32BE(b.length, 0); b.copy(f, 4); return f; };
  const answer = framed(Buffer.alloc(200, 65));
  const server = net.createServer({ noDelay: true }, (s) => s.on('data', reader(() => s.write(answer))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = net.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => socket.once('connect', r));
  let pending: (() => void) | undefined;
  socket.on('data', reader(() => { const p = pending; pending = undefined; p?.(); }));
  const request = Buffer.alloc(400, 66);
  return {
    call: () => new Promise<void>((r) => { pending = r; socket.write(framed(request)); }),
    close: () => { socket.destroy(); server.close(); },
  };
}

/** RemoteExecutor → HopServer → an instant executor, sequential, next to a bare node http round trip. */
export async function hopRoundTrip(seconds: number): Promise<Figure[]> {
  const secret = randomBytes(24).toString('hex');
  const server = new HopServer(INSTANT, { secret, host: '127.0.0.1', port: 0, callSlots: 256, maxFrameBytes: 1 << 22 });
  const { port } = await server.listen();
  const store = { live: async () => [{ id: 'e', url: `http://127.0.0.1:${port}`, state: 'up' }] } as unknown as EngineStore;
  const remote = new RemoteExecutor(new EngineDirectory(store, { timeoutMs: 10_000, refreshMs: 60_000 }), { secret, placementWaitMs: 1000 });
  await remote.start();
  const route: RunnableRoute = {
    projectId: 'bench', appName: 'app', path: '/hot', image: 'x', format: 'http', memory: 128, timeout: 30, idleTimeout: 30,
    maxConcurrency: 4, config: { GREETING: 'hello' }, version: '1',
  };
  let i = 0;
  const bare = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('Hello Bob\n')); });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const agent = new http.Agent({ keepAlive: true });
  const barePort = (bare.address() as AddressInfo).port;
  const bareCall = () => new Promise<void>((resolve, reject) => {
    const r = http.request({ hostname: '127.0.0.1', port: barePort, method: 'POST', path: '/', agent }, (res) => { res.resume(); res.on('end', resolve); });
    r.on('error', reject);
    r.end('Bob');
  });
  const tcp = await rawTcpEcho();
  try {
    const hopCall = () => remote.run({
      id: `bench-${i++}`, route, method: 'POST', url: 'http://127.0.0.1/r/app/hot', requestPath: '/r/app/hot',
      headers: { 'content-type': 'text/plain', 'user-agent': 'wrk' }, body: Buffer.from('Bob'),
    });
    await timedLoop('warm', 1, hopCall);
    await timedLoop('warm', 1, bareCall);
    // Interleaved rounds (the machine is shared): the median of each, with CPU time per call.
    const hops: Figure[] = [];
    const plains: Figure[] = [];
    const raws: Figure[] = [];
    const per = Math.max(1, seconds / 3);
    await timedLoop('warm', 1, tcp.call);
    for (let k = 0; k < 3; k++) {
      hops.push(await withCpu(() => timedLoop('hop alone: RemoteExecutor → HopServer (1 process)', per, hopCall)));
      plains.push(await withCpu(() => timedLoop('  bare node http round trip (1 process)', per, bareCall)));
      raws.push(await withCpu(() => timedLoop('  raw framed TCP round trip (1 process)', per, tcp.call)));
    }
    const cpu = (fs: Figure[]) => fs.map((f) => /CPU (\d+)/.exec(f.note ?? '')?.[1]).join('/');
    const hop = { ...summary('hop alone: RemoteExecutor → HopServer (1 process)', hops), note: `median of 3 rounds; CPU µs/call ${cpu(hops)}` };
    const plain = { ...summary('  bare node http round trip (1 process)', plains), note: `median of 3 rounds; CPU µs/call ${cpu(plains)}` };
    const raw = {
      ...summary('  raw framed TCP round trip (1 process)', raws),
      note: `median of 3 rounds; CPU µs/call ${cpu(raws)}; the floor of a node:net hop, no HMAC nor codec`,
    };
    return [hop, plain, {
      name: '  hop code over a bare http round trip', p50: hop.p50 - plain.p50, p99: hop.p99 - plain.p99, rps: NaN,
      note: 'framing, HMAC both ways, placement, the engine server',
    }, raw];
  } finally {
    tcp.close();
    agent.destroy();
    bare.close();
    await remote.stop();
    await server.drain();
  }
}

// --- the placement simulation --------------------------------------------------------------

function ids(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `engine-${from + i}.example.org`);
}

/** Each route's engine (index into `m`), by plain rendezvous, or bounded to `cap` routes per engine. */
function place(hashes: Uint32Array, m: Member[], cap = Infinity): Int32Array {
  const out = new Int32Array(hashes.length);
  const load = new Int32Array(m.length);
  const scores = new Float64Array(m.length);
  for (let r = 0; r < hashes.length; r++) {
    const h = hashes[r];
    let best = -1;
    let bestW = -1;
    for (let e = 0; e < m.length; e++) {
      const w = weight(h, m[e].hash);
      scores[e] = w;
      if (w > bestW) { bestW = w; best = e; }
    }
    if (load[best] >= cap) {
      // Spill: the next engines in the route's order, as the runtime does when its home is full.
      const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
      best = order.find((e) => load[e] < cap) ?? best;
    }
    load[best]++;
    out[r] = best;
  }
  return out;
}

function imbalance(assign: Int32Array, engines: number): number {
  const load = new Int32Array(engines);
  for (const e of assign) load[e]++;
  return Math.max(...load) / (assign.length / engines);
}

function movedShare(a: Int32Array, am: Member[], b: Int32Array, bm: Member[]): number {
  let moved = 0;
  for (let r = 0; r < a.length; r++) if (am[a[r]].id !== bm[b[r]].id) moved++;
  return moved / a.length;
}

/** E[max]/mean of `balls` placed independently and uniformly at random in `bins` (Poisson loads,
 *  independent bins): the floor of any placement that hashes each route on its own. */
export function ballsIntoBinsFloor(balls: number, bins: number): number {
  const lambda = balls / bins;
  let logPmf = -lambda; // in logs: e^-λ underflows for λ over ~745
  let cdf = Math.exp(logPmf);
  let expectedMax = 0;
  // E[max] = Σ_{k≥1} P(max ≥ k) = Σ_{k≥0} (1 − F(k)^bins).
  for (let k = 0; k < lambda * 10 + 100; k++) {
    expectedMax += 1 - Math.pow(cdf, bins);
    logPmf += Math.log(lambda) - Math.log(k + 1);
    cdf = Math.min(1, cdf + Math.exp(logPmf));
  }
  return expectedMax / lambda;
}

/** max/mean of one truly random placement (Math.random), averaged over `runs`. */
function randomPlacementImbalance(balls: number, bins: number, runs = 5): number {
  let sum = 0;
  for (let k = 0; k < runs; k++) {
    const load = new Int32Array(bins);
    for (let b = 0; b < balls; b++) load[Math.floor(Math.random() * bins)]++;
    sum += Math.max(...load) / (balls / bins);
  }
  return sum / runs;
}

/** µs per call to find a route's home among `n` engines: one pass (home) next to a full sort (rank). */
export function placementCost(n: number, calls = 20_000): Figure[] {
  const m = members(ids(n));
  const hashes = Array.from({ length: calls }, (_, r) => hash32(`project-${r % 997}/app-${r % 89}/route-${r}`));
  const time = (f: (h: number) => unknown): number => {
    let sink = 0;
    for (let r = 0; r < 500; r++) sink ^= f(hashes[r]) ? 1 : 0; // warm the JIT
    const t0 = process.hrtime.bigint();
    for (const h of hashes) sink ^= f(h) ? 1 : 0;
    const us = Number(process.hrtime.bigint() - t0) / 1000 / calls;
    return sink === 2 ? NaN : us;
  };
  const once = time((h) => home(h, m));
  const sorted = time((h) => rankByHash(h, m)[0]);
  return [
    { name: `placement cost, ${n} engines: home in one pass`, p50: once, p99: NaN, rps: 1e6 / once,
      note: `µs per call in the p50 column (pure CPU, ${calls} routes); what every sync call pays` },
    { name: `placement cost, ${n} engines: full sort (spill only)`, p50: sorted, p99: NaN, rps: 1e6 / sorted,
      note: `µs per call; paid only when the home refused (${(sorted / once).toFixed(0)}× the one pass)` },
  ];
}

/** Imbalance and moved shares of rendezvous placement of `routes` routes on `n` engines. */
export function placementSimulation(n: number, routes: number, bound?: number): Figure[] {
  const hashes = new Uint32Array(routes);
  for (let r = 0; r < routes; r++) hashes[r] = hash32(`project-${r % 997}/app-${r % 89}/route-${r}`);
  const cap = bound ? Math.ceil((bound * routes) / n) : Infinity;
  const capAt = (k: number) => (bound ? Math.ceil((bound * routes) / k) : Infinity);
  const base = members(ids(n));
  const joined = members(ids(n + 1));
  const left = base.slice(1);
  const t0 = Date.now();
  const a = place(hashes, base, cap);
  const aj = place(hashes, joined, capAt(n + 1));
  const al = place(hashes, left, capAt(n - 1));
  const join = movedShare(a, base, aj, joined);
  const leave = movedShare(a, base, al, left);
  const label = `placement ${n} engines × ${routes} routes${bound ? `, spill bound ${bound}× mean` : ''}`;
  const note = (x: number, k: number) => `${(x * 100).toFixed(2)}% = ${(x * k).toFixed(2)}/N; target ≤ 1.5/N: ${x * k <= 1.5 ? 'met' : 'NOT met'}`;
  const ms = Date.now() - t0;
  const floor = ballsIntoBinsFloor(routes, n);
  const imb = imbalance(a, n);
  const verdict = bound ? `bounded by the spill: ${imb <= bound + 1e-9 ? 'met' : 'NOT met'} ≤ ${bound}`
    : `balls-into-bins floor ${floor.toFixed(3)} (uniformly random: ${randomPlacementImbalance(routes, n).toFixed(3)}); `
      + `per-route placement cannot go below it${floor > 1.25 ? ', so ≤ 1.25 comes only with the spill bound' : ''}`;
  return [
    { name: `${label}: imbalance max/mean`, p50: imb, p99: NaN, rps: NaN, note: `p50 column; ${verdict}; computed in ${ms} ms` },
    { name: `${label}: moved when one joins`, p50: join, p99: NaN, rps: NaN, note: note(join, n + 1) },
    { name: `${label}: moved when one leaves`, p50: leave, p99: NaN, rps: NaN, note: note(leave, n) },
  ];
}

/** The whole cluster section of the bench. */
export async function clusterFigures(db: BenchDb, seconds: number, rounds: number): Promise<Figure[]> {
  const sims = [...[100, 1000].flatMap((n) => [...placementSimulation(n, 100_000), ...placementSimulation(n, 100_000, 1.25)]),
    ...placementCost(1000)];
  return [...await clusterHot(db, seconds, rounds), ...await hopRoundTrip(seconds), ...sims];
}

if (require.main === module) {
  void hopRoundTrip(Number(process.env.HOP_SECONDS ?? 3)).then((f) => console.log(f));
  if (!process.env.HOP_ONLY) {
    for (const f of [...[100, 1000].flatMap((n) => [...placementSimulation(n, 100_000), ...placementSimulation(n, 100_000, 1.25)]),
      ...placementCost(1000)]) {
      console.log(`${f.name.padEnd(72)} ${f.p50.toFixed(4)}  ${f.note ?? ''}`);
    }
  }
}
