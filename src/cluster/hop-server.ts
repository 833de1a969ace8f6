// The engine's end of the call hop: an HTTP server that runs signed calls on this engine's
// executor and answers signed results, on upgraded streams (several calls in flight on one
// connection, see hop-codec) or as plain POST requests; and takes signed retire requests. It refuses at once (503 FRESCO_ENGINE_BUSY) when it has
// no call slot or the route's containers are all busy, and 503 FRESCO_ENGINE_STOPPED while it
// drains, so that the API tries the next engine. The caller hanging up or cancelling aborts the call.
// A request that is unsigned, forged, replayed or unreadable is answered 4xx and logged; nothing runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Executor } from '../domain/executor';
import { engineBusy, engineStopped, FrescoError, hopMalformed, hopUnauthorized, internalError, requestTooLarge } from '../errors';
import { log } from '../log';
import type { Duplex } from 'node:stream';
import {
  cancelBody, decodeCall, decodeRetire, encodeResult, FRAME_ANSWER, FRAME_CALL, FRAME_CANCEL, FRAME_PING, FRAME_PONG, HOP_PATH, HopCall,
  HopFrameError, NONCE_HEADER, pingBody, RETIRE_PATH, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, signAnswer, STREAM_PATH, STREAM_PROTOCOL, StreamFrame,
  streamFrame, StreamReader, streamHello, verifyRequest,
} from './hop-codec';

/** A call's answer, whatever carries it: HTTP status, body, and its signature when the request was signed. */
interface Answer { status: number; body: Buffer; signature?: string }

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
  private readonly streams = new Set<Duplex>();
  private draining = false;

  constructor(private readonly executor: Executor, private readonly o: HopServerOptions) {
    this.server = http.createServer({ noDelay: true }, (req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
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
    for (const s of this.streams) s.destroy();
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
    const ac = new AbortController();
    // The API caller went away (or the API process died): the call is of no use any more.
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    void this.serveCall(frame, req.headers[SIGNATURE_HEADER] as string | undefined, req.socket.remoteAddress, ac).then((a) => {
      if (res.headersSent || res.destroyed) return;
      const headers: string[] = ['content-length', String(a.body.length)];
      if (a.signature) headers.push(SIGNATURE_HEADER, a.signature);
      res.writeHead(a.status, headers).end(a.body);
    });
  }

  /** Checks, runs and answers one call frame (HTTP or stream); never throws. */
  private async serveCall(frame: Buffer, signature: string | undefined, peer: string | undefined, ac: AbortController): Promise<Answer> {
    const bad = verifyRequest(this.o.secret, signature, frame);
    if (bad) {
      log.warn({ peer, reason: bad }, 'call hop: request refused, nothing run');
      return this.failure('', hopUnauthorized(bad));
    }
    let call: HopCall;
    try {
      call = decodeCall(frame);
    } catch (err) {
      const reason = err instanceof HopFrameError ? err.message : String(err);
      log.warn({ peer, reason }, 'call hop: unreadable call dropped');
      return this.failure(signature!, hopMalformed(reason));
    }
    if (this.draining) return this.failure(signature!, engineStopped());
    if (this.running.size >= this.o.callSlots) return this.failure(signature!, engineBusy(call.route.path));
    if (!this.replays.admit(call.id)) {
      log.warn({ peer, callId: call.id }, 'call hop: replayed request refused, nothing run');
      return this.failure('', hopUnauthorized('replayed request'));
    }
    const p = this.runCall(call, signature!, ac).finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  private async runCall(call: HopCall, signature: string, ac: AbortController): Promise<Answer> {
    try {
      const result = await this.executor.run({ ...call, signal: ac.signal });
      const body = encodeResult(result);
      return { status: 200, body, signature: signAnswer(this.o.secret, signature, body) };
    } catch (err) {
      if (engineBusy.is(err)) this.replays.forget(call.id);
      if (!(err instanceof FrescoError)) log.error({ err, callId: call.id }, 'call hop: the executor failed');
      return this.failure(signature, err instanceof FrescoError ? err : internalError());
    }
  }

  // A stream (see hop-codec): authenticated once by its signed nonce, then many calls in flight.
  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    socket.on('end', () => socket.destroy()); // the API closed its end: no half-open streams
    const refuse = (a: Answer) => {
      const sig = a.signature ? `${SIGNATURE_HEADER}: ${a.signature}\r\n` : '';
      socket.end(`HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status]}\r\nconnection: close\r\ncontent-length: ${a.body.length}\r\n${sig}\r\n${a.body}`);
    };
    if (req.url !== STREAM_PATH || String(req.headers.upgrade).toLowerCase() !== STREAM_PROTOCOL) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const nonce = String(req.headers[NONCE_HEADER] ?? '');
    const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
    const hello = streamHello(nonce);
    const bad = !/^[0-9a-f]{32}$/.test(nonce) ? 'missing or malformed nonce' : verifyRequest(this.o.secret, signature, hello)
      ?? (this.replays.admit(`stream ${nonce}`) ? null : 'replayed request');
    if (bad) {
      log.warn({ peer: req.socket.remoteAddress, reason: bad }, 'call hop: stream refused');
      return refuse(this.failure('', hopUnauthorized(bad)));
    }
    if (this.draining) return refuse(this.failure(signature!, engineStopped()));
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${STREAM_PROTOCOL}\r\nconnection: Upgrade\r\n`
      + `${SIGNATURE_HEADER}: ${signAnswer(this.o.secret, signature!, hello)}\r\n\r\n`);
    const tcp = socket as Duplex & { setNoDelay?: (b: boolean) => void; setKeepAlive?: (on: boolean, delayMs: number) => void };
    tcp.setNoDelay?.(true);
    // An API host that vanished (power, link) leaves no FIN: TCP keepalive ends its streams here in time.
    tcp.setKeepAlive?.(true, 10_000);
    this.streams.add(socket);
    const peer = req.socket.remoteAddress;
    const calls = new Map<number, AbortController>();
    const reader = new StreamReader(this.o.maxFrameBytes, (f) => this.onStreamFrame(f, socket, calls, peer));
    const onData = (c: Buffer) => {
      try {
        reader.push(c);
      } catch (err) {
        log.warn({ peer, reason: (err as Error).message }, 'call hop: malformed stream; connection closed');
        socket.destroy();
      }
    };
    socket.on('data', onData);
    // The API process went away: its calls here are of no use any more.
    socket.on('close', () => {
      this.streams.delete(socket);
      for (const ac of calls.values()) ac.abort();
    });
    if (head.length) onData(head);
  }

  private onStreamFrame(f: StreamFrame, socket: Duplex, calls: Map<number, AbortController>, peer?: string): void {
    if (f.type === FRAME_PING) {
      // The API's liveness check: answered at once, bound to the ping's signature.
      if (verifyRequest(this.o.secret, f.signature, pingBody(f.seq)) === null) {
        socket.write(streamFrame(FRAME_PONG, f.seq, signAnswer(this.o.secret, f.signature, pingBody(f.seq)), Buffer.alloc(0)));
      } else {
        log.warn({ peer }, 'call hop: unsigned ping frame dropped');
      }
      return;
    }
    if (f.type === FRAME_CANCEL) {
      if (verifyRequest(this.o.secret, f.signature, cancelBody(f.seq)) === null) calls.get(f.seq)?.abort();
      else log.warn({ peer }, 'call hop: unsigned cancel frame dropped');
      return;
    }
    if (f.type !== FRAME_CALL || calls.has(f.seq)) {
      log.warn({ peer, type: f.type }, 'call hop: unexpected stream frame dropped');
      return;
    }
    const ac = new AbortController();
    calls.set(f.seq, ac);
    void this.serveCall(f.payload, f.signature || undefined, peer, ac).then((a) => {
      calls.delete(f.seq);
      if (!socket.destroyed) socket.write(streamFrame(FRAME_ANSWER, f.seq, a.signature ?? '', a.body, a.status));
    });
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

  // Error answers are signed too (when the request was), so the API can trust "busy" and "stopped".
  private failure(signature: string, err: FrescoError): Answer {
    const body = Buffer.from(JSON.stringify({ error: { code: err.code, message: err.message, headers: err.headers } }));
    return { status: err.status, body, signature: signature ? signAnswer(this.o.secret, signature, body) : undefined };
  }

  private fail(res: http.ServerResponse, signature: string, err: FrescoError): void {
    if (res.headersSent || res.destroyed) return;
    const a = this.failure(signature, err);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': a.body.length };
    if (a.signature) headers[SIGNATURE_HEADER] = a.signature;
    res.writeHead(a.status, headers).end(a.body);
  }
}
