// A minimal node HTTP server around an Executor: the bench puts it in front of the real Fresco's
// executor to split Fresco's added latency into what any HTTP server costs and what the API's
// own stack (Koa, route resolution, the call record) adds on top.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Executor, RunnableRoute } from '../src/domain/executor';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Any request to /<name> → executor.run of routes[name] → the function's raw answer. */
export function executorHandler(executor: Executor, routes: Record<string, RunnableRoute>): Handler {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = (req.url ?? '').split('?')[0].slice(1);
      const route = routes[name];
      if (!route) return void res.writeHead(404).end();
      executor.run({
        id: randomUUID(), route, method: req.method ?? 'GET', url: `http://${req.headers.host}${req.url}`,
        requestPath: req.url ?? '/', headers: req.headers as Record<string, string | string[]>,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      }).then((r) => {
        res.writeHead(r.httpStatus ?? (r.status === 'success' ? 200 : 502));
        res.end(r.result);
      }, () => res.writeHead(503).end());
    });
  };
}

/** Listens on 127.0.0.1 with `handler`; resolves with its base URL and a closer. */
export function startTarget(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer({ keepAlive: true }, handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
