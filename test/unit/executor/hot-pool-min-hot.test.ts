import assert from 'node:assert/strict';
import type { CallOutcome, ExecutorCall, RunnableRoute } from '../../../src/domain/executor';
import { HotContainer } from '../../../src/executor/hot-container';
import { HotPool } from '../../../src/executor/hot-pool';
import type { RunDeps } from '../../../src/executor/run-deps';
import { swapDuring } from '../../helpers/swap';
import { waitFor } from '../../helpers/wait';

// A route's min_hot (Qinling's scale up) is a floor of hot containers: started ahead of any call,
// replaced when one dies, never swept below. Containers here are fakes (HotContainer.launch is
// swapped), so the pool's own bookkeeping is what is tested; the Docker side is in
// test/integration/qinling/openstack-function.test.ts (function worker list).

class FakeContainer {
  static made = 0;
  name = `fresco-hot-${++FakeContainer.made}`;
  dead = false;
  busy = false;
  lastUsed = Date.now();
  constructor(private readonly onDeath: (c: FakeContainer) => void) {}
  async call(): Promise<CallOutcome> {
    this.lastUsed = Date.now();
    return { status: 'success' } as CallOutcome;
  }
  whenFree(fn: () => void): void {
    fn();
  }
  abort(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this);
  }
}

const route = (minHot: number, maxConcurrency = 1): RunnableRoute => ({
  projectId: 'p', appName: 'qinling', path: '/f', image: 'fresco/runtime-python3:1', format: 'json', memory: 64,
  timeout: 30, idleTimeout: 1, maxConcurrency, minHot, config: {}, version: 'v1',
});

describe('HotPool min_hot', () => {
  const made: FakeContainer[] = [];
  const pending: Promise<unknown>[] = [];
  const deps = {
    options: { maxQueue: 10, maxTimeout: 300 },
    reaper: { add: (p: Promise<unknown>) => { pending.push(p.catch(() => undefined)); } },
    images: { withImage: (_image: string, fn: (i: { argv: string[] }) => unknown) => fn({ argv: [] }), release: () => undefined },
  } as unknown as RunDeps;

  swapDuring(HotContainer, 'launch', async (_d: unknown, _r: unknown, _a: unknown, _p: unknown, onDeath: (c: FakeContainer) => void) => {
    const c = new FakeContainer(onDeath);
    made.push(c);
    return c;
  });
  beforeEach(() => {
    made.length = 0;
  });

  const live = (pool: HotPool) => pool.workers().length;

  it('starts min_hot containers ahead of any call, above max_concurrency, and lists them as workers', async () => {
    const pool = new HotPool(deps, route(3, 1), () => undefined);
    pool.keep();
    await waitFor('three workers', () => live(pool) === 3);
    assert.deepEqual(pool.workers().map((w) => w.name).sort(), made.map((c) => c.name).sort());
    assert.deepEqual(pool.capacity(), { total: 3, available: 3 });
    pool.retire();
  });

  it('replaces a container that dies, keeping min_hot', async () => {
    const pool = new HotPool(deps, route(2), () => undefined);
    pool.keep();
    await waitFor('two workers', () => live(pool) === 2);
    made[0].destroy();
    await waitFor('a replacement', () => made.length === 3 && live(pool) === 2);
    assert.ok(!pool.workers().some((w) => w.name === made[0].name), 'the dead one is no worker');
    pool.retire();
  });

  it('never sweeps idle containers below min_hot, but sweeps those above it', async () => {
    const pool = new HotPool(deps, route(1, 3), () => undefined);
    pool.keep();
    await waitFor('one worker', () => live(pool) === 1);
    // Three calls at once grow the pool to max_concurrency.
    const call = { id: 'c', route: route(1, 3), method: 'POST', url: '/', requestPath: '/f', headers: {}, body: Buffer.alloc(0) } as ExecutorCall;
    await Promise.all([pool.run(call), pool.run(call), pool.run(call)]);
    await waitFor('three workers', () => live(pool) >= 2);
    for (const c of made) c.lastUsed = 0;
    (pool as unknown as { sweep(): void }).sweep();
    assert.equal(live(pool), 1, 'swept down to min_hot');
    (pool as unknown as { sweep(): void }).sweep();
    assert.equal(live(pool), 1, 'and never below');
    pool.retire();
    assert.equal(live(pool), 0, 'a retired pool lets its idle containers go');
  });

  it('without min_hot, prewarm starts one container and the sweeper takes it when idle', async () => {
    let empty = false;
    const pool = new HotPool(deps, route(0), () => { empty = true; });
    pool.prewarm();
    await waitFor('one worker', () => live(pool) === 1);
    made[0].lastUsed = 0;
    (pool as unknown as { sweep(): void }).sweep();
    assert.equal(live(pool), 0);
    assert.ok(empty, 'the owner hears the pool is empty');
  });
});
