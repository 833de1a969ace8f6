// The engine's end of the call hop: a plain HTTP server that runs signed calls on this engine's
// executor and answers signed results. It refuses at once (503 FRESCO_ENGINE_BUSY) when it has
// no call slot or the route's containers are all busy, and 503 FRESCO_ENGINE_STOPPED while it
// drains, so that the API tries the next engine. The caller hanging up aborts the call.
// A request that is unsigned, forged, replayed or unreadable is answered 4xx and logged; nothing runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Executor } from '../domain/executor';
import { engineBusy, engineStopped, FrescoError, hopMalformed, hopUnauthorized, internalError, requestTooLarge } from '../errors';
import { log } from '../log';
import {
  decodeCall, decodeRetire, encodeResult, HOP_PATH, HopCall, HopFrameError, RETIRE_PATH, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, signAnswer, verifyRequest,
} from './hop-codec';

/** The hop server's settings; see [cluster] in docs/configuration.md. */
export interface HopServerOptions {
  secret: string;
  host: string;
  port: number;
  callSlots: number;
  /** Largest request frame read, in bytes (the API's body limit plus room for the call's fields). */
  maxFrameBytes: number;
}

/** Call ids seen within the last one to two signature windows: a replayed request is refused. */
class ReplayGuard {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt = Date.now();

  /** True the first time `id` is seen in the window. */
  admit(id: string, now = Date.now()): boolean {
    if (now - this.rotatedAt > SIGNATURE_WINDOW_MS) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }

  /** The call was refused without running: the API may offer it here again. */
  forget(id: string): void {
    this.current.delete(id);
    this.previous.delete(id);
  }
}

/** Serves the call hop for one engine. */
export class HopServer {
  private readonly server: http.Server;
  private readonly running = new Set<Promise<unknown>>();
  private readonly replays = new ReplayGuard();
  private draining = false;

  constructor(private readonly executor: Executor, private readonly o: HopServerOptions) {
    this.server = http.createServer({ noDelay: true }, (req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('clientError', (err, socket) => {
      log.debug({ err }, 'call hop: bad HTTP from a peer; connection closed');
      socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        const a = this.server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Calls running through the hop now. */
  runningCalls(): number {
    return this.running.size;
  }

  /** Refuses new calls, waits for the running ones (each ends by its own timeout), then closes. Safe to call twice. */
  async drain(): Promise<void> {
    this.draining = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await new Promise<void>((r) => { this.server.close(() => r()); this.server.closeAllConnections(); });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST' || (req.url !== HOP_PATH && req.url !== RETIRE_PATH)) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.o.maxFrameBytes) {
        this.fail(res, '', requestTooLarge(this.o.maxFrameBytes));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > this.o.maxFrameBytes) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      if (req.url === RETIRE_PATH) this.onRetire(req, res, body);
      else this.onFrame(req, res, body);
    });
    req.on('error', () => undefined);
  }

  private onFrame(req: http.IncomingMessage, res: http.ServerResponse, frame: Buffer): void {
    const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
    const bad = verifyRequest(this.o.secret, signature, frame);
    if (bad) {
      log.warn({ peer: req.socket.remoteAddress, reason: bad }, 'call hop: request refused, nothing run');
      return this.fail(res, '', hopUnauthorized(bad));
    }
    let call: HopCall;
    try {
      call = decodeCall(frame);
    } catch (err) {
      const reason = err instanceof HopFrameError ? err.message : String(err);
      log.warn({ peer: req.socket.remoteAddress, reason }, 'call hop: unreadable call dropped');
      return this.fail(res, signature!, hopMalformed(reason));
    }
    if (this.draining) return this.fail(res, signature!, engineStopped());
    if (this.running.size >= this.o.callSlots) return this.fail(res, signature!, engineBusy(call.route.path));
    if (!this.replays.admit(call.id)) {
      log.warn({ peer: req.socket.remoteAddress, callId: call.id }, 'call hop: replayed request refused, nothing run');
      return this.fail(res, '', hopUnauthorized('replayed request'));
    }
    const p = this.runCall(call, signature!, res).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  // Routes changed or were deleted through an API process: drop their containers here now.
  private onRetire(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
    const bad = verifyRequest(this.o.secret, signature, body);
    if (bad) {
      log.warn({ peer: req.socket.remoteAddress, reason: bad }, 'call hop: retire request refused');
      return this.fail(res, '', hopUnauthorized(bad));
    }
    let retire;
    try {
      retire = decodeRetire(body);
    } catch (err) {
      const reason = err instanceof HopFrameError ? err.message : String(err);
      log.warn({ peer: req.socket.remoteAddress, reason }, 'call hop: unreadable retire request dropped');
      return this.fail(res, signature!, hopMalformed(reason));
    }
    if (!this.replays.admit(retire.id)) {
      log.warn({ peer: req.socket.remoteAddress }, 'call hop: replayed retire request refused');
      return this.fail(res, '', hopUnauthorized('replayed request'));
    }
    this.executor.retireRoutes(retire.scope);
    log.debug({ scope: retire.scope }, 'call hop: routes retired at an API\'s request');
    const answer = Buffer.alloc(0);
    res.writeHead(204, { [SIGNATURE_HEADER]: signAnswer(this.o.secret, signature!, answer) }).end();
  }

  private async runCall(call: HopCall, signature: string, res: http.ServerResponse): Promise<void> {
    const ac = new AbortController();
    // The API caller went away (or the API process died): the call is of no use any more.
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    try {
      const result = await this.executor.run({ ...call, signal: ac.signal });
      if (res.destroyed) return;
      const body = encodeResult(result);
      // Raw headers (no content-type: the API never reads it): fewer allocations per answer.
      res.writeHead(200, ['content-length', String(body.length), SIGNATURE_HEADER, signAnswer(this.o.secret, signature, body)]).end(body);
    } catch (err) {
      if (engineBusy.is(err)) this.replays.forget(call.id);
      if (!(err instanceof FrescoError)) log.error({ err, callId: call.id }, 'call hop: the executor failed');
      this.fail(res, signature, err instanceof FrescoError ? err : internalError());
    }
  }

  // Error answers are signed too (when the request was), so the API can trust "busy" and "stopped".
  private fail(res: http.ServerResponse, signature: string, err: FrescoError): void {
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(JSON.stringify({ error: { code: err.code, message: err.message, headers: err.headers } }));
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': body.length };
    if (signature) headers[SIGNATURE_HEADER] = signAnswer(this.o.secret, signature, body);
    res.writeHead(err.status, headers).end(body);
  }
}
