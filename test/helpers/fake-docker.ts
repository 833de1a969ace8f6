import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import path from 'node:path';

// A stand-in Docker engine (the few API calls Fresco's driver makes, on a loopback port) whose
// "containers" are hot http functions living in this process: on start they connect to the
// engine's socket in their /.fresco-io bind exactly as the launcher does and answer every request
// "200 ok". For tests about how many containers, pools and timers Fresco keeps over thousands of
// routes, where real containers would take minutes; the executor's own tests use the real Docker.

interface FakeContainer {
  id: string;
  ioDir?: string;
  sockets: net.Socket[];
  exited: Array<() => void>;
}

/** A running fake engine; `host` is the executor's dockerHost. */
export interface FakeDocker {
  host: string;
  /** Containers created and not yet removed. */
  readonly live: number;
  /** Containers created since start. */
  readonly created: number;
  stop(): Promise<void>;
}

/** Starts a fake Docker engine whose images all run a hot http function. */
export async function startFakeDocker(): Promise<FakeDocker> {
  const containers = new Map<string, FakeContainer>();
  let created = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => handle(req.method ?? 'GET', (req.url ?? '/').replace(/^\/v[\d.]+/, ''), body, res));
  });

  function reply(res: http.ServerResponse, status: number, json?: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(json === undefined ? '' : JSON.stringify(json));
  }

  function handle(method: string, url: string, body: string, res: http.ServerResponse): void {
    const p = url.split('?')[0];
    let m: RegExpMatchArray | null;
    if (p === '/_ping') return void res.end('OK');
    if ((m = p.match(/^\/images\/(.+)\/json$/))) return reply(res, 200, { Id: `sha256:${m[1]}`, Size: 1, Config: { Cmd: ['/hot'] } });
    if (p === '/containers/json') return reply(res, 200, [...containers.keys()].map((Id) => ({ Id })));
    if (method === 'POST' && p === '/containers/create') {
      const spec = JSON.parse(body) as { HostConfig?: { Binds?: string[] } };
      const bind = spec.HostConfig?.Binds?.find((b) => b.endsWith(':/.fresco-io'));
      const id = `fake${++created}`;
      containers.set(id, { id, ioDir: bind?.split(':')[0], sockets: [], exited: [] });
      return reply(res, 201, { Id: id, Warnings: [] });
    }
    if (!(m = p.match(/^\/containers\/([^/]+)(?:\/(\w+))?$/))) return reply(res, 404, { message: `fake docker: ${method} ${p}` });
    const c = containers.get(m[1]);
    if (!c) return reply(res, 404, { message: `No such container: ${m[1]}` });
    const action = m[2];
    if (action === 'wait') return void c.exited.push(() => reply(res, 200, { StatusCode: 137 }));
    if (action === 'start') return void run(c).then(() => reply(res, 204), (err) => reply(res, 500, { message: String(err) }));
    if (action === 'kill' || (method === 'DELETE' && !action)) {
      remove(c);
      return reply(res, 204);
    }
    return reply(res, 404, { message: `fake docker: ${method} ${p}` });
  }

  // The launcher's part: stdin/stdout connection first, then stderr; a response per request.
  async function run(c: FakeContainer): Promise<void> {
    if (!c.ioDir) return;
    const file = path.join(c.ioDir, 's');
    for (let i = 0; i < 2; i++) {
      const s = net.connect(file);
      await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
      s.on('error', () => undefined);
      c.sockets.push(s);
    }
    let pending = Buffer.alloc(0);
    c.sockets[0].on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(pending.toString('latin1', 0, end))?.[1] ?? 0);
      if (pending.length < end + 4 + length) return;
      pending = pending.subarray(end + 4 + length);
      c.sockets[0].write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  }

  function remove(c: FakeContainer): void {
    if (!containers.delete(c.id)) return;
    for (const s of c.sockets) s.destroy();
    for (const done of c.exited) done();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get live() { return containers.size; },
    get created() { return created; },
    stop: async () => {
      for (const c of [...containers.values()]) remove(c);
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  };
}
