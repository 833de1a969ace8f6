// `node dist/bench/cpu.js`: this process's CPU time per hot call (user + system, process.cpuUsage
// over a wrk run) on the real Fresco with a real hot container — Fresco /r, /v1/r, and the same
// executor behind a minimal node server — in interleaved rounds, with the p50 of each. CPU per
// call barely moves with the machine's load, so it compares paths on a shared machine where
// calls/s does not. BENCH_CPU_PROFILE=1 also writes a V8 CPU profile of the /r runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector';
import { log } from '../src/log';
import { openDb } from '../src/store/db';
import { APP, createRoutes, openBenchDb, PROJECT, publicUrl, runUrl, startFresco, stateDirName } from './fresco';
import { inspectorPost, quantile, removeScript, requireWrk, wrk } from './measure';
import { executorHandler, startTarget } from './server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PROFILE = process.env.BENCH_CPU_PROFILE;

async function main(): Promise<void> {
  requireWrk();
  log.level = 'warn';
  const stateDir = stateDirName();
  fs.mkdirSync(stateDir, { recursive: true });
  const db = await openBenchDb(stateDir);
  const f = await startFresco(db, { name: 'cpu' });
  try {
    await createRoutes(f.url);
    const { runnable } = await f.running.services.resolver.private(PROJECT, APP, '/hot');
    const server = await startTarget(executorHandler(f.executor, { hot: runnable }));
    const rows: Array<[string, string]> = [
      ['minimal node server', `${server.url}/hot`],
      ['Fresco /r', publicUrl(f, '/hot')],
      ['Fresco POST /v1/r', runUrl(f, '/hot')],
    ];
    for (const [, url] of rows) await wrk('', url, { connections: 1, seconds: 1 });
    const got = rows.map(() => ({ us: [] as number[], p50: [] as number[], rps: [] as number[] }));
    // Database commits per call: deterministic where CPU time is not (each statement costs this
    // process a socket write and read, and the database server its own CPU).
    const url = db.env.FRESCO_DATABASE_CONNECTION;
    const stats = url ? openDb({ connection: url, maxPoolSize: 1 }) : undefined;
    const commits = async (): Promise<number> => {
      if (!stats) return NaN;
      await new Promise((r) => setTimeout(r, 1200)); // backends report their counts within a second of going idle
      await stats.raw('SELECT pg_stat_clear_snapshot()');
      const r = await stats.raw('SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()');
      return r.rows[0].n as number;
    };
    const commitsPerCall = rows.map(() => [] as number[]);
    const session = new inspector.Session();
    if (PROFILE) {
      session.connect();
      await inspectorPost(session, 'Profiler.enable');
      await inspectorPost(session, 'Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_INTERVAL ?? 200) });
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const [j, [name, url]] of rows.entries()) {
        const prof = PROFILE && (PROFILE === 'all' || name === PROFILE);
        if (prof) await inspectorPost(session, 'Profiler.start');
        const strace = process.env.BENCH_STRACE && i === 0
          ? spawn('strace', ['-c', '-f', '-p', String(process.pid), '-o', `/tmp/strace-${j}.txt`], { stdio: 'ignore' }) : undefined;
        if (strace) await new Promise((r) => setTimeout(r, 500));
        const c0 = i === 0 ? await commits() : NaN;
        const before = process.cpuUsage();
        const fig = await wrk('', url, { connections: 1, seconds: SECONDS });
        if (strace) {
          strace.kill('SIGINT');
          await new Promise((r) => strace.once('exit', r));
          fs.appendFileSync(`/tmp/strace-${j}.txt`, `calls ${fig.count}\n`);
        }
        const used = process.cpuUsage(before);
        if (prof) {
          const { profile } = await inspectorPost(session, 'Profiler.stop') as { profile: object };
          fs.writeFileSync(`/tmp/fresco-cpu-${j}-${i}-${fig.count}.cpuprofile`, JSON.stringify(profile));
        }
        if (i === 0) commitsPerCall[j].push(((await commits()) - c0 - 2) / (fig.count ?? NaN));
        got[j].us.push((used.user + used.system) / (fig.count ?? NaN));
        got[j].p50.push(fig.p50);
        got[j].rps.push(fig.rps);
      }
    }
    await server.close();
    await stats?.destroy();
    for (const [j, [name]] of rows.entries()) {
      const g = got[j];
      console.log(`${name.padEnd(20)} CPU µs/call min ${Math.min(...g.us).toFixed(1).padStart(6)} median ${quantile(g.us, 0.5).toFixed(1).padStart(6)}`
        + `  commits/call ${commitsPerCall[j][0]?.toFixed(3)}  p50 ms min ${Math.min(...g.p50).toFixed(3)} median ${quantile(g.p50, 0.5).toFixed(3)}  calls/s max ${Math.max(...g.rps).toFixed(0)}`);
    }
  } finally {
    await f.stop();
    removeScript();
    await db.drop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
