import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EngineDirectory } from '../../../src/cluster/engine-directory';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  encodeCall, encodeRetire, FRAME_ANSWER, FRAME_CALL, HOP_PATH, NONCE_HEADER, RETIRE_PATH, SIGNATURE_HEADER, signAnswer, signRequest,
  STREAM_PATH, STREAM_PROTOCOL, streamFrame, StreamReader, streamHello,
} from '../../../src/cluster/hop-codec';
import { HopServer } from '../../../src/cluster/hop-server';
import { RemoteExecutor } from '../../../src/cluster/remote-executor';
import type { EngineRecord, EngineStore } from '../../../src/cluster/types';
import type { ExecutorCall, CallOutcome, Executor, RouteScope } from '../../../src/domain/executor';
import { engineBusy } from '../../../src/errors';
import { ScriptedExecutor } from '../../helpers/scripted-executor';
import { waitFor } from '../../helpers/wait';

// The call hop between an API process and engines, on loopback with in-memory executors: only
// requests signed with the cluster secret run; the answer keeps what the function contract needs;
// a full engine refuses and the next one runs the call; a forged, unreadable or unwanted answer
// is dropped with a clear error, never a crash.

const SECRET = 'test-secret-0123456789';
const route = {
  projectId: 'p', appName: 'a', path: '/hello', image: 'img', format: 'http' as const, memory: 64, timeout: 30,
  idleTimeout: 30, maxConcurrency: 1, config: { K: 'v' }, version: '3',
};
let n = 0;
const request = (body: string, over: Partial<ExecutorCall> = {}): ExecutorCall => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, route, method: 'PUT', url: 'http://x/r/a/hello?q=1',
  requestPath: '/r/a/hello?q=1', headers: { 'content-type': 'text/plain', 'x-multi': ['1', '2'] }, body: Buffer.from(body), ...over,
});

/** A store with a fixed member list. */
class FixedStore implements EngineStore {
  constructor(public rows: Array<Pick<EngineRecord, 'id' | 'url'> & Partial<EngineRecord>>) {}
  async renew(): Promise<void> {}
  async live(): Promise<EngineRecord[]> { return this.rows.map((r) => ({ state: 'up', ...r }) as EngineRecord); }
  async list(): Promise<EngineRecord[]> { return this.live(); }
  async remove(): Promise<void> {}
  async prune(): Promise<string[]> { return []; }
}

function post(port: number, body: Buffer, headers: Record<string, string> = {}, path = HOP_PATH): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('cluster call hop', () => {
  const servers: HopServer[] = [];
  const directories: EngineDirectory[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.drain();
    for (const d of directories.splice(0)) d.stop();
  });

  async function engine(executor: Executor, slots = 16): Promise<{ server: HopServer; url: string; port: number }> {
    const server = new HopServer(executor, { secret: SECRET, host: '127.0.0.1', port: 0, callSlots: slots, maxFrameBytes: 1 << 20 });
    servers.push(server);
    const { port } = await server.listen();
    return { server, url: `http://127.0.0.1:${port}`, port };
  }

  async function remote(urls: string[], placementWaitMs = 200, secret = SECRET): Promise<RemoteExecutor> {
    const dir = new EngineDirectory(new FixedStore(urls.map((url, i) => ({ id: `e${i}`, url }))), { timeoutMs: 10_000, refreshMs: 60_000 });
    directories.push(dir);
    const r = new RemoteExecutor(dir, { secret, placementWaitMs });
    await r.start();
    return r;
  }

  describe('authentication', () => {
    it('refuses a request without a signature with 401 and runs nothing', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      const res = await post(port, encodeCall(request('hi')));
      assert.equal(res.status, 401);
      assert.match(res.body, /FRESCO_HOP_UNAUTHORIZED.*no signature header/);
      assert.equal(ex.seen.length, 0);
    });

    it('refuses a bad signature, another secret, a tampered body and an old signature; runs nothing', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      const frame = encodeCall(request('hi'));
      const cases: Array<[Buffer, string]> = [
        [frame, `t=${Date.now()},s=${'0'.repeat(64)}`],
        [frame, signRequest('another-secret', frame)],
        [Buffer.concat([frame, Buffer.from('!')]), signRequest(SECRET, frame)],
        [frame, signRequest(SECRET, frame, Date.now() - 10 * 60_000)],
        [frame, 'garbage'],
      ];
      for (const [body, sig] of cases) {
        const res = await post(port, body, { [SIGNATURE_HEADER]: sig });
        assert.equal(res.status, 401, `${sig}: ${res.body}`);
      }
      assert.equal(ex.seen.length, 0);
    });

    it('refuses a replayed request: the call runs once', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      const frame = encodeCall(request('once'));
      const sig = signRequest(SECRET, frame);
      assert.equal((await post(port, frame, { [SIGNATURE_HEADER]: sig })).status, 200);
      assert.equal((await post(port, frame, { [SIGNATURE_HEADER]: sig })).status, 401);
      assert.equal(ex.seen.length, 1);
    });

    it('answers 400 to a signed frame that is not a call, and keeps serving', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      for (const body of [Buffer.from('xx'), Buffer.from([0, 0, 0, 9, 1, 2]), Buffer.from('\0\0\0\x02{}'), Buffer.from('\0\0\0\x0a{"id": 1} ')]) {
        const res = await post(port, body, { [SIGNATURE_HEADER]: signRequest(SECRET, body) });
        assert.equal(res.status, 400, res.body);
        assert.match(res.body, /FRESCO_HOP_MALFORMED/);
      }
      assert.equal(ex.seen.length, 0);
      const r = await remote([`http://127.0.0.1:${port}`]);
      assert.equal((await r.run(request('still'))).result.toString(), 'echo:still');
    });
  });

  describe('RemoteExecutor', () => {
    it('carries method, path, query, headers, body and the route there, and the result back', async () => {
      const ex = new ScriptedExecutor();
      const { url } = await engine(ex);
      const r = await remote([url]);
      const req = request('payload');
      const res = await r.run(req);
      assert.equal(res.status, 'success');
      assert.equal(res.result.toString(), 'echo:payload');
      assert.equal(res.log.toString(), `log of ${req.id}\n`);
      assert.ok(res.completedAt instanceof Date && res.startedAt instanceof Date);
      const seen = ex.seen[0];
      assert.deepEqual({ ...seen, signal: undefined, body: seen.body.toString() },
        { ...req, signal: undefined, body: 'payload', refuseWhenFull: true });
    });

    it('a full engine refuses and the next one in the route\'s order runs the call', async () => {
      const busy = new ScriptedExecutor();
      busy.run = async (req) => { busy.seen.push(req); throw engineBusy(req.route.path); };
      const free = new ScriptedExecutor();
      const a = await engine(busy);
      const b = await engine(free);
      const r = await remote([a.url, b.url]);
      for (let i = 0; i < 6; i++) assert.equal((await r.run(request(`c${i}`))).result.toString(), `echo:c${i}`);
      assert.equal(free.seen.length, 6);
      assert.ok(busy.seen.length > 0, 'the busy engine was asked first for some routes');
    });

    it('every engine full: 503 FRESCO_CLUSTER_FULL with Retry-After after placement_wait', async () => {
      const busy = new ScriptedExecutor();
      busy.run = async (req) => { throw engineBusy(req.route.path); };
      const r = await remote([(await engine(busy)).url], 150);
      await assert.rejects(r.run(request('x')), (err: { code: string; status: number; headers: Record<string, string> }) =>
        err.code === 'FRESCO_CLUSTER_FULL' && err.status === 503 && err.headers['Retry-After'] === '1');
    });

    it('leaves an engine that announced an unusable URL out of placement', async () => {
      const ex = new ScriptedExecutor();
      const r = await remote(['not a url', (await engine(ex)).url, 'http://[broken']);
      for (let i = 0; i < 4; i++) assert.equal((await r.run(request(`u${i}`))).status, 'success');
      assert.equal(ex.seen.length, 4);
    });

    it('no engine at all: 503 FRESCO_CLUSTER_NO_ENGINE', async () => {
      const r = await remote([], 50);
      await assert.rejects(r.run(request('x')), { code: 'FRESCO_CLUSTER_NO_ENGINE' });
    });

    it('skips an engine that refuses connections, and runs the call on the next', async () => {
      const gone = http.createServer();
      await new Promise<void>((res) => gone.listen(0, '127.0.0.1', res));
      const deadUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
      await new Promise((res) => gone.close(res));
      const ex = new ScriptedExecutor();
      const r = await remote([deadUrl, (await engine(ex)).url]);
      for (let i = 0; i < 4; i++) assert.equal((await r.run(request(`k${i}`))).status, 'success');
      assert.equal(ex.seen.length, 4);
    });

    it('the engine\'s own failure comes back as that error', async () => {
      const ex = new ScriptedExecutor();
      const r = await remote([(await engine(ex)).url]);
      await assert.rejects(r.run(request('unavailable-once')), { code: 'FRESCO_ENGINE_UNAVAILABLE', status: 503 });
    });

    it('the caller going away aborts the call on the engine', async () => {
      const ex = new ScriptedExecutor();
      const r = await remote([(await engine(ex)).url]);
      const ac = new AbortController();
      const running = r.run(request('hang', { signal: ac.signal }));
      await waitFor('the call to run on the engine', () => ex.seen.length === 1);
      ac.abort();
      assert.equal((await running).status, 'cancelled');
      await waitFor('the engine-side call to be aborted', () => ex.seen[0].signal?.aborted);
    });

    it('drops a forged, an unreadable and a hung-up answer with FRESCO_ENGINE_LOST, never a crash', async () => {
      let mode = 'forged';
      const fake = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const sig = req.headers[SIGNATURE_HEADER] as string;
          if (mode === 'forged') res.writeHead(200, { [SIGNATURE_HEADER]: `s=${'a'.repeat(64)}` }).end('\0\0\0\x02{}');
          else if (mode === 'unreadable') {
            const body = Buffer.from('not a frame');
            res.writeHead(200, { [SIGNATURE_HEADER]: signAnswer(SECRET, sig, body) }).end(body);
          } else req.socket.destroy();
        });
      });
      await new Promise<void>((res) => fake.listen(0, '127.0.0.1', res));
      try {
        const r = await remote([`http://127.0.0.1:${(fake.address() as AddressInfo).port}`]);
        for (const m of ['forged', 'unreadable', 'hangup']) {
          mode = m;
          await assert.rejects(r.run(request(m)), (err: { code: string; message: string }) => {
            assert.equal(err.code, 'FRESCO_ENGINE_LOST', m);
            return true;
          });
        }
      } finally {
        fake.closeAllConnections();
        await new Promise((res) => fake.close(res));
      }
    });
  });

  describe('streams (persistent connections, several calls in flight)', () => {
    /** The raw answer to a stream handshake with these headers (the first bytes the engine sends). */
    function handshake(port: number, headers: Record<string, string>): Promise<string> {
      return new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write(`GET ${STREAM_PATH} HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: ${STREAM_PROTOCOL}\r\n`
            + `${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
        });
        let got = '';
        s.on('data', (c) => { got += c.toString('latin1'); if (got.includes('\r\n\r\n')) { s.destroy(); resolve(got); } });
        s.on('error', reject);
        s.on('close', () => resolve(got));
      });
    }

    it('refuses a stream without a valid signature or with a replayed nonce (401); accepts a signed one (101)', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      const nonce = 'ab'.repeat(16);
      assert.match(await handshake(port, { [NONCE_HEADER]: nonce }), /^HTTP\/1.1 401[\s\S]*no signature header/);
      assert.match(await handshake(port, { [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: signRequest('another-secret', streamHello(nonce)) }),
        /^HTTP\/1.1 401[\s\S]*bad signature/);
      const good = { [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: signRequest(SECRET, streamHello(nonce)) };
      assert.match(await handshake(port, good), /^HTTP\/1.1 101 /);
      assert.match(await handshake(port, good), /^HTTP\/1.1 401[\s\S]*replayed request/);
      assert.equal(ex.seen.length, 0);
    });

    it('an unsigned call frame on an accepted stream is answered 401 and runs nothing; a malformed stream is closed', async () => {
      const ex = new ScriptedExecutor();
      const { port } = await engine(ex);
      const nonce = 'cd'.repeat(16);
      const answers: Array<{ status: number; body: string }> = [];
      const s = net.connect(port, '127.0.0.1');
      const reader = new StreamReader(1 << 20, (f) => answers.push({ status: f.status, body: f.payload.toString() }));
      let head = '';
      s.on('data', (c: Buffer) => {
        if (!head.includes('\r\n\r\n')) { head += c.toString('latin1'); const i = head.indexOf('\r\n\r\n'); if (i >= 0) reader.push(Buffer.from(head.slice(i + 4), 'latin1')); return; }
        reader.push(c);
      });
      const closed = new Promise((r) => s.on('close', r));
      s.write(`GET ${STREAM_PATH} HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: ${STREAM_PROTOCOL}\r\n`
        + `${NONCE_HEADER}: ${nonce}\r\n${SIGNATURE_HEADER}: ${signRequest(SECRET, streamHello(nonce))}\r\n\r\n`);
      s.write(streamFrame(FRAME_CALL, 1, '', encodeCall(request('unsigned'))));
      await waitFor('the refusal', () => answers.length === 1);
      assert.equal(answers[0].status, 401);
      assert.match(answers[0].body, /FRESCO_HOP_UNAUTHORIZED/);
      s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await closed;
      assert.equal(ex.seen.length, 0);
      const r = await remote([`http://127.0.0.1:${port}`]);
      assert.equal((await r.run(request('still'))).result.toString(), 'echo:still');
    });

    it('carries several calls at once over a few connections', async () => {
      const ex = new ScriptedExecutor();
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const run = ex.run.bind(ex);
      let started = 0;
      ex.run = async (req: ExecutorCall): Promise<CallOutcome> => { started++; await gate; return run(req); };
      const { url } = await engine(ex);
      const r = await remote([url]);
      const calls = Array.from({ length: 12 }, (_, i) => r.run(request(`m${i}`)));
      await waitFor('all twelve running on the engine at once', () => started === 12);
      release();
      const done = await Promise.all(calls);
      assert.deepEqual(done.map((d) => d.result.toString()), calls.map((_, i) => `echo:m${i}`));
    });

    it('an engine whose connections close ends every call in flight there with FRESCO_ENGINE_LOST at once', async () => {
      const ex = new ScriptedExecutor();
      const { server, url } = await engine(ex);
      const r = await remote([url]);
      const calls = Array.from({ length: 6 }, () => r.run(request('hang')).then(() => 'answered', (err: { code: string }) => err.code));
      await waitFor('all six running on the engine', () => ex.seen.length === 6);
      for (const s of (server as unknown as { streams: Set<Duplex> }).streams) s.destroy();
      assert.deepEqual(await Promise.all(calls), calls.map(() => 'FRESCO_ENGINE_LOST'));
      await waitFor('the engine-side calls to be aborted', () => ex.seen.every((c) => c.signal?.aborted));
    });

    it('drops a forged stream handshake, a forged, an unreadable and a hung-up answer frame with FRESCO_ENGINE_LOST', async () => {
      let mode = 'handshake';
      const fake = http.createServer();
      const sockets = new Set<Duplex>();
      fake.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
        sockets.add(socket);
        const sig = req.headers[SIGNATURE_HEADER] as string;
        const hello = streamHello(String(req.headers[NONCE_HEADER]));
        const proof = mode === 'handshake' ? `s=${'b'.repeat(64)}` : signAnswer(SECRET, sig, hello);
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${STREAM_PROTOCOL}\r\nconnection: Upgrade\r\n${SIGNATURE_HEADER}: ${proof}\r\n\r\n`);
        socket.on('error', () => undefined);
        socket.on('data', (c: Buffer) => new StreamReader(1 << 20, (f) => {
          if (mode === 'forged') socket.write(streamFrame(FRAME_ANSWER, f.seq, `s=${'a'.repeat(64)}`, Buffer.from('\0\0\0\x02{}'), 200));
          else if (mode === 'unreadable') socket.write(streamFrame(FRAME_ANSWER, f.seq, signAnswer(SECRET, f.signature, Buffer.from('junk')), Buffer.from('junk'), 200));
          else socket.destroy();
        }).push(c));
      });
      await new Promise<void>((res) => fake.listen(0, '127.0.0.1', res));
      try {
        const r = await remote([`http://127.0.0.1:${(fake.address() as AddressInfo).port}`]);
        for (const m of ['handshake', 'forged', 'unreadable', 'hangup']) {
          mode = m;
          await assert.rejects(r.run(request(m)), (err: { code: string }) => {
            assert.equal(err.code, 'FRESCO_ENGINE_LOST', m);
            return true;
          });
          await r.stop();
        }
      } finally {
        for (const s of sockets) s.destroy();
        fake.closeAllConnections();
        await new Promise((res) => fake.close(res));
      }
    });
  });

  describe('retire', () => {
    /** An executor that records the scopes it was told to retire. */
    const retiring = () => {
      const ex = new ScriptedExecutor();
      const scopes: RouteScope[] = [];
      ex.retireRoutes = (scope: RouteScope) => { scopes.push(scope); };
      return { ex, scopes };
    };

    it('a route changed or deleted through the API reaches every live engine\'s executor', async () => {
      const a = retiring();
      const b = retiring();
      const r = await remote([(await engine(a.ex)).url, (await engine(b.ex)).url]);
      r.retireRoutes({ projectId: 'p', appName: 'a', path: '/hello' });
      r.retireRoutes({ projectId: 'p', appName: 'gone' });
      r.retireRoutes({ projectId: 'p', appName: 'a', path: '/hello', version: 2 });
      await waitFor('both engines told', async () => a.scopes.length === 3 && b.scopes.length === 3);
      for (const s of [a.scopes, b.scopes]) {
        assert.deepEqual(s, [{ projectId: 'p', appName: 'a', path: '/hello' }, { projectId: 'p', appName: 'gone' },
          { projectId: 'p', appName: 'a', path: '/hello', version: 2 }], 'a deleted version is retired alone');
      }
    });

    it('refuses an unsigned, a forged, a replayed and an unreadable retire request; retires nothing', async () => {
      const a = retiring();
      const { port } = await engine(a.ex);
      const body = encodeRetire({ id: 'r-1', scope: { projectId: 'p', appName: 'a' } });
      assert.equal((await post(port, body, {}, RETIRE_PATH)).status, 401);
      assert.equal((await post(port, body, { [SIGNATURE_HEADER]: signRequest('another-secret', body) }, RETIRE_PATH)).status, 401);
      const junk = Buffer.from('{"id":"r-2","scope":{"projectId":1}}');
      const bad = await post(port, junk, { [SIGNATURE_HEADER]: signRequest(SECRET, junk) }, RETIRE_PATH);
      assert.equal(bad.status, 400);
      assert.match(bad.body, /FRESCO_HOP_MALFORMED.*scope/);
      assert.deepEqual(a.scopes, []);
      const sig = signRequest(SECRET, body);
      assert.equal((await post(port, body, { [SIGNATURE_HEADER]: sig }, RETIRE_PATH)).status, 204);
      assert.equal((await post(port, body, { [SIGNATURE_HEADER]: sig }, RETIRE_PATH)).status, 401);
      assert.deepEqual(a.scopes, [{ projectId: 'p', appName: 'a' }]);
    });
  });

  describe('drain', () => {
    it('refuses new calls while the running ones finish', async () => {
      const ex = new ScriptedExecutor();
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const run = ex.run.bind(ex);
      ex.run = async (req: ExecutorCall): Promise<CallOutcome> => { if (req.body.toString() === 'slow') await gate; return run(req); };
      const { server, url, port } = await engine(ex);
      const r = await remote([url]);
      const slow = r.run(request('slow'));
      await waitFor('the slow call to be running', () => server.runningCalls() === 1);
      const draining = server.drain();
      const frame = encodeCall(request('new'));
      const refused = await post(port, frame, { [SIGNATURE_HEADER]: signRequest(SECRET, frame) }).catch(() => ({ status: 0, body: '' }));
      assert.ok(refused.status === 503 || refused.status === 0, `a new call during the drain: ${refused.status}`);
      release();
      assert.equal((await slow).status, 'success');
      await draining;
      servers.splice(servers.indexOf(server), 1);
    });
  });
});
