// The hot path, interleaved: every round runs each scenario once (Fresco /r and /v1/r at c=1 and
// c=4, the same executor behind a minimal node server, executor.run direct, and IronFunctions
// when named), so that the noise of a shared machine falls on all of them alike. Each figure is
// over the rounds: calls/s the mean, p50 and p99 the median.
import { randomUUID } from 'node:crypto';
import type { BenchFresco } from './fresco';
import { api, APP, PROJECT, publicUrl, runUrl } from './fresco';
import type { IronFunctions } from './ironfunctions';
import { Figure, quantile, timedLoop, wrk } from './measure';
import { executorHandler, startTarget } from './server';

export type HotKey = 'hot1' | 'hot4' | 'hotV1' | 'hotV14' | 'minimal' | 'minimal4' | 'direct'
  | 'ifn1' | 'ifn4' | 'fifn1' | 'fifn4';

interface Scenario {
  key: HotKey;
  name: string;
  run: () => Promise<Figure>;
}

/** A round's figure and this process's CPU time per call in it (µs, user + system). */
type Round = Figure & { cpuUs: number };

/** `external`: the calls ran in another process (IronFunctions), whose CPU this one does not see. */
function combine(name: string, figs: Round[], external = false): Figure & { cpuUs: number } {
  const median = (xs: number[]) => quantile(xs, 0.5);
  const rps = figs.reduce((s, f) => s + f.rps, 0) / figs.length;
  const notes = [...new Set(figs.map((f) => f.note?.replace(/\d+ calls/, 'n calls')))].join('; ');
  // The least CPU per call of the rounds: the machine's noise (steal, contention) only adds to it.
  const cpuUs = Math.min(...figs.map((f) => f.cpuUs));
  return {
    name, p50: median(figs.map((f) => f.p50)), p99: median(figs.map((f) => f.p99)), rps, cpuUs,
    note: `${figs.length} rounds, ${figs.map((f) => f.rps.toFixed(0)).join('/')} calls/s; ${notes}`
      + (external ? '' : `; this process's CPU ${cpuUs.toFixed(0)} µs/call (least of the rounds)`),
  };
}

/** Runs `s` once, with the CPU this process (Fresco, the minimal server, the executor) spent per call. */
async function measured(s: Scenario): Promise<Round> {
  const before = process.cpuUsage();
  const fig = await s.run();
  const used = process.cpuUsage(before);
  return { ...fig, cpuUs: (used.user + used.system) / (fig.count ?? NaN) };
}

async function sameImageRoutes(f: BenchFresco, ifn: IronFunctions): Promise<void> {
  for (const [p, mc] of [['/ifn1', 1], ['/ifn4', 4]] as const) {
    await api(f.url, 'POST', `/v1/${PROJECT}/apps/${APP}/routes`, {
      route: { path: p, image: ifn.image, format: 'http', is_public: true, max_concurrency: mc, idle_timeout: 300 },
    });
  }
}

async function warm(url: string, connections: number): Promise<void> {
  await wrk('warm-up', url, { connections, seconds: 1 });
}

/** Runs the hot scenarios `rounds` times, interleaved; `seconds` per scenario per round. */
export async function hotInterleaved(f: BenchFresco, seconds: number, rounds: number, ifn?: IronFunctions): Promise<Partial<Record<HotKey, Figure & { cpuUs: number }>>> {
  const url = publicUrl(f, '/hot');
  const v1 = runUrl(f, '/hot');
  const { runnable } = await f.running.services.resolver.private(PROJECT, APP, '/hot');
  const server = await startTarget(executorHandler(f.executor, { hot: runnable }));
  const scenarios: Scenario[] = [
    { key: 'hot1', name: 'Fresco hot http (/r)', run: () => wrk('', url, { connections: 1, seconds }) },
    { key: 'hot4', name: 'Fresco hot http (/r)', run: () => wrk('', url, { connections: 4, seconds }) },
    { key: 'hotV1', name: 'Fresco hot http (POST /v1/r, JSON answer)', run: () => wrk('', v1, { connections: 1, seconds }) },
    { key: 'hotV14', name: 'Fresco hot http (POST /v1/r, JSON answer)', run: () => wrk('', v1, { connections: 4, seconds }) },
    { key: 'minimal', name: 'hot http, executor behind a minimal node server', run: () => wrk('', `${server.url}/hot`, { connections: 1, seconds }) },
    { key: 'minimal4', name: 'hot http, executor behind a minimal node server', run: () => wrk('', `${server.url}/hot`, { connections: 4, seconds }) },
    {
      key: 'direct', name: 'hot http, executor.run direct (no HTTP)', run: () => timedLoop('', seconds, () => f.executor.run({
        id: randomUUID(), route: runnable, method: 'POST', url, requestPath: `/r/${APP}/hot`,
        headers: { 'content-type': 'text/plain' }, body: Buffer.from('Bob'),
      })),
    },
  ];
  if (ifn) {
    await sameImageRoutes(f, ifn);
    const same1 = publicUrl(f, '/ifn1');
    const same4 = publicUrl(f, '/ifn4');
    scenarios.push(
      { key: 'fifn1', name: `Fresco hot, IronFunctions' image (/r, mc=1)`, run: () => wrk('', same1, { connections: 1, seconds }) },
      { key: 'ifn1', name: 'IronFunctions hot http (/r, mc=1)', run: () => wrk('', ifn.hot1, { connections: 1, seconds }) },
      { key: 'fifn4', name: `Fresco hot, IronFunctions' image (/r, mc=4)`, run: () => wrk('', same4, { connections: 4, seconds }) },
      { key: 'ifn4', name: 'IronFunctions hot http (/r, mc=4)', run: () => wrk('', ifn.hot4, { connections: 4, seconds }) },
    );
  }
  try {
    for (const [u, c] of [[url, 4], [v1, 4], [`${server.url}/hot`, 4]] as const) await warm(u, c);
    if (ifn) for (const [u, c] of [[publicUrl(f, '/ifn4'), 4], [ifn.hot1, 1], [ifn.hot4, 4]] as const) await warm(u, c);
    const got = new Map<HotKey, Round[]>();
    for (let i = 0; i < rounds; i++) {
      for (const s of scenarios) {
        const fig = await measured(s);
        got.set(s.key, [...(got.get(s.key) ?? []), fig]);
      }
    }
    const out: Partial<Record<HotKey, Figure & { cpuUs: number }>> = {};
    for (const s of scenarios) out[s.key] = combine(s.name, got.get(s.key)!, s.key === 'ifn1' || s.key === 'ifn4');
    return out;
  } finally {
    await server.close();
  }
}
