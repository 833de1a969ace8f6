import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { EngineDirectory } from '../../../src/cluster/engine-directory';
import { NONCE_HEADER, SIGNATURE_HEADER, signAnswer, STREAM_PROTOCOL, streamHello } from '../../../src/cluster/hop-codec';
import { HopServer } from '../../../src/cluster/hop-server';
import { members, rank, routeKey } from '../../../src/cluster/placement';
import { RemoteExecutor } from '../../../src/cluster/remote-executor';
import type { EngineRecord, EngineStore } from '../../../src/cluster/types';
import type { CallOutcome, Executor, ExecutorCall } from '../../../src/domain/executor';

// Liveness of the hop's streams, on loopback with in-memory engines: an engine that answers its
// stream's opening and then nothing (what a SIGSTOPped process or a cut link looks like: the TCP
// connection stays open) ends the calls in flight there with FRESCO_ENGINE_LOST after
// ping_timeout and leaves placement, so the next call goes to the other engine; an engine that
// accepts connections but never completes the opening is skipped after connect_timeout; a healthy
// engine answering pings keeps a call running longer than ping_timeout.

const SECRET = 'liveness-secret-0123456789';
const LIVE = { pingIntervalMs: 100, pingTimeoutMs: 400, connectTimeoutMs: 400 };
const route = {
  projectId: 'p', appName: 'a', path: '/live', image: 'img', format: 'http' as const, memory: 64, timeout: 30,
  idleTimeout: 30, maxConcurrency: 1, config: {}, version: '1',
};
let n = 0;
const request = (body: string): ExecutorCall => ({
  id: `00000000-0000-4000-9000-${String(++n).padStart(12, '0')}`, route, method: 'POST', url: 'http://x/r/a/live',
  requestPath: '/r/a/live', headers: {}, body: Buffer.from(body),
});

/** Answers `echo:<body>` after `delayMs`. */
function slowEcho(delayMs: number): Executor {
  return {
    start: async () => undefined, stop: async () => undefined, retireRoutes: () => undefined,
    run: async (req): Promise<CallOutcome> => {
      await new Promise((r) => setTimeout(r, delayMs));
      return {
        status: 'success', kind: 'hot', exitCode: 0, result: Buffer.from(`echo:${req.body}`), resultTruncated: false,
        log: Buffer.alloc(0), logTruncated: false, startedAt: new Date(), completedAt: new Date(),
      };
    },
  };
}

/** A peer that signs the stream's opening (when `handshake`) and then never sends another byte. */
async function frozenPeer(handshake: boolean): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    let head = '';
    s.on('data', (c) => {
      if (!handshake || head.includes('\r\n\r\n')) return;
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1].trim() ?? '';
      const sig = header(SIGNATURE_HEADER);
      s.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${STREAM_PROTOCOL}\r\nconnection: Upgrade\r\n`
        + `${SIGNATURE_HEADER}: ${signAnswer(SECRET, sig, streamHello(header(NONCE_HEADER)))}\r\n\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

class FixedStore implements EngineStore {
  constructor(public rows: Array<Pick<EngineRecord, 'id' | 'url'>>) {}
  async renew(): Promise<void> {}
  async live(): Promise<EngineRecord[]> { return this.rows.map((r) => ({ state: 'up', ...r }) as EngineRecord); }
  async list(): Promise<EngineRecord[]> { return this.live(); }
  async remove(): Promise<void> {}
  async prune(): Promise<string[]> { return []; }
}

describe('cluster hop liveness (pings, opening timeout)', () => {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function healthy(delayMs: number): Promise<string> {
    const server = new HopServer(slowEcho(delayMs), { secret: SECRET, host: '127.0.0.1', port: 0, callSlots: 16, maxFrameBytes: 1 << 20 });
    closers.push(() => server.drain());
    return `http://127.0.0.1:${(await server.listen()).port}`;
  }

  /** A remote executor over engines `bad` (the route's home) and `good` (next in its order). */
  async function cluster(bad: string, good: string, placementWaitMs = 2000): Promise<{ r: RemoteExecutor; dir: EngineDirectory; badId: string }> {
    const order = rank(routeKey(route), members(['e0', 'e1'])).map((m) => m.id);
    const dir = new EngineDirectory(new FixedStore([{ id: order[0], url: bad }, { id: order[1], url: good }]),
      { timeoutMs: 10_000, refreshMs: 60_000 });
    const r = new RemoteExecutor(dir, { secret: SECRET, placementWaitMs, liveness: LIVE });
    await r.start();
    closers.push(() => r.stop());
    return { r, dir, badId: order[0] };
  }

  it('a frozen engine: its call in flight ends with FRESCO_ENGINE_LOST after ping_timeout, it leaves placement, the next call runs elsewhere', async () => {
    const frozen = await frozenPeer(true);
    closers.push(frozen.close);
    const { r, dir, badId } = await cluster(`http://127.0.0.1:${frozen.port}`, await healthy(0));
    const t0 = Date.now();
    await assert.rejects(r.run(request('to the frozen one')), (err: { code: string; status: number; message: string }) => {
      assert.equal(err.code, 'FRESCO_ENGINE_LOST');
      assert.equal(err.status, 502);
      assert.match(err.message, /liveness pings/);
      return true;
    });
    const ms = Date.now() - t0;
    assert.ok(ms >= LIVE.pingTimeoutMs && ms < LIVE.pingTimeoutMs + 3 * LIVE.pingIntervalMs + 500, `lost after ${ms} ms`);
    assert.ok(!dir.engines().some((e) => e.id === badId), 'the frozen engine left placement');
    const next = await r.run(request('next'));
    assert.equal(next.result.toString(), 'echo:next');
  });

  it('an engine that never completes the stream opening is skipped after connect_timeout: the call runs on the next engine', async () => {
    const mute = await frozenPeer(false);
    closers.push(mute.close);
    const { r, dir, badId } = await cluster(`http://127.0.0.1:${mute.port}`, await healthy(0));
    const t0 = Date.now();
    const out = await r.run(request('moved on'));
    assert.equal(out.result.toString(), 'echo:moved on');
    assert.ok(Date.now() - t0 < LIVE.connectTimeoutMs + 1000, `answered after ${Date.now() - t0} ms`);
    assert.ok(!dir.engines().some((e) => e.id === badId));
  });

  it('every engine unreachable: 503 FRESCO_CLUSTER_NO_ENGINE after placement_wait, not "full"', async () => {
    const mute = await frozenPeer(false);
    closers.push(mute.close);
    const url = `http://127.0.0.1:${mute.port}`;
    const { r, dir } = await cluster(url, url, 500);
    const t0 = Date.now();
    await assert.rejects(r.run(request('nowhere')), { code: 'FRESCO_CLUSTER_NO_ENGINE', status: 503 });
    assert.ok(Date.now() - t0 < 2 * LIVE.connectTimeoutMs + 500 + 1000, `answered after ${Date.now() - t0} ms`);
    assert.deepEqual(dir.engines(), []);
  });

  it('a healthy engine answers pings: a call longer than ping_timeout succeeds', async () => {
    const url = await healthy(3 * LIVE.pingTimeoutMs);
    const { r } = await cluster(url, url);
    const out = await r.run(request('slow'));
    assert.equal(out.status, 'success');
    assert.equal(out.result.toString(), 'echo:slow');
  });
});
