import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { GiveUp, waitFor } from './wait';

// `fresco <role>` as a real child process, run from the TypeScript sources (no build needed),
// for tests about processes: crashes, kill -9, broker and database restarts. Its pino log lines
// (JSON on stdout) are kept so that tests can wait for, and time, what it reports.

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = `require(${JSON.stringify(path.join(ROOT, 'src/cli/main'))}).main(process.argv.slice(1))`;
const live = new Set<ChildProcess>();

// A mocha run that dies must not leave Fresco processes behind.
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** One parsed log line, with when this test process read it. */
export interface LogLine {
  msg: string;
  at: number;
  [field: string]: unknown;
}

/** A running `fresco --config-file <file> <role>`; see spawnFresco. */
export class FrescoProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;

  constructor(readonly label: string, private readonly child: ChildProcess) {
    live.add(child);
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) this.take(p);
    });
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      live.delete(child);
      this.exit = { code, signal };
      resolve();
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** The first log line from index `from` on whose msg contains `text`; throws after `timeoutMs` or if the process exits. */
  async waitForLog(text: string, timeoutMs = 20_000, from = 0): Promise<LogLine> {
    return waitFor(`${this.label} to log "${text}"`, () => {
      const line = this.lines.slice(from).find((l) => l.msg.includes(text));
      if (!line && !this.alive) throw new GiveUp(`${this.label} exited (${JSON.stringify(this.exit)}): ${this.stderr.slice(-2000)}`);
      return line;
    }, timeoutMs, 50);
  }

  /** The port of a role serving the API, once it logged "Fresco API listening". */
  async port(timeoutMs = 20_000): Promise<number> {
    return (await this.waitForLog('Fresco API listening', timeoutMs)).port as number;
  }

  /** kill -9, and wait until it is gone. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful stop), SIGKILL after `graceMs`; resolves once the process is gone. Safe to call twice. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private take(raw: string): void {
    if (!raw.trim()) return;
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      this.lines.push({ ...parsed, msg: String(parsed.msg ?? ''), at: Date.now() });
    } catch {
      this.lines.push({ msg: raw, at: Date.now() });
    }
  }
}

/**
 * Starts `fresco --config-file <configFile> <role>` from the sources with `env` (FRESCO_* options;
 * FRESCO_* variables of this process are not passed on). Resolves at once; wait with waitForLog.
 */
export function spawnFresco(label: string, role: 'api' | 'engine' | 'listener' | 'all', configFile: string,
  env: Record<string, string>): FrescoProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FRESCO_')));
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', ENTRY, '--', '--config-file', configFile, role], {
    cwd: ROOT, env: { ...base, FRESCO_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new FrescoProcess(label, child);
}
