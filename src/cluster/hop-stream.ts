// The API's end of the hop's streams (see hop-codec): a few persistent connections per engine,
// each carrying several calls at once, matched by sequence number. A connection that closes ends
// every call in flight on it at once (the engine is lost); a cancel frame aborts one call there.
// A connection that stays silent (no answer, no pong) for ping_timeout is closed as lost too: a
// frozen engine keeps its TCP connection open, so only its silence tells.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { engineLost, engineStopped } from '../errors';
import { log } from '../log';
import type { EngineView } from './engine-directory';
import {
  cancelBody, FRAME_ANSWER, FRAME_CALL, FRAME_CANCEL, FRAME_PING, FRAME_PONG, NONCE_HEADER, pingBody, SIGNATURE_HEADER, signRequest,
  STREAM_PATH, STREAM_PROTOCOL, StreamFrame, streamFrame, StreamReader, streamHello, verifyAnswer,
} from './hop-codec';

/** What the engine answered to one call: the HTTP status, the answer's signature and body. */
export interface StreamAnswer { status: number; signature: string; body: Buffer }

interface Waiter { answer(a: StreamAnswer): void; lost(why: string): void }

/** How the API watches its streams; see [cluster] ping_interval, ping_timeout, connect_timeout. */
export interface Liveness {
  /** A stream silent this long gets a ping. */
  pingIntervalMs: number;
  /** A stream silent this long is closed; its calls end with FRESCO_ENGINE_LOST. */
  pingTimeoutMs: number;
  /** Opening a stream (connection and signed handshake) gives up after this long. */
  connectTimeoutMs: number;
}

/** Defaults of [cluster] ping_interval (1 s), ping_timeout (3 s) and connect_timeout (3 s). */
export const DEFAULT_LIVENESS: Liveness = { pingIntervalMs: 1000, pingTimeoutMs: 3000, connectTimeoutMs: 3000 };

/** One authenticated connection to an engine. */
export class HopConnection {
  private readonly waiting = new Map<number, Waiter>();
  private seq = 0;
  private pingSeq = 0;
  private pingSignature = '';
  private heardAt = Date.now();
  private sentAtTick = 0;
  private lostWhy?: string;
  private readonly ticker: NodeJS.Timeout;
  closed = false;

  /** `onClose` is told when the connection ends, with why when it fell silent (the engine is frozen or cut off). */
  constructor(private readonly socket: Duplex, private readonly secret: string, maxFrameBytes: number,
    onClose: (silentWhy?: string) => void, private readonly live: Liveness = DEFAULT_LIVENESS) {
    const reader = new StreamReader(maxFrameBytes, (f) => this.onFrame(f));
    socket.on('data', (c: Buffer) => {
      try {
        reader.push(c);
        // A large answer still arriving shows the engine alive as well as its pong would.
        if (reader.pending > 0) this.heardAt = Date.now();
      } catch (err) {
        log.warn({ reason: (err as Error).message }, 'call hop: malformed stream from an engine; connection closed');
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.destroy());
    this.ticker = setInterval(() => this.tick(), Math.min(live.pingIntervalMs, live.pingTimeoutMs));
    this.ticker.unref();
    socket.on('close', () => {
      this.closed = true;
      clearInterval(this.ticker);
      onClose(this.lostWhy);
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) w.lost(this.lostWhy ?? 'its connection closed during the call');
    });
  }

  private onFrame(f: StreamFrame): void {
    if (f.type === FRAME_PONG) {
      if (f.seq === this.pingSeq && verifyAnswer(this.secret, this.pingSignature, f.signature, pingBody(f.seq))) this.heardAt = Date.now();
      else log.warn({ seq: f.seq }, 'call hop: a pong without a valid signature dropped');
      return;
    }
    const w = f.type === FRAME_ANSWER ? this.waiting.get(f.seq) : undefined;
    if (!w) {
      log.warn({ seq: f.seq, type: f.type }, 'call hop: a stream frame nobody waits for dropped');
      return;
    }
    this.heardAt = Date.now();
    this.waiting.delete(f.seq);
    w.answer({ status: f.status, signature: f.signature, body: f.payload });
  }

  /** Closes the connection, ending its calls with FRESCO_ENGINE_LOST for `why`. */
  abandon(why: string): void {
    this.lostWhy ??= why;
    this.socket.destroy();
  }

  // Pings a stream silent for ping_interval; closes one silent for ping_timeout (its calls are lost).
  private tick(): void {
    if (this.closed) return;
    // A large call still leaving (a slow link) delays the pong queued behind it: progress counts.
    const sent = (this.socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
    if (sent > this.sentAtTick && this.socket.writableLength > 0) this.heardAt = Date.now();
    this.sentAtTick = sent;
    const silent = Date.now() - this.heardAt;
    if (silent >= this.live.pingTimeoutMs) {
      this.abandon(`it answered nothing, not even liveness pings, for ${(silent / 1000).toFixed(1)} s (frozen or cut off)`);
      return;
    }
    if (silent < this.live.pingIntervalMs) return;
    this.pingSeq = (this.pingSeq + 1) >>> 0;
    this.pingSignature = signRequest(this.secret, pingBody(this.pingSeq));
    this.socket.write(streamFrame(FRAME_PING, this.pingSeq, this.pingSignature, Buffer.alloc(0)));
  }

  /** Calls in flight on this connection. */
  get load(): number {
    return this.waiting.size;
  }

  /** Sends a signed call frame; returns its sequence number. */
  send(frame: Buffer, signature: string, w: Waiter): number {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    this.waiting.set(seq, w);
    this.socket.write(streamFrame(FRAME_CALL, seq, signature, frame));
    return seq;
  }

  /** Stops waiting for call `seq` and asks the engine to abort it. */
  cancel(seq: number): void {
    if (!this.waiting.delete(seq) || this.closed) return;
    this.socket.write(streamFrame(FRAME_CANCEL, seq, signRequest(this.secret, cancelBody(seq)), Buffer.alloc(0)));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Opens a stream to `e`. Rejects with a connection error (code ECONNREFUSED…, ETIMEDOUT after
 *  connectTimeoutMs: nothing was sent), FRESCO_ENGINE_STOPPED when it drains, or FRESCO_ENGINE_LOST
 *  when it refuses or does not prove the secret. */
export function openStream(e: EngineView, secret: string, maxFrameBytes: number, onClose: (silentWhy?: string) => void,
  live: Liveness = DEFAULT_LIVENESS): Promise<HopConnection> {
  const nonce = randomBytes(16).toString('hex');
  const hello = streamHello(nonce);
  const signature = signRequest(secret, hello);
  return new Promise((resolve, reject) => {
    const r = http.request({
      hostname: e.hostname, port: e.port, path: STREAM_PATH, method: 'GET', agent: false, timeout: live.connectTimeoutMs,
      headers: { connection: 'Upgrade', upgrade: STREAM_PROTOCOL, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: signature },
    });
    r.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!verifyAnswer(secret, signature, res.headers[SIGNATURE_HEADER] as string | undefined, hello)) {
        socket.destroy();
        log.warn({ engine: e.id }, 'call hop: stream handshake without a valid signature dropped');
        return reject(engineLost(e.id, 'its stream handshake was not signed with [cluster] secret'));
      }
      const s = socket as Duplex & { setNoDelay?: (b: boolean) => void; setTimeout?: (ms: number) => void };
      s.setNoDelay?.(true);
      s.setTimeout?.(0); // the handshake's timeout; an idle stream stays open
      const c = new HopConnection(socket, secret, maxFrameBytes, onClose, live);
      if (head.length) socket.unshift(head);
      resolve(c);
    });
    r.on('response', (res) => {
      res.resume();
      const body: Buffer[] = [];
      res.on('data', (b: Buffer) => body.push(b));
      res.on('end', () => {
        const answer = Buffer.concat(body);
        const signed = verifyAnswer(secret, signature, res.headers[SIGNATURE_HEADER] as string | undefined, answer);
        if (signed && res.statusCode === 503) return reject(engineStopped());
        reject(engineLost(e.id, res.statusCode === 401 ? 'it refused our signature (is [cluster] secret the same everywhere?)'
          : `it answered ${res.statusCode} to the stream handshake`));
      });
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer to the stream handshake within ${live.connectTimeoutMs / 1000} s`),
      { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end();
  });
}

/** Up to `size` streams per engine, the least busy chosen for each call. */
export class StreamPool {
  private readonly pools = new Map<string, Array<{ opening?: Promise<HopConnection>; conn?: HopConnection }>>();

  /** `onSilent` is told of each engine whose stream fell silent (see HopConnection). */
  constructor(private readonly secret: string, private readonly maxFrameBytes: number, private readonly size = 4,
    private readonly live: Liveness = DEFAULT_LIVENESS, private readonly onSilent: (e: EngineView, why: string) => void = () => undefined) {}

  /** A connection to `e` (see openStream for the rejections). */
  get(e: EngineView): Promise<HopConnection> | HopConnection {
    const key = `${e.id} ${e.hostname}:${e.port}`;
    let list = this.pools.get(key);
    if (!list) this.pools.set(key, (list = []));
    let best: HopConnection | undefined;
    for (const x of list) if (x.conn && !x.conn.closed && (!best || x.conn.load < best.load)) best = x.conn;
    if (best && (best.load === 0 || list.length >= this.size)) return best;
    const opening = list.find((x) => x.opening && !x.conn);
    if (opening && (best === undefined || list.length >= this.size)) return opening.opening!;
    if (list.length >= this.size) return best ?? list[0].opening!;
    const entry: { opening?: Promise<HopConnection>; conn?: HopConnection } = {};
    const drop = () => { const l = this.pools.get(key); if (l) l.splice(l.indexOf(entry) >>> 0, l.includes(entry) ? 1 : 0); };
    const onClose = (silentWhy?: string) => {
      drop();
      if (!silentWhy) return;
      // One silent stream means a silent engine: its other streams' calls are as lost.
      for (const x of this.pools.get(key) ?? []) x.conn?.abandon(silentWhy);
      this.onSilent(e, silentWhy);
    };
    entry.opening = openStream(e, this.secret, this.maxFrameBytes, onClose, this.live).then((c) => { entry.conn = c; return c; }, (err: unknown) => {
      drop();
      throw err;
    });
    list.push(entry);
    return entry.opening;
  }

  close(): void {
    for (const list of this.pools.values()) for (const x of list) x.conn?.close();
    this.pools.clear();
  }
}
