// Runs (`/r/...` and `/v1/r/...`) served ahead of the Koa middleware stack: on a hot call the
// stack (context objects, the middleware chain, routing by composition, body parsing) cost more
// than the container round trip. The fast path keeps every step of the Koa path (request id,
// authentication with the same middleware and token cache, policy, route resolution, body limit,
// the call and its record, metrics) and answers byte for byte what the Koa handlers answer:
// both take their answers from run-answers.ts and their error bodies from errorAnswer. Whatever
// the router would not send to the run handlers, or might treat differently, goes to Koa.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import type { Layer as RouterLayer, Router } from '@koa/router';
import type { Identity } from '../domain/identity';
import type { ResolvedRoute } from '../services/route-resolver';
import type { FrescoState } from './context';
import { callerGone, type InvokeDeps } from './handlers/runs';
import type { Metrics } from './metrics';
import { errorAnswer, isUnimplementedMethod } from './middleware/errors';
import { Answer, asyncAnswer, failure, picassoAnswer, PRIVATE_RUN, PUBLIC_RUN, rawAnswer } from './run-answers';
import { readRequestBody } from './request-body';
import { checkPathParams } from '../services/validation';

/** What the fast path needs: the run handlers' dependencies, the /v1 authentication and the metrics. */
export interface FastPathDeps extends InvokeDeps {
  authenticate: Middleware;
  metrics: Metrics;
}

type Layer = RouterLayer<FrescoState>;
type Params = Record<string, string>;

// Characters after which Koa (parseurl) would not take the path as the text before '?'.
const ODD_URL = /[\s#\u00a0\ufeff]/;
const EMPTY_STATUS = new Set([204, 205, 304]);
const noop = async () => undefined;

interface Hit {
  layer: Layer;
  /** The layer's path parameters for this path (decoded once: the same path always gives the same ones). */
  params: Params;
  /** True once checkPathParams passed them (the same parameters always pass). */
  checked: boolean;
}

/** Which run layer, if any, Koa's router hands `path` to, and its parameters (memoised: the router's answer never changes). */
function layerFinder(router: Router<FrescoState>) {
  const seen = new Map<string, Hit | null>();
  return (method: string, path: string): Hit | undefined => {
    const key = `${method} ${path}`;
    let hit = seen.get(key);
    if (hit === undefined) {
      const first = router.match(path, method).pathAndMethod.find((l) => l.methods.length > 0);
      // Frozen: every request of this path reads the same parameters.
      hit = first && (first.path === PUBLIC_RUN || first.path === PRIVATE_RUN)
        ? { layer: first, params: Object.freeze(first.params(path, first.captures(path))) as Params, checked: false } : null;
      if (seen.size >= 10_000) seen.clear();
      seen.set(key, hit);
    }
    return hit ?? undefined;
  };
}

/** The run layer and parameters for `url`; undefined: leave the request to Koa. */
function runLayer(find: ReturnType<typeof layerFinder>, method: string, url: string): Hit | undefined {
  // Koa's /v1 body parser skips only the exact-case '/v1/r/' prefix; other spellings go to Koa.
  if (!(url.startsWith('/r/') || url.startsWith('/v1/r/')) || ODD_URL.test(url) || isUnimplementedMethod(method)) return undefined;
  const q = url.indexOf('?');
  return find(method, q < 0 ? url : url.slice(0, q));
}

// Koa's origin for a Host header (the same header always gives the same origin).
const origins = new Map<string, string>();

/** Koa's ctx.href (proxy off). */
function hrefOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  if (/^https?:\/\//i.test(url)) return url;
  const header = (req.httpVersionMajor >= 2 && (req.headers[':authority'] as string | undefined)) || req.headers.host || '';
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  const key = secure ? `s${header}` : header;
  let origin = origins.get(key);
  if (origin === undefined) {
    let host = header.split(',', 1)[0].trim();
    if (host.includes('@')) {
      try {
        host = new URL(`http://${host}`).host;
      } catch {
        host = '';
      }
    }
    origin = `${secure ? 'https' : 'http'}://${host}`;
    if (origins.size >= 1000) origins.clear();
    origins.set(key, origin);
  }
  return origin + url;
}

/** Writes an answer as Koa's respond() would (empty statuses and HEAD without a body). */
function send(req: IncomingMessage, res: ServerResponse, a: Answer): void {
  for (const [name, value] of a.headers) res.setHeader(name, value);
  res.statusCode = a.status;
  let body: Buffer | string;
  if (Buffer.isBuffer(a.body)) {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/octet-stream');
    body = a.body;
  } else {
    const type = res.getHeader('Content-Type');
    if (typeof type !== 'string' || !/\bjson\b/i.test(type.split(';', 1)[0])) res.setHeader('Content-Type', 'application/json; charset=utf-8');
    body = JSON.stringify(a.body);
  }
  // Koa's ctx.writable: a caller gone before the answer gets nothing written.
  if (res.writableEnded) return;
  if (res.socket && !res.socket.writable) return void res.end();
  if (EMPTY_STATUS.has(a.status)) {
    for (const h of ['Content-Type', 'Content-Length', 'Transfer-Encoding']) res.removeHeader(h);
    return void res.end();
  }
  if (!res.hasHeader('Transfer-Encoding')) res.setHeader('Content-Length', Buffer.byteLength(body));
  if (req.method === 'HEAD') return void res.end();
  res.end(body);
}

/** Serves the runs ahead of Koa; `slow` (Koa's own listener) gets every other request. */
export function withFastPath(app: Koa<FrescoState>, router: Router<FrescoState>, deps: FastPathDeps,
  slow: RequestListener): RequestListener {
  // Koa's /v1 authentication, given a real Koa context (it reads headers and sets state.identity).
  const authenticate = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<Identity | undefined> => {
    const ctx = app.createContext(req, res);
    ctx.state.requestId = requestId;
    await deps.authenticate(ctx as unknown as Koa.ParameterizedContext, noop);
    return ctx.state.identity;
  };

  const run = async (req: IncomingMessage, res: ServerResponse, hit: Hit, requestId: string): Promise<Answer> => {
    const { layer, params: p } = hit;
    const isPrivate = layer.path === PRIVATE_RUN;
    // As Koa orders it: authentication (/v1 only), the path parameters' check, then the handler.
    const identity = isPrivate ? await authenticate(req, res, requestId) : undefined;
    if (!hit.checked) {
      checkPathParams(p);
      hit.checked = true;
    }
    if (isPrivate) deps.authorizer.authorize(identity, 'fresco:route:run', p.project_id);
    // A cached route is taken at once; a miss (or a route not found, or private) is the resolver's to answer.
    const path = `/${p.route}`;
    const projectId = isPrivate ? p.project_id : undefined;
    let target: ResolvedRoute | Promise<ResolvedRoute> = deps.resolver.peek(projectId, p.app, path)
      ?? await (isPrivate ? deps.resolver.private(p.project_id, p.app, path) : deps.resolver.public(p.app, path));
    target = deps.resolver.pick(target, req.headers);
    if (target instanceof Promise) target = await target;
    const body = await readRequestBody(req, deps.maxBodySize);
    const answer = await deps.invoker.invoke(target, {
      method: req.method!, url: hrefOf(req), requestPath: req.url!, headers: req.headers as Record<string, string>,
      body, trigger: 'http', abort: callerGone(res),
    });
    if (answer.mode === 'async') return asyncAnswer(answer, deps.publicUrl);
    const err = failure(answer.outcome);
    if (err) {
      // The call's error, with its id beside it as the Koa path answers it.
      const { fe, body } = errorAnswer(err, requestId, { call_id: answer.callId });
      return { status: fe.status, headers: [['X-Fresco-Call-Id', answer.callId], ...Object.entries(fe.headers)], body };
    }
    return isPrivate ? picassoAnswer(answer.callId, answer.outcome) : rawAnswer(target, answer.callId, answer.outcome);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, hit: Hit): Promise<void> => {
    const began = process.hrtime.bigint();
    const requestId = `req-${randomUUID()}`;
    res.statusCode = 404;
    res.setHeader('X-Openstack-Request-Id', requestId);
    let status: number;
    try {
      const answer = await run(req, res, hit, requestId);
      status = answer.status;
      send(req, res, answer);
    } catch (err) {
      const { fe, body } = errorAnswer(err, requestId);
      status = fe.status;
      try {
        for (const [name, value] of Object.entries(fe.headers)) res.setHeader(name, value);
        send(req, res, { status, headers: [], body });
      } catch (writeErr) {
        res.destroy(writeErr as Error);
      }
    }
    deps.metrics.record(req.method!, String(hit.layer.path), status, Number(process.hrtime.bigint() - began) / 1e9);
  };

  const find = layerFinder(router);
  return (req, res) => {
    const hit = runLayer(find, req.method ?? 'GET', req.url ?? '');
    if (!hit) return slow(req, res);
    void serve(req, res, hit);
  };
}
