// One hot container: the function's stdin/stdout (and stderr) are unix-socket connections the
// launcher opens back to the engine, so a call is one write and one read on a socket, with no
// Docker API call and no attach copy loop on its path. The container's first connection is
// its readiness signal. One call at a time; any trouble (timeout, garbage, death, cancel)
// discards the container — it is never reused after a call it did not finish cleanly. Bytes on
// stdout outside a call, or behind a complete answer, break the protocol: the container is
// discarded, and such bytes never reach another call.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ExecutorCall, CallOutcome, RunnableRoute } from '../domain/executor';
import { CappedBuffer, LogForward } from './capture';
import { ContainerHandle, ExitInfo, ImageGoneError } from './docker/driver';
import { configEnv, routeEnv } from './env';
import { log } from '../log';
import { dockerFailed } from './errors';
import type { HotProtocol, HotResponse, ResponseReader } from './protocol/protocol';
import { CODE_IN_CONTAINER, routeSpec, RunDeps } from './run-deps';
import { oomMessage } from './slot';

const IO_DIR = '/.fresco-io';

/** How a container is launched when it is not simply its route's (a waiting runtime container). */
export interface LaunchOptions {
  /** The environment instead of the route's (FRESCO_IO_SOCKET is added). */
  env?: string[];
  /** Labels added to the route's. */
  labels?: Record<string, string>;
  /** A host directory of this container's own, mounted read-only at /code and removed with it. */
  codeDir?: string;
}

interface Current {
  req: ExecutorCall;
  resolve: (r: CallOutcome) => void;
  log: CappedBuffer;
  /** The call's live log, when someone may follow it (made on its first stderr byte). */
  forward?: LogForward;
  startedAt: Date;
  answered: boolean;
  done: boolean;
}

/** A started, connected hot container. */
export class HotContainer {
  private current: Current | null = null;
  private onFree?: () => void;
  private readonly reader: ResponseReader;
  dead = false;
  lastUsed = Date.now();
  /** The container's name (Qinling's worker name). */
  name = '';
  /** The host directory mounted at /code that goes with the container (LaunchOptions.codeDir). */
  private codeDir?: string;
  private afterFirstCall?: () => void;

  private constructor(
    private readonly deps: RunDeps,
    private readonly handle: ContainerHandle,
    private readonly io: net.Socket,
    private readonly err: net.Socket,
    private readonly protocol: HotProtocol,
    private onDeath: (c: HotContainer) => void,
  ) {
    this.reader = protocol.reader(deps.options.outputCap);
    io.on('data', (chunk: Buffer) => this.onData(chunk));
    err.on('data', (chunk: Buffer) => {
      const cur = this.current;
      if (!cur) return;
      cur.log.push(chunk);
      // Made on the first byte: a call that writes no stderr forwards nothing.
      if (cur.req.logSink) (cur.forward ??= new LogForward(cur.req.logSink, this.deps.options.logCap)).push(chunk);
    });
    for (const s of [io, err]) {
      s.on('error', () => undefined);
      s.on('close', () => this.die('the function closed its stdout'));
    }
    void handle.exited.then((exit) => this.die(exitMessage(exit, deps, this.route)));
  }

  private get route(): RunnableRoute {
    return this.current?.req.route ?? ({ memory: 0 } as RunnableRoute);
  }

  /** Starts a container for `route` and waits for it to connect; throws FrescoError on Docker
   *  failure, ImageGoneError when Docker has no such image, or an Error with the function's
   *  reason when it dies before connecting. */
  static async launch(deps: RunDeps, route: RunnableRoute, argv: string[], protocol: HotProtocol,
    onDeath: (c: HotContainer) => void, opts: LaunchOptions = {}): Promise<HotContainer> {
    const o = deps.options;
    const env = [...(opts.env ?? [...routeEnv(route), ...configEnv(route)]), `FRESCO_IO_SOCKET=${IO_DIR}/s`];
    const spec = routeSpec(o, route, 'hot', env, { argv, binds: opts.codeDir ? [`${opts.codeDir}:${CODE_IN_CONTAINER}:ro`] : [] });
    Object.assign(spec.labels, opts.labels);
    // The container name's random tail: unix socket paths must stay under 108 bytes (see options).
    const dir = path.join(o.runDir, spec.name.slice(-12));
    spec.binds!.push(`${dir}:${IO_DIR}`);
    await fs.mkdir(dir, { mode: 0o755 });
    const server = net.createServer({ pauseOnConnect: true });
    try {
      await listen(server, path.join(dir, 's'));
      const handle = await deps.driver.create(spec).catch((e) => {
        throw e instanceof ImageGoneError ? e : dockerFailed('create a container', e);
      });
      handle.watchExit();
      try {
        const conns = accept2(server, handle.exited, o.hotStartTimeout * 1000, deps, route);
        await handle.start().catch((e) => { throw dockerFailed('start a container', e); });
        const [io, err] = await conns;
        const c = new HotContainer(deps, handle, io, err, protocol, onDeath);
        c.name = spec.name;
        c.codeDir = opts.codeDir;
        return c;
      } catch (e) {
        deps.reaper.add(handle.remove());
        throw e;
      }
    } finally {
      server.close();
      deps.reaper.add(fs.rm(dir, { recursive: true, force: true }));
    }
  }

  /** Hands a waiting runtime container to its route's pool: its death is reported to `onDeath`
   *  from now on, and `init` (the runtime's fresco_init line, docs/runtimes.md) is written at once;
   *  the runtime answers nothing, and takes the calls written after it in order. `afterFirstCall`
   *  runs once the first call ends, whatever way (or the container dies). */
  specialise(onDeath: (c: HotContainer) => void, init: Buffer, afterFirstCall?: () => void): void {
    this.onDeath = onDeath;
    this.afterFirstCall = afterFirstCall;
    this.io.write(init);
  }

  /** Runs one call; resolves when it ends whatever way. Only call when idle. */
  call(req: ExecutorCall): Promise<CallOutcome> {
    return new Promise((resolve) => {
      this.current = {
        req, resolve, log: new CappedBuffer(this.deps.options.logCap), startedAt: new Date(), answered: false, done: false,
      };
      this.reader.reset(req.method);
      req.onStart?.('hot');
      this.io.write(this.protocol.encode(req));
    });
  }

  /** Runs `fn` once the container may take another call — at once when it is idle or dead,
   *  else one I/O turn after its answer, so that bytes written behind an answer are read (and
   *  the container discarded) before another call is written to it. */
  whenFree(fn: () => void): void {
    if (this.dead || !this.current) return fn();
    this.onFree = fn;
  }

  /** Ends the running call (timeout or cancel) and discards the container. */
  abort(status: 'timeout' | 'cancelled', error: string): void {
    if (this.current) this.finish(this.current, { status, error });
    this.destroy();
  }

  /** True while a call runs on it. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** Kills and removes the container in the background. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.io.destroy();
    this.err.destroy();
    const dir = this.codeDir;
    this.deps.reaper.add(dir ? this.handle.remove().finally(() => fs.rm(dir, { recursive: true, force: true })) : this.handle.remove());
    this.onDeath(this);
    this.free(this.current);
    this.firstCallDone();
  }

  private firstCallDone(): void {
    const fn = this.afterFirstCall;
    this.afterFirstCall = undefined;
    fn?.();
  }

  private onData(chunk: Buffer): void {
    const cur = this.current;
    if (!cur) return this.die('the function wrote to stdout outside a call');
    if (cur.answered) {
      log.warn({ image: cur.req.route.image, path: cur.req.route.path }, 'hot function wrote after its answer; container discarded');
      return this.destroy();
    }
    const r = this.reader.push(chunk);
    if (r === undefined) return;
    if (r instanceof Error) {
      this.finish(cur, { status: 'error', error: `garbled answer: ${r.message}; the container was replaced` });
      return this.destroy();
    }
    cur.answered = true;
    // Stderr written before the answer is already readable; let it land in this call's log.
    setImmediate(() => {
      this.finish(cur, r.failure === undefined ? { status: 'success' } : { status: 'error', error: r.failure }, r);
      setImmediate(() => this.free(cur));
    });
  }

  private die(why: string): void {
    if (this.dead) return;
    if (this.current) this.finish(this.current, { status: 'error', error: `${why}; the container was replaced` });
    this.destroy();
  }

  // The call `cur` no longer holds the container: hand it to whoever waits for it.
  private free(cur: Current | null): void {
    if (cur && this.current !== cur) return;
    this.current = null;
    const fn = this.onFree;
    this.onFree = undefined;
    fn?.();
  }

  private finish(cur: Current, end: { status: CallOutcome['status']; error?: string }, res?: HotResponse): void {
    if (cur.done) return;
    cur.done = true;
    this.firstCallDone();
    this.lastUsed = Date.now();
    cur.resolve({
      status: end.status, kind: 'hot', exitCode: null, result: res?.body ?? Buffer.alloc(0), resultTruncated: false,
      log: cur.log.value(), logTruncated: cur.log.truncated, error: end.error, httpStatus: res?.status,
      httpHeaders: res?.headers, startedAt: cur.startedAt, completedAt: new Date(),
    });
  }
}

function exitMessage(exit: ExitInfo, deps: RunDeps, route: RunnableRoute): string {
  if (exit.oomKilled) return oomMessage(route.memory);
  return `the function's container exited (exit code ${exit.exitCode})`;
}

function listen(server: net.Server, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      fs.chmod(file, 0o666).then(resolve, reject);
    });
  });
}

// The launcher connects twice, in order: stdin/stdout first, then stderr.
function accept2(server: net.Server, exited: Promise<ExitInfo>, ms: number, deps: RunDeps, route: RunnableRoute) {
  return new Promise<[net.Socket, net.Socket]>((resolve, reject) => {
    const conns: net.Socket[] = [];
    const timer = setTimeout(() => reject(new Error(`the function did not start within ${ms / 1000} s`)), ms);
    server.on('connection', (s) => {
      conns.push(s);
      if (conns.length < 2) return;
      clearTimeout(timer);
      for (const c of conns) c.resume();
      resolve([conns[0], conns[1]]);
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      for (const c of conns) c.destroy();
      reject(new Error(`the function's container exited before it was ready (${exitMessage(exit, deps, route)})`));
    });
  });
}
