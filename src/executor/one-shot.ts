// A container that runs exactly one call: created with stdin attached, started, fed its input,
// watched until it exits, times out, floods its output cap or is cancelled, then removed.
// Cold runs create, start and feed it at once; pre-started ones start it ahead of the call.
import type { Duplex } from 'node:stream';
import type { ExecutorCall, CallOutcome, CallKind } from '../domain/executor';
import { CappedBuffer, LogForward } from './capture';
import type { ContainerSpec } from './docker/container-spec';
import { ContainerHandle, DockerDriver, ExitInfo, ImageGoneError } from './docker/driver';
import { dockerFailed } from './errors';
import { oomMessage, Reaper, timeoutMs } from './slot';

/** Limits a one-shot run is held to. */
export interface OneShotLimits {
  outputCap: number;
  logCap: number;
  maxTimeout: number;
}

type Ending = 'exit' | 'reported' | 'timeout' | 'cancelled' | 'flood';

const TRAILER_DIGITS = 3;

/** Watches a stream for the launcher's end-of-call trailer "<nonce><3-digit exit status>" at its end. */
class TrailerWatch {
  private tail = Buffer.alloc(0);
  private found!: (code: number) => void;
  readonly code = new Promise<number>((resolve) => { this.found = resolve; });
  seen = false;

  constructor(private readonly nonce: Buffer) {}

  get size(): number {
    return this.nonce.length + TRAILER_DIGITS;
  }

  push(chunk: Buffer): void {
    this.tail = Buffer.concat([this.tail, chunk]);
    if (this.tail.length > this.size) this.tail = this.tail.subarray(this.tail.length - this.size);
    if (this.tail.length === this.size && this.tail.subarray(0, this.nonce.length).equals(this.nonce)) {
      this.seen = true;
      this.found(Number(this.tail.toString('latin1', this.nonce.length)));
    }
  }

  /** `buf` without the trailer, when the trailer reached it. */
  strip(buf: Buffer): Buffer {
    return this.seen && buf.length >= this.size ? buf.subarray(0, buf.length - this.size) : buf;
  }
}

/** One created, attached container; run() it once, then it is gone. */
export class OneShot {
  private readonly out: CappedBuffer;
  private readonly err: CappedBuffer;
  private flooded!: () => void;
  private readonly flood = new Promise<Ending>((resolve) => { this.flooded = () => resolve('flood'); });
  private streamEnded!: Promise<void>;
  private stdin!: Duplex;
  private removed?: Promise<void>;
  /** True once the container has exited (a pre-started one that died while waiting). */
  dead = false;
  // The launcher's end-of-call report (pre-started runs), on stdout and then stderr.
  private readonly outTrailer?: TrailerWatch;
  private readonly errTrailer?: TrailerWatch;
  /** The running call's live log, when someone may follow it. */
  private forward?: LogForward;

  private constructor(
    readonly handle: ContainerHandle, private readonly limits: OneShotLimits, private readonly reaper: Reaper,
    private readonly nonceBytes?: Buffer,
  ) {
    const trailer = nonceBytes ? nonceBytes.length + TRAILER_DIGITS : 0;
    this.out = new CappedBuffer(limits.outputCap + trailer, () => this.flooded());
    this.err = new CappedBuffer(limits.logCap + trailer);
    if (nonceBytes) {
      this.outTrailer = new TrailerWatch(nonceBytes);
      this.errTrailer = new TrailerWatch(nonceBytes);
    }
  }

  /** The nonce the launcher ends its report with (pre-started runs). */
  get nonce(): string | undefined {
    return this.nonceBytes?.toString('latin1');
  }

  private onStdout(chunk: Buffer): void {
    this.out.push(chunk);
    this.outTrailer?.push(chunk);
  }

  private onStderr(chunk: Buffer): void {
    this.err.push(chunk);
    this.errTrailer?.push(chunk);
    this.forward?.push(chunk);
  }

  private output(): Buffer {
    const out = this.out.value();
    return this.outTrailer ? this.outTrailer.strip(out) : out;
  }

  private log(): Buffer {
    const err = this.err.value();
    return this.errTrailer ? this.errTrailer.strip(err) : err;
  }

  /** Creates and attaches a container for `spec`; throws FrescoError when Docker fails, ImageGoneError
   *  when Docker has no such image. */
  static async prepare(
    driver: DockerDriver, spec: ContainerSpec, limits: OneShotLimits, reaper: Reaper, nonce?: string,
  ): Promise<OneShot> {
    const handle = await driver.create(spec).catch((err) => {
      throw err instanceof ImageGoneError ? err : dockerFailed('create a container', err);
    });
    const shot = new OneShot(handle, limits, reaper, nonce ? Buffer.from(nonce, 'latin1') : undefined);
    try {
      handle.watchExit();
      void handle.exited.then(() => { shot.dead = true; });
      shot.stdin = (await handle.attach(true, true, (s, c) => (s === 1 ? shot.onStdout(c) : shot.onStderr(c)))) as Duplex;
      shot.streamEnded = new Promise((resolve) => { shot.stdin.once('close', resolve); shot.stdin.once('end', resolve); });
    } catch (err) {
      shot.discard();
      throw dockerFailed('attach to a container', err);
    }
    return shot;
  }

  /** Starts the container (its function then blocks on stdin). */
  async start(): Promise<void> {
    await this.handle.start().catch((err) => {
      this.discard();
      throw dockerFailed('start a container', err);
    });
  }

  /** Feeds `input`, closes stdin and waits for the end; removes the container afterwards. */
  async run(req: ExecutorCall, input: Buffer, kind: CallKind, startedAt: Date): Promise<CallOutcome> {
    if (req.logSink) {
      this.forward = new LogForward(req.logSink, this.limits.logCap, this.nonceBytes);
      // A cold container started before its input came, and its function may have written already.
      const early = this.err.value();
      if (early.length > 0) this.forward.push(early);
    }
    this.stdin.end(input);
    const ending = await this.ending(req);
    const exit = ending === 'reported' ? await this.reportedExit() : await this.awaitExit(ending !== 'exit');
    this.discard();
    const result: CallOutcome = {
      status: 'success', kind, exitCode: exit.exitCode, result: this.output(), resultTruncated: this.out.truncated,
      log: this.log(), logTruncated: this.err.truncated, startedAt, completedAt: new Date(),
    };
    return describe(result, ending, exit.oomKilled, req);
  }

  private async awaitExit(kill: boolean): Promise<ExitInfo> {
    if (kill) await this.handle.kill();
    const exit = await this.handle.exited;
    await this.trailingFrames();
    return exit;
  }

  // The launcher reported the exit: output is complete. Only a SIGKILL may be an OOM, which
  // Docker alone knows, so then (rarely) wait for Docker.
  private async reportedExit(): Promise<ExitInfo> {
    const code = await this.outTrailer!.code;
    // The function's last stderr bytes may trail the stdout report: its stderr trailer follows them.
    await this.trailingFrames(this.errTrailer!.code);
    if (code !== 137) return { exitCode: code, oomKilled: false };
    return this.handle.exited.then((e) => ({ exitCode: code, oomKilled: e.oomKilled }));
  }

  /** Output frames may trail the end Docker or the launcher reported: wait (briefly) for the stream, or `done`. */
  private trailingFrames(done?: Promise<unknown>): Promise<unknown> {
    const grace = new Promise((r) => setTimeout(r, 1000).unref());
    return Promise.race(done ? [done, this.streamEnded, grace] : [this.streamEnded, grace]);
  }

  /** Removes the container in the background. */
  discard(): void {
    this.stdin?.destroy();
    this.removed ??= this.handle.remove().catch(() => undefined);
    this.reaper.add(this.removed);
  }

  /** Settles once Docker has removed the container (at once when it was never discarded). */
  gone(): Promise<void> {
    return this.removed ?? Promise.resolve();
  }

  private ending(req: ExecutorCall): Promise<Ending> {
    const ms = timeoutMs(req.route.timeout, this.limits.maxTimeout);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const racers: Promise<Ending>[] = [
      this.handle.exited.then(() => 'exit' as const),
      ...(this.outTrailer ? [this.outTrailer.code.then(() => 'reported' as const)] : []),
      this.flood,
      new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); }),
    ];
    if (req.signal) {
      racers.push(new Promise((resolve) => {
        onAbort = () => resolve('cancelled');
        if (req.signal!.aborted) onAbort();
        else req.signal!.addEventListener('abort', onAbort, { once: true });
      }));
    }
    return Promise.race(racers).finally(() => {
      clearTimeout(timer);
      if (onAbort) req.signal!.removeEventListener('abort', onAbort);
    });
  }
}

function describe(r: CallOutcome, ending: Ending, oom: boolean, req: ExecutorCall): CallOutcome {
  if (ending === 'timeout') return { ...r, status: 'timeout', error: `timed out after ${timeoutSeconds(req)} s; the container was killed` };
  if (ending === 'cancelled') return { ...r, status: 'cancelled', error: 'the call was cancelled; the container was killed' };
  if (ending === 'flood') return { ...r, status: 'error', error: `output limit exceeded: the function wrote more than ${r.result.length} bytes; the container was killed` };
  if (oom) return { ...r, status: 'error', error: oomMessage(req.route.memory) };
  if (r.exitCode !== 0) return { ...r, status: 'error', error: `exit code ${r.exitCode}` };
  return r;
}

function timeoutSeconds(req: ExecutorCall): number {
  return timeoutMs(req.route.timeout, Infinity) / 1000;
}
