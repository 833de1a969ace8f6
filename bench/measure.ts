// Measurement helpers: wrk runs (parsed), timed loops, percentiles, printing, V8 profiler calls.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';

/** One benchmark line: latencies in ms, throughput in calls/s. */
export interface Figure {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  note?: string;
  /** Completed requests (wrk) or calls (loops); set when known. */
  count?: number;
}

/** One inspector protocol call on `session` (e.g. 'Profiler.start'), as a promise of its result. */
export function inspectorPost(session: inspector.Session, method: string, params: object = {}): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

/** The q-quantile (0..1) of `ms`, in ms; NaN for no samples. */
export function quantile(ms: number[], q: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

/** Runs `once` sequentially for `seconds`, timing each run; `between` runs untimed before each. */
export async function timedLoop(name: string, seconds: number, once: () => Promise<unknown>, between?: () => Promise<void>): Promise<Figure> {
  const ms: number[] = [];
  const end = Date.now() + seconds * 1000;
  let busy = 0;
  while (Date.now() < end) {
    if (between) await between();
    const t = process.hrtime.bigint();
    await once();
    const d = Number(process.hrtime.bigint() - t) / 1e6;
    ms.push(d);
    busy += d;
  }
  return { name, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), rps: (ms.length * 1000) / busy, note: `${ms.length} calls`, count: ms.length };
}

/** A wrk run: connections, duration bound, and an optional Lua script body with its arguments. */
export interface WrkOptions {
  connections: number;
  seconds: number;
  /** Lua script text; default POSTs "Bob" as text/plain. */
  script?: string;
  args?: string[];
  /** Polled every 10 ms; once true, wrk is interrupted (SIGINT: it stops and reports what it did). */
  until?: () => boolean;
}

/** POST "Bob" as text/plain, the body every bench call sends. */
export const POST_BOB = 'wrk.method = "POST"\nwrk.body = "Bob"\nwrk.headers["Content-Type"] = "text/plain"\n';

const SCRIPT = path.join(os.tmpdir(), `bench-fresco-${process.pid}.lua`);

function scriptFile(text: string): string {
  writeFileSync(SCRIPT, text);
  return SCRIPT;
}

/** Removes the Lua script file wrk runs read. */
export function removeScript(): void {
  rmSync(SCRIPT, { force: true });
}

function runWrk(args: string[], until?: () => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('wrk', args, { maxBuffer: 1 << 20 }, (err, stdout) => {
      clearInterval(timer);
      if (err && !stopped) reject(err);
      else resolve(stdout);
    });
    let stopped = false;
    const timer = until && setInterval(() => {
      if (stopped || !until()) return;
      stopped = true;
      child.kill('SIGINT');
    }, 10);
  });
}

/** wrk against `url` (at most 2 threads); resolves with its parsed latency percentiles and rate. */
export async function wrk(name: string, url: string, o: WrkOptions): Promise<Figure> {
  const threads = Math.min(o.connections, 2);
  const stdout = await runWrk(['-t', String(threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--latency',
    '-s', scriptFile(o.script ?? POST_BOB), url, ...(o.args ? ['--', ...o.args] : [])], o.until);
  const pct = (p: string) => toMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? 'NaN');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const count = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  const note = [`wrk c=${o.connections}`, non2xx && `${non2xx} non-2xx`, errors && `socket errors ${errors}`]
    .filter(Boolean).join(', ');
  return { name, p50: pct('50'), p99: pct('99'), rps, note, count };
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/** Checks wrk is installed (a bench without it would be meaningless). */
export function requireWrk(): void {
  // wrk --version exits 1, so ask the shell where it is instead.
  execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
}

/** Prints figures as a table. */
export function print(figs: Figure[]): void {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(Math.abs(n) < 1 ? 3 : Math.abs(n) < 10 ? 2 : 1) : '-').padStart(9);
  console.log(`${'scenario'.padEnd(52)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(9)}  note`);
  for (const x of figs) console.log(`${x.name.padEnd(52)}${f(x.p50)}${f(x.p99)}${f(x.rps)}  ${x.note ?? ''}`);
}
