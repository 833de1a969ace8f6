// Measurement helpers: wrk runs (parsed), timed loops, percentiles, printing.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** One benchmark line. */
export interface Figure {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  note?: string;
}

/** The q-quantile (0..1) of `ms`, in ms. */
export function quantile(ms: number[], q: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

/** Runs `once` sequentially for `seconds`, timing each run. */
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
  return { name, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), rps: (ms.length * 1000) / busy, note: `${ms.length} calls` };
}

const lua = path.join(os.tmpdir(), 'fresco-bench-post.lua');

/** wrk against `url` with `connections` for `seconds`, POSTing "Bob". */
export async function wrk(name: string, url: string, connections: number, seconds: number): Promise<Figure> {
  writeFileSync(lua, 'wrk.method = "POST"\nwrk.body = "Bob"\nwrk.headers["Content-Type"] = "text/plain"\n');
  const threads = Math.min(connections, 2);
  const { stdout } = await promisify(execFile)('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`,
    '--latency', '-s', lua, url], { maxBuffer: 1 << 20 });
  const pct = (p: string) => toMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? 'NaN');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  const note = [`c=${connections}`, non2xx && `${non2xx} non-2xx`, errors && `socket errors ${errors}`].filter(Boolean).join(', ');
  return { name, p50: pct('50'), p99: pct('99'), rps, note };
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
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-').padStart(9);
  console.log(`${'scenario'.padEnd(44)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(9)}  note`);
  for (const x of figs) console.log(`${x.name.padEnd(44)}${f(x.p50)}${f(x.p99)}${f(x.rps)}  ${x.note ?? ''}`);
}
