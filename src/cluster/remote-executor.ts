// The Executor port for an API process that runs no containers: each sync call goes over the
// call hop (a persistent stream to the engine, see hop-stream) to an engine chosen by placement (its route's home first, then the next ones in the
// route's rendezvous order when an engine refuses for want of room), waiting with a short
// backoff up to [cluster] placement_wait when all refuse. An engine lost mid-call (its connection
// closed, or silent to liveness pings for [cluster] ping_timeout: frozen or cut off) ends the call
// with 502 FRESCO_ENGINE_LOST, since it may have run in part; such an engine, and one that refuses
// connections or does not complete a stream's opening within connect_timeout, is skipped (nothing
// ran there) and kept out of placement for engine_timeout, so later calls go to the next engine.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { CallSignal } from '../domain/call-abort';
import type { ExecutorCall, CallOutcome, Executor, RouteScope } from '../domain/executor';
import { clusterFull, clusterNoEngine, engineBusy, engineLost, engineStopped, ERROR_REGISTRY, FrescoError } from '../errors';
import { log } from '../log';
import type { EngineDirectory, EngineView } from './engine-directory';
import { DEFAULT_LIVENESS, HopConnection, Liveness, StreamPool } from './hop-stream';
import { decodeResult, encodeCall, encodeRetire, RETIRE_PATH, SIGNATURE_HEADER, signRequest, verifyAnswer } from './hop-codec';
import { hash32, placementOrder, routeKey } from './placement';

/** The remote executor's settings; see [cluster]. */
export interface RemoteExecutorOptions {
  secret: string;
  placementWaitMs: number;
  /** Added to the route's timeout before a silent engine counts as lost. */
  graceMs?: number;
  /** Largest answer frame read, in bytes (default 64 MiB). */
  maxFrameBytes?: number;
  /** Persistent hop connections per engine (default 4), each carrying several calls at once. */
  streamsPerEngine?: number;
  /** Pings and opening timeout of the streams (default DEFAULT_LIVENESS). */
  liveness?: Liveness;
}

type Attempt = { kind: 'result'; result: CallOutcome } | { kind: 'refused' } | { kind: 'unreachable' };

// Errors opening a stream, before any call was sent on it: safe to try the next engine.
const UNREACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

function cancelled(): CallOutcome {
  const empty = Buffer.alloc(0);
  return {
    status: 'cancelled', kind: 'hot', exitCode: null, result: empty, resultTruncated: false, log: empty,
    logTruncated: false, error: 'the call was cancelled', completedAt: new Date(),
  };
}

function sleep(ms: number, signal?: CallSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs calls on the cluster's engines. */
export class RemoteExecutor implements Executor {
  /** Code packages are unpacked by the engine that runs the call, not here. */
  readonly remote = true;
  // Keep-alive, most recently used socket first (warm), no Nagle delay on the small frames.
  private readonly agent = new http.Agent({ keepAlive: true, scheduling: 'lifo', noDelay: true });
  private readonly streams: StreamPool;

  constructor(private readonly directory: EngineDirectory, private readonly o: RemoteExecutorOptions) {
    this.streams = new StreamPool(o.secret, o.maxFrameBytes ?? 64 * 1024 * 1024, o.streamsPerEngine ?? 4,
      o.liveness ?? DEFAULT_LIVENESS, (e, why) => this.directory.suspect(e.id, why));
  }

  async start(): Promise<void> {
    await this.directory.start();
  }

  /** See the Executor port. Throws FRESCO_CLUSTER_FULL, FRESCO_CLUSTER_NO_ENGINE, FRESCO_ENGINE_LOST,
   *  or the engine's own FrescoError (e.g. an image that cannot be pulled). */
  async run(req: ExecutorCall): Promise<CallOutcome> {
    const key = routeKey(req.route);
    const frame = encodeCall({
      id: req.id, route: req.route, method: req.method, url: req.url, requestPath: req.requestPath,
      headers: req.headers, body: req.body, refuseWhenFull: true,
    });
    const began = Date.now();
    // Short at first: a hot container is often released just after its answer went out.
    let delay = 1;
    const routeHash = hash32(key);
    for (;;) {
      const engines = this.directory.engines();
      for (const e of placementOrder(routeHash, engines)) {
        if (req.signal?.aborted) return cancelled();
        const a = await this.attempt(e, frame, req);
        if (a.kind === 'result') return a.result;
        if (a.kind === 'unreachable') this.directory.suspect(e.id);
        else log.debug({ engine: e.id, route: key }, 'engine full; trying the next one');
      }
      if (req.signal?.aborted) return cancelled();
      const waited = Date.now() - began;
      if (waited >= this.o.placementWaitMs) {
        // Full only when some engine could have taken it; none up and reachable is no engine at all.
        throw this.directory.engines().length > 0 ? clusterFull(req.route.path, waited) : clusterNoEngine();
      }
      if (engines.length === 0) void this.directory.refresh();
      await sleep(Math.min(delay, this.o.placementWaitMs - waited), req.signal);
      delay = Math.min(delay * 2, 200);
    }
  }

  /** Routes changed or were deleted: every live engine is told to remove their containers now
   *  (a signed retire request; best effort: an engine that misses it still retires a changed
   *  route by its version on the next call, and idle containers by idle_timeout). */
  retireRoutes(scope: RouteScope): void {
    for (const e of this.directory.members()) {
      void this.retireOn(e, scope).catch((err: Error) => log.warn({ engine: e.id, err: err.message }, 'engine did not take a retire request'));
    }
  }

  /** Sends one retire request to `e`; resolves once it answered with a valid signature. */
  retireOn(e: EngineView, scope: RouteScope): Promise<void> {
    const body = encodeRetire({ id: randomUUID(), scope });
    const signature = signRequest(this.o.secret, body);
    return new Promise<void>((resolve, reject) => {
      const r = http.request({
        hostname: e.hostname, port: e.port, path: RETIRE_PATH, method: 'POST', agent: this.agent, timeout: 10_000,
        headers: { 'content-type': 'application/json', 'content-length': body.length, [SIGNATURE_HEADER]: signature },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = Buffer.concat(chunks);
          if (!verifyAnswer(this.o.secret, signature, res.headers[SIGNATURE_HEADER] as string | undefined, answer)) {
            reject(new Error(`answer ${res.statusCode} without a valid signature`));
          } else if (res.statusCode !== 204) {
            reject(new Error(`answered ${res.statusCode}: ${answer.toString('utf8').slice(0, 200)}`));
          } else {
            resolve();
          }
        });
        res.on('error', reject);
      });
      r.on('timeout', () => r.destroy(new Error('no answer within 10 s')));
      r.on('error', reject);
      r.end(body);
    });
  }

  async stop(): Promise<void> {
    this.directory.stop();
    this.streams.close();
    this.agent.destroy();
  }

  private async attempt(e: EngineView, frame: Buffer, req: ExecutorCall): Promise<Attempt> {
    let conn: HopConnection;
    try {
      const c = this.streams.get(e);
      conn = c instanceof HopConnection ? c : await c;
    } catch (err) {
      if (engineStopped.is(err)) return { kind: 'refused' };
      if (err instanceof FrescoError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (UNREACHED.has(code)) {
        log.warn({ engine: e.id, url: e.url, code }, 'engine unreachable; trying the next one');
        return { kind: 'unreachable' };
      }
      throw engineLost(e.id, code ? `${code} (${(err as Error).message})` : (err as Error).message);
    }
    const signature = signRequest(this.o.secret, frame);
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const seq = conn.send(frame, signature, {
        answer: (a) => finish(() => {
          try {
            resolve(this.answer(e, a.status, a.signature, a.body, signature));
          } catch (err) {
            reject(err);
          }
        }),
        lost: (why) => finish(() => reject(engineLost(e.id, why))),
      });
      const onAbort = () => finish(() => { conn.cancel(seq); resolve({ kind: 'result', result: cancelled() }); });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const limitMs = req.route.timeout * 1000 + (this.o.graceMs ?? 10_000);
      const timer = setTimeout(() => finish(() => {
        conn.cancel(seq);
        reject(engineLost(e.id, `no answer within ${limitMs / 1000} s`));
      }), limitMs);
    });
  }

  private answer(e: EngineView, status: number, answerSignature: string, body: Buffer, signature: string): Attempt {
    if (!verifyAnswer(this.o.secret, signature, answerSignature, body)) {
      log.warn({ engine: e.id, status }, 'call hop: answer without a valid signature dropped');
      const hint = status === 401 ? 'it refused our signature (is [cluster] secret the same everywhere?)'
        : 'its answer was not signed with [cluster] secret';
      throw engineLost(e.id, hint);
    }
    if (status === 200) {
      try {
        return { kind: 'result', result: decodeResult(body) };
      } catch (err) {
        log.warn({ engine: e.id, err }, 'call hop: unreadable answer dropped');
        throw engineLost(e.id, 'its answer was not readable');
      }
    }
    const err = this.remoteError(status, body);
    if (engineBusy.is(err) || engineStopped.is(err)) return { kind: 'refused' };
    throw err;
  }

  // The engine's own failure, as declared in src/errors.ts (an unknown code reads as a lost engine).
  private remoteError(status: number, body: Buffer): FrescoError {
    let parsed: { code?: string; message?: string; headers?: Record<string, string> } = {};
    try {
      parsed = (JSON.parse(body.toString('utf8')) as { error?: typeof parsed }).error ?? {};
    } catch {
      // Left empty: reported below as unreadable.
    }
    const spec = ERROR_REGISTRY.find((s) => s.code === parsed.code);
    if (!spec) return engineLost('?', `it answered ${status} without a known error`);
    return new FrescoError(spec, parsed.message ?? spec.meaning, parsed.headers ?? {}, spec.status);
  }
}
