// Async throughput through the real API: N calls to an async hot http route fired with wrk
// (keep-alive connections; each wrk thread stops after its share of answers), then the calls API
// polled until none is queued or running. Figures come from the call records: calls/s from the
// first accept (created_at) to the last final status (completed_at), and started_at - created_at.
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { api, APP, BenchFresco, PROJECT, publicUrl } from './fresco';
import { Figure, inspectorPost, POST_BOB, quantile, wrk } from './measure';

// Each wrk thread stops after its share of answers and appends a line to a marker file; once
// every thread did, wrk is interrupted (its -d only bounds the run: wrk otherwise sleeps it out).
const STOP_AFTER = `${POST_BOB}
local limit, n, marker = 0, 0, nil
function init(args) limit = tonumber(args[1]); marker = args[2] end
function response(status)
  n = n + 1
  if n == limit then
    local f = io.open(marker, "a"); f:write("done\\n"); f:close()
    wrk.thread:stop()
  end
end
`;

interface CallRecord {
  status: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

const FINAL_WAIT_MS = 120_000;

/** With BENCH_ASYNC_PROFILE=<dir>: a V8 CPU profile of the burst (accept → last final), written to <dir>/<route>-<calls>.cpuprofile. */
async function startProfile(): Promise<{ stop: (name: string) => Promise<void> } | undefined> {
  const dir = process.env.BENCH_ASYNC_PROFILE;
  if (!dir) return undefined;
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) => inspectorPost(session, method, params);
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    stop: async (name) => {
      const { profile } = await post('Profiler.stop') as { profile: object };
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}
const PACED_CALLS = 300;

/** Fires `calls` async calls at `route` with wrk (c=`connections`, `pauseMs` between a connection's
 *  calls); returns the accept figure. */
function fire(f: BenchFresco, route: string, calls: number, connections: number, name = 'warm-up', pauseMs = 0): Promise<Figure> {
  const threads = Math.min(connections, 2);
  const marker = path.join(os.tmpdir(), `bench-fresco-${process.pid}.done`);
  fs.rmSync(marker, { force: true });
  const finished = () => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').split('\n').length > threads;
  const script = pauseMs ? `${STOP_AFTER}function delay() return ${pauseMs} end\n` : STOP_AFTER;
  return wrk(name, publicUrl(f, route), {
    connections, seconds: 60, script, args: [String(Math.ceil(calls / threads)), marker], until: finished,
  }).finally(() => fs.rmSync(marker, { force: true }));
}

function callsQuery(route: string, since: Date, extra: string): string {
  return `/v1/${PROJECT}/calls?app=${encodeURIComponent(APP)}&route=${encodeURIComponent(route)}`
    + `&since=${encodeURIComponent(since.toISOString())}${extra}`;
}

/** Resolves once no call of `route` since `since` is queued or running (twice in a row: late accepts land). */
async function waitFinal(f: BenchFresco, route: string, since: Date): Promise<void> {
  const deadline = Date.now() + FINAL_WAIT_MS;
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error(`async calls on ${route} not final after ${FINAL_WAIT_MS / 1000} s`);
    // Every 250 ms: calls/s come from the records, and the polls' own statements stay out of the per-call figures.
    await new Promise((r) => setTimeout(r, 250));
    const open = await Promise.all(['queued', 'running'].map((s) =>
      api<{ calls: unknown[] }>(f.url, 'GET', callsQuery(route, since, `&status=${s}&limit=1`))));
    quiet = open.every((o) => o.calls.length === 0) ? quiet + 1 : 0;
  }
}

async function listCalls(f: BenchFresco, route: string, since: Date): Promise<CallRecord[]> {
  const all: CallRecord[] = [];
  let marker: string | null = null;
  do {
    const page: { calls: CallRecord[]; next: string | null } = await api(f.url, 'GET',
      callsQuery(route, since, `&limit=1000${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`));
    all.push(...page.calls);
    marker = page.next;
  } while (marker);
  return all;
}

function summarise(name: string, calls: CallRecord[]): Figure {
  const t = (s: string | null) => (s ? Date.parse(s) : NaN);
  const toStart = calls.filter((c) => c.started_at).map((c) => t(c.started_at) - t(c.created_at));
  const first = Math.min(...calls.map((c) => t(c.created_at)));
  const last = Math.max(...calls.map((c) => t(c.completed_at)));
  const failed = calls.filter((c) => c.status !== 'success').length;
  const note = `${calls.length} calls, first accept → last final ${((last - first) / 1000).toFixed(2)} s`
    + `${failed ? `, ${failed} not success` : ''}; p50/p99 = accept → start (ms resolution)`;
  return { name, p50: quantile(toStart, 0.5), p99: quantile(toStart, 0.99), rps: (calls.length * 1000) / (last - first), note, count: calls.length };
}

/** Figures for `calls` async calls on `route`, after an unmeasured warm-up burst of as many: the burst's accept (wrk)
 *  and accept → start/final (records); then accept → start at a paced rate (c=1, 5 ms pauses), below what the engine
 *  can run. */
export async function asyncThroughput(f: BenchFresco, route: string, label: string, calls: number, connections = 8,
  commits?: () => Promise<number>): Promise<Figure[]> {
  // Warm-up, not measured: a burst of the same size, in which the route's hot containers start and V8 optimizes the
  // async path (the hot rows warm up the same way, with an unmeasured wrk run). A first burst after start runs much of
  // that path unoptimized; on a 2-core VM the bursts after it ran 1.3-1.5× faster. Its figure is noted beside the
  // measured one.
  const warmSince = new Date();
  await fire(f, route, calls, connections);
  await waitFinal(f, route, warmSince);
  const warm = summarise('warm-up', await listCalls(f, route, warmSince));
  const since = new Date();
  const profiler = await startProfile();
  const cpu = process.cpuUsage();
  const commitsBefore = await commits?.();
  const statementsBefore = f.statements();
  const accept = await fire(f, route, calls, connections, `${label}: accept (202)`);
  await waitFinal(f, route, since);
  const used = process.cpuUsage(cpu);
  await profiler?.stop(`${route.slice(1)}-${calls}`);
  const statements = f.statements();
  const burst = summarise(`${label}: accept→start, accept→final`, await listCalls(f, route, since));
  const perCall = (n: number) => (n / (burst.count ?? calls)).toFixed(2);
  burst.note += `; Fresco CPU ${((used.user + used.system) / (burst.count ?? calls)).toFixed(0)} µs/call`
    + `, ${perCall(statements.all - statementsBefore.all)} statements/call (${perCall(statements.writes - statementsBefore.writes)} writes)`;
  if (commitsBefore !== undefined) burst.note += `, ${perCall((await commits!()) - commitsBefore)} commits/call`;
  burst.note += `; the warm-up burst before it: ${warm.rps.toFixed(0)} calls/s`;
  const pacedSince = new Date();
  await fire(f, route, PACED_CALLS, 1, 'paced', 5);
  await waitFinal(f, route, pacedSince);
  const paced = summarise(`${label}, paced: accept→start`, await listCalls(f, route, pacedSince));
  paced.note = `wrk c=1, 5 ms pause after each answer; ${paced.note}`;
  return [accept, burst, paced];
}

/** `node dist/bench/async.js`: only the async scenarios (both queues), for work on the async path. */
async function main(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const { packageRoot } = await import('../src/executor/options');
  const { log } = await import('../src/log');
  const { createRoutes, openBenchDb, startFresco, stateDirName } = await import('./fresco');
  const { print } = await import('./measure');
  log.level = process.env.FRESCO_LOG_LEVEL ?? 'warn';
  execFileSync('bash', [path.join(packageRoot(), 'test', 'images', 'build.sh')], { stdio: 'inherit' });
  const calls = Math.max(10, Number(process.env.BENCH_ASYNC_CALLS ?? 2000));
  const connections = Math.max(1, Number(process.env.BENCH_ASYNC_CONNECTIONS ?? 8));
  const stateDir = stateDirName();
  fs.mkdirSync(stateDir, { recursive: true });
  const db = await openBenchDb(stateDir);
  const rows: Figure[] = [];
  const { openDb } = await import('../src/store/db');
  const url = db.env.FRESCO_DATABASE_CONNECTION;
  const stats = url ? openDb({ connection: url, maxPoolSize: 1 }) : undefined;
  // pg_stat_database lags by up to a second (backends report when idle); the polls of waitFinal leave time.
  const commits = stats && (async () => {
    await stats.raw('SELECT pg_stat_clear_snapshot()');
    const r = await stats.raw('SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()');
    return r.rows[0].n as number;
  });
  try {
    console.log(`bench async: ${calls} calls per queue, wrk c=${connections}, ${os.cpus().length} CPUs; database: ${db.description}`);
    for (const s of [{ name: 'warm', rabbit: false }, { name: 'mq', rabbit: true }]) {
      const f = await startFresco(db, s);
      try {
        if (!s.rabbit) await createRoutes(f.url);
        const route = s.rabbit ? '/async-rabbit' : '/async-local';
        rows.push(...await asyncThroughput(f, route, `async, ${s.rabbit ? 'RabbitMQ' : 'in-process queue'}`, calls, connections, commits));
      } finally {
        await f.stop();
      }
    }
  } finally {
    await stats?.destroy();
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  print(rows);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
