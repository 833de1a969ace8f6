// The API's end of the hop's streams (see hop-codec): a few persistent connections per engine,
// each carrying several calls at once, matched by sequence number. A connection that closes ends
// every call in flight on it at once (the engine is lost); a cancel frame aborts one call there.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { engineLost, engineStopped } from '../errors';
import { log } from '../log';
import type { EngineView } from './engine-directory';
import {
  cancelBody, FRAME_ANSWER, FRAME_CALL, FRAME_CANCEL, NONCE_HEADER, SIGNATURE_HEADER, signRequest, STREAM_PATH, STREAM_PROTOCOL,
  streamFrame, StreamReader, streamHello, verifyAnswer,
} from './hop-codec';

/** What the engine answered to one call: the HTTP status, the answer's signature and body. */
export interface StreamAnswer { status: number; signature: string; body: Buffer }

interface Waiter { answer(a: StreamAnswer): void; lost(why: string): void }

/** One authenticated connection to an engine. */
export class HopConnection {
  private readonly waiting = new Map<number, Waiter>();
  private seq = 0;
  closed = false;

  constructor(private readonly socket: Duplex, private readonly secret: string, maxFrameBytes: number, onClose: () => void) {
    const reader = new StreamReader(maxFrameBytes, (f) => {
      const w = f.type === FRAME_ANSWER ? this.waiting.get(f.seq) : undefined;
      if (!w) {
        log.warn({ seq: f.seq, type: f.type }, 'call hop: a stream frame nobody waits for dropped');
        return;
      }
      this.waiting.delete(f.seq);
      w.answer({ status: f.status, signature: f.signature, body: f.payload });
    });
    socket.on('data', (c: Buffer) => {
      try {
        reader.push(c);
      } catch (err) {
        log.warn({ reason: (err as Error).message }, 'call hop: malformed stream from an engine; connection closed');
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      onClose();
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) w.lost('its connection closed during the call');
    });
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

/** Opens a stream to `e`. Rejects with a connection error (code ECONNREFUSED…), FRESCO_ENGINE_STOPPED
 *  when it drains, or FRESCO_ENGINE_LOST when it refuses or does not prove the secret. */
export function openStream(e: EngineView, secret: string, maxFrameBytes: number, onClose: () => void): Promise<HopConnection> {
  const nonce = randomBytes(16).toString('hex');
  const hello = streamHello(nonce);
  const signature = signRequest(secret, hello);
  return new Promise((resolve, reject) => {
    const r = http.request({
      hostname: e.hostname, port: e.port, path: STREAM_PATH, method: 'GET', agent: false, timeout: 10_000,
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
      const c = new HopConnection(socket, secret, maxFrameBytes, onClose);
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
    r.on('timeout', () => r.destroy(Object.assign(new Error('no answer to the stream handshake within 10 s'), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end();
  });
}

/** Up to `size` streams per engine, the least busy chosen for each call. */
export class StreamPool {
  private readonly pools = new Map<string, Array<{ opening?: Promise<HopConnection>; conn?: HopConnection }>>();

  constructor(private readonly secret: string, private readonly maxFrameBytes: number, private readonly size = 4) {}

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
    entry.opening = openStream(e, this.secret, this.maxFrameBytes, drop).then((c) => { entry.conn = c; return c; }, (err: unknown) => {
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
