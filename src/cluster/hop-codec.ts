// The call hop's wire format, API → engine and back, and its authentication. A frame is a
// 4-byte big-endian length, that many bytes of JSON (the call's or the result's fields), then
// raw bytes (the request body; the result then the log). Requests carry
// `X-Fresco-Hop-Signature: t=<ms since epoch>,s=<hex HMAC-SHA256(secret, "<t>\n" + body)>`;
// answers carry `s=<hex HMAC-SHA256(secret, "<request signature>\n" + body)>`, so a reply is
// trusted only by the request it answers. Pure: no I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ExecutorCall, CallOutcome, RouteFormat, RouteScope, RunnableRoute } from '../domain/executor';

export const HOP_PATH = '/fresco-hop/v1/call';
/** Where an API process tells engines that routes changed or were deleted (signed like calls). */
export const RETIRE_PATH = '/fresco-hop/v1/retire';
export const SIGNATURE_HEADER = 'x-fresco-hop-signature';
/** Requests older or newer than this (clock skew included) are refused. */
export const SIGNATURE_WINDOW_MS = 60_000;

/** A hop call as it crosses the wire: the ExecutorCall without its signal and callback. */
export type HopCall = Omit<ExecutorCall, 'signal' | 'onStart'>;

/** A frame that cannot be read; the message says what is wrong. */
export class HopFrameError extends Error {}

function hmac(secret: string, prefix: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(prefix).update('\n').update(body).digest();
}

/** The request's signature header for `body` at time `now`. */
export function signRequest(secret: string, body: Buffer, now = Date.now()): string {
  return `t=${now},s=${hmac(secret, String(now), body).toString('hex')}`;
}

/** Null when `header` signs `body` within the time window; else why not. */
export function verifyRequest(secret: string, header: string | undefined, body: Buffer, now = Date.now()): string | null {
  const m = /^t=(\d{1,16}),s=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return header ? 'malformed signature header' : 'no signature header';
  if (Math.abs(now - Number(m[1])) > SIGNATURE_WINDOW_MS) return 'signature outside the time window';
  return equal(hmac(secret, m[1], body), Buffer.from(m[2], 'hex')) ? null : 'bad signature';
}

/** The answer's signature header: bound to the request's signature. */
export function signAnswer(secret: string, requestSignature: string, body: Buffer): string {
  return `s=${hmac(secret, requestSignature, body).toString('hex')}`;
}

/** True when `header` signs `body` as the answer to the request signed `requestSignature`. */
export function verifyAnswer(secret: string, requestSignature: string, header: string | undefined, body: Buffer): boolean {
  const m = /^s=([0-9a-f]{64})$/.exec(header ?? '');
  return !!m && equal(hmac(secret, requestSignature, body), Buffer.from(m[1], 'hex'));
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function frame(meta: object, parts: Buffer[]): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(json.length, 0);
  return Buffer.concat([head, json, ...parts]);
}

function unframe(buf: Buffer): { meta: Record<string, unknown>; rest: Buffer } {
  if (buf.length < 4) throw new HopFrameError('frame shorter than its length prefix');
  const n = buf.readUInt32BE(0);
  if (n > buf.length - 4) throw new HopFrameError('frame length prefix past its end');
  let meta: unknown;
  try {
    meta = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
  } catch {
    throw new HopFrameError('frame header is not JSON');
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new HopFrameError('frame header is not an object');
  return { meta: meta as Record<string, unknown>, rest: buf.subarray(4 + n) };
}

/** The request frame for `req`. */
export function encodeCall(req: HopCall): Buffer {
  const { body, ...meta } = req;
  return frame(meta, [body]);
}

const FORMATS: readonly RouteFormat[] = ['default', 'http', 'json'];

function need(ok: boolean, what: string): void {
  if (!ok) throw new HopFrameError(`bad or missing ${what}`);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkRoute(r: unknown): RunnableRoute {
  need(!!r && typeof r === 'object', 'route');
  const x = r as Record<string, unknown>;
  for (const k of ['projectId', 'appName', 'path', 'image']) need(isStr(x[k]), `route.${k}`);
  need(FORMATS.includes(x.format as RouteFormat), 'route.format');
  for (const k of ['memory', 'timeout', 'idleTimeout', 'maxConcurrency']) need(isNum(x[k]), `route.${k}`);
  need(!!x.config && typeof x.config === 'object' && Object.values(x.config as object).every(isStr), 'route.config');
  need(x.version === undefined || isStr(x.version), 'route.version');
  need(x.network === undefined || isStr(x.network), 'route.network');
  need(x.allowRoot === undefined || typeof x.allowRoot === 'boolean', 'route.allowRoot');
  if (x.code !== undefined) {
    const c = x.code as Record<string, unknown>;
    need(!!c && typeof c === 'object' && isStr(c.digest) && /^[0-9a-f]{64}$/.test(c.digest) && isStr(c.entry)
      && (c.file === undefined || isStr(c.file)) && (c.calling === 'lambda' || c.calling === 'qinling'), 'route.code');
    // The engine unpacks the package itself: a directory named by the sender is never mounted.
    x.code = { digest: c.digest, entry: c.entry, file: c.file, calling: c.calling };
  }
  return x as unknown as RunnableRoute;
}

/** Reads a request frame; throws HopFrameError naming the first bad field. */
export function decodeCall(buf: Buffer): HopCall {
  const { meta, rest } = unframe(buf);
  for (const k of ['id', 'method', 'url', 'requestPath']) need(isStr(meta[k]), k);
  const headers = meta.headers;
  need(!!headers && typeof headers === 'object' && Object.values(headers as object)
    .every((v) => isStr(v) || (Array.isArray(v) && v.every(isStr))), 'headers');
  return {
    id: meta.id as string, route: checkRoute(meta.route), method: meta.method as string, url: meta.url as string,
    requestPath: meta.requestPath as string, headers: headers as HopCall['headers'], body: rest,
    refuseWhenFull: meta.refuseWhenFull === true,
  };
}

/** The answer frame for `r`: its fields, then the result, then the log. */
export function encodeResult(r: CallOutcome): Buffer {
  const { result, log, startedAt, completedAt, ...rest } = r;
  // Times as epoch milliseconds: writing and parsing ISO strings was a tenth of the hop's CPU time.
  return frame({
    ...rest, resultLength: result.length, startedAt: startedAt?.getTime(), completedAt: completedAt.getTime(),
  }, [result, log]);
}

/** Reads an answer frame; throws HopFrameError when it is not one. */
export function decodeResult(buf: Buffer): CallOutcome {
  const { meta, rest } = unframe(buf);
  const n = meta.resultLength;
  need(isNum(n) && n >= 0 && n <= rest.length, 'resultLength');
  need(isStr(meta.status) && isStr(meta.kind) && isNum(meta.completedAt), 'status, kind or completedAt');
  const fields = meta as unknown as CallOutcome & { resultLength?: number };
  delete fields.resultLength;
  fields.result = rest.subarray(0, n as number);
  fields.log = rest.subarray(n as number);
  fields.startedAt = isNum(meta.startedAt) ? new Date(meta.startedAt) : undefined;
  fields.completedAt = new Date(meta.completedAt as number);
  return fields;
}

/** A retire request: routes in `scope` changed or were deleted; `id` is unique (replays are refused). */
export interface HopRetire {
  id: string;
  scope: RouteScope;
}

/** The retire request's body (JSON). */
export function encodeRetire(r: HopRetire): Buffer {
  const { projectId, appName, path, version } = r.scope;
  return Buffer.from(JSON.stringify({ id: r.id, scope: { projectId, appName, path, version } }));
}

/** Reads a retire request; throws HopFrameError naming the first bad field. */
export function decodeRetire(buf: Buffer): HopRetire {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HopFrameError('retire request is not JSON');
  }
  need(!!v && typeof v === 'object', 'retire request');
  const x = v as { id?: unknown; scope?: Record<string, unknown> };
  need(isStr(x.id), 'id');
  need(!!x.scope && typeof x.scope === 'object', 'scope');
  const s = x.scope!;
  need(isStr(s.projectId) && isStr(s.appName), 'scope.projectId or scope.appName');
  need(s.path === undefined || isStr(s.path), 'scope.path');
  need(s.version === undefined || (isStr(s.path) && Number.isInteger(s.version) && (s.version as number) > 0), 'scope.version');
  return { id: x.id as string, scope: {
    projectId: s.projectId as string, appName: s.appName as string, ...(isStr(s.path) ? { path: s.path } : {}),
    ...(s.version !== undefined ? { version: s.version as number } : {}),
  } };
}

// --- The hop's stream: one upgraded connection carrying many calls ----------------------------
// An API process opens a few connections per engine with `GET STREAM_PATH`, `Upgrade:
// STREAM_PROTOCOL`, a nonce header and a signature of "stream <nonce>" (refused 401 unless signed;
// nonces are replay-guarded); the engine answers 101 with the signature of that nonce bound to the
// request's. Then frames flow both ways, several calls in flight, matched by sequence number:
// [u32 length of the rest][u8 type][u32 seq][u16 status][u8 signature length][signature][payload].
// A call frame carries the same payload and signature as an HTTP hop request (each call signed,
// timestamped and replay-guarded by its id); its answer the HTTP status, the answer's signature and
// body; a cancel frame carries a signature of "cancel <seq>" and aborts that call on the engine.
// Liveness: the API sends a ping frame (signature of "ping <seq>", timestamped) on a stream it has
// not heard from for [cluster] ping_interval; the engine answers a pong frame signed like an
// answer (bound to the ping's signature). A stream silent for ping_timeout is closed as lost: a
// frozen engine (SIGSTOP, a dead link) keeps its TCP connection open but answers nothing.

export const STREAM_PATH = '/fresco-hop/v1/stream';
export const STREAM_PROTOCOL = 'fresco-hop/1';
export const NONCE_HEADER = 'x-fresco-hop-nonce';
export const FRAME_CALL = 1;
export const FRAME_CANCEL = 2;
export const FRAME_ANSWER = 3;
export const FRAME_PING = 4;
export const FRAME_PONG = 5;

/** What the handshake's signature covers. */
export function streamHello(nonce: string): Buffer {
  return Buffer.from(`stream ${nonce}`);
}

/** What a cancel frame's signature covers. */
export function cancelBody(seq: number): Buffer {
  return Buffer.from(`cancel ${seq}`);
}

/** What a ping frame's signature covers, and its pong's (bound to the ping's signature). */
export function pingBody(seq: number): Buffer {
  return Buffer.from(`ping ${seq}`);
}

/** One frame of the stream. */
export interface StreamFrame {
  type: number;
  seq: number;
  status: number;
  signature: string;
  payload: Buffer;
}

/** The bytes of one stream frame. */
export function streamFrame(type: number, seq: number, signature: string, payload: Buffer, status = 0): Buffer {
  const sigLen = Buffer.byteLength(signature, 'latin1');
  const out = Buffer.allocUnsafe(4 + 8 + sigLen + payload.length);
  out.writeUInt32BE(8 + sigLen + payload.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(seq >>> 0, 5);
  out.writeUInt16BE(status, 9);
  out.writeUInt8(sigLen, 11);
  out.write(signature, 12, 'latin1');
  payload.copy(out, 12 + sigLen);
  return out;
}

/** Cuts a byte stream into frames; throws HopFrameError when a frame is malformed or too large. */
export class StreamReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number, private readonly onFrame: (f: StreamFrame) => void) {}

  /** Bytes of a frame still arriving (0 between frames). */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n > this.maxFrameBytes) throw new HopFrameError(`stream frame of ${n} bytes is over the limit`);
      if (n < 8) throw new HopFrameError('stream frame shorter than its header');
      if (this.buf.length < 4 + n) return;
      const sigLen = this.buf.readUInt8(11);
      if (8 + sigLen > n) throw new HopFrameError('stream frame signature past its end');
      const f: StreamFrame = {
        type: this.buf.readUInt8(4), seq: this.buf.readUInt32BE(5), status: this.buf.readUInt16BE(9),
        signature: this.buf.toString('latin1', 12, 12 + sigLen), payload: this.buf.subarray(12 + sigLen, 4 + n),
      };
      this.buf = this.buf.subarray(4 + n);
      this.onFrame(f);
    }
  }
}
