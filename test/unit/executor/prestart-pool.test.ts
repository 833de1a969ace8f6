import assert from 'node:assert/strict';
import type { ExecutorCall, RunnableRoute } from '../../../src/domain/executor';
import { OneShot } from '../../../src/executor/one-shot';
import { PrestartPool } from '../../../src/executor/prestart-pool';
import type { RunDeps } from '../../../src/executor/run-deps';
import { swapDuring } from '../../helpers/swap';
import { waitFor } from '../../helpers/wait';

// The pre-start pool's bound on all routes, with containers that take as long to start as the
// test says (OneShot.prepare is swapped): the pool's bookkeeping is what is tested; Docker's side
// is in test/integration/executor/prestart.test.ts.

class FakeShot {
  dead = false;
  discarded = false;
  private release!: () => void;
  private readonly started = new Promise<void>((resolve) => { this.release = resolve; });
  constructor(readonly path: string) {}
  start(): Promise<void> {
    return this.started;
  }
  finishStart(): void {
    this.release();
  }
  discard(): void {
    this.discarded = true;
  }
}

const route = (path: string): RunnableRoute => ({
  projectId: 'p', appName: 'a', path, image: 'fresco-test/hello:1', format: 'default', memory: 64,
  timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: {},
});
const call = (r: RunnableRoute): ExecutorCall => ({
  id: 'c', route: r, method: 'POST', url: `http://127.0.0.1/r/a${r.path}`, requestPath: `/r/a${r.path}`, headers: {}, body: Buffer.alloc(0),
});

describe('PrestartPool total bound', () => {
  const shots: FakeShot[] = [];
  const pending: Promise<unknown>[] = [];
  let held = 0;
  const deps = {
    options: { engineId: 'e', launcherPath: '/l', prestart: { enabled: true, perRoute: 1, total: 2 } },
    reaper: { add: (p: Promise<unknown>) => { pending.push(p.catch(() => undefined)); } },
    images: {
      withImage: (_image: string, fn: (i: { argv: string[] }) => Promise<unknown>) => { held++; return fn({ argv: ['/hello'] }); },
      release: () => { held--; },
    },
  } as unknown as RunDeps;

  swapDuring(OneShot, 'prepare', async (_d: unknown, spec: { labels: Record<string, string> }) => {
    const shot = new FakeShot(spec.labels['io.fresco.route']);
    shots.push(shot);
    return shot;
  });
  beforeEach(() => {
    shots.length = 0;
    pending.length = 0;
    held = 0;
  });

  const kept = (pool: PrestartPool) => pool.size();

  it('gives a newly called route the place of the least recently called one that is still starting', async () => {
    const pool = new PrestartPool(deps);
    for (const path of ['/a', '/b', '/c']) assert.equal(pool.take(call(route(path))), undefined, `${path} runs cold first`);
    await waitFor('three starts', () => shots.length === 3);
    assert.deepEqual(shots.map((s) => s.path), ['/a', '/b', '/c']);
    for (const s of shots) s.finishStart();
    await waitFor('two ready', () => kept(pool) === 2);
    await Promise.all(pending);
    const [a, b, c] = shots;
    assert.equal(a.discarded, true, '/a, called first, gave way');
    assert.equal(b.discarded, false);
    assert.equal(c.discarded, false);
    assert.equal(held, 2, 'the image is held by the two kept containers only');
    assert.equal(pool.take(call(route('/a'))), undefined, '/a has none ready');
    assert.ok(pool.take(call(route('/c'))), '/c has its own');
    for (const s of shots) s.finishStart();
    pool.stop();
    await Promise.all(pending);
  });

  it('prefers a ready container of the least recently called route, and starts no more than the bound', async () => {
    const pool = new PrestartPool(deps);
    pool.take(call(route('/a')));
    pool.take(call(route('/b')));
    await waitFor('two starts', () => shots.length === 2);
    shots[0].finishStart();
    await waitFor('/a ready', () => kept(pool) === 1);
    pool.take(call(route('/c')));
    await waitFor('three starts', () => shots.length === 3);
    assert.equal(shots[0].discarded, true, 'the ready /a gave way');
    for (const s of shots) s.finishStart();
    await waitFor('two ready', () => kept(pool) === 2);
    await Promise.all(pending);
    assert.deepEqual(shots.filter((s) => !s.discarded).map((s) => s.path), ['/b', '/c']);
    // Every route is starting or ready: a fourth route takes /b's place, not a third container.
    pool.take(call(route('/d')));
    await waitFor('four starts', () => shots.length === 4);
    shots[3].finishStart();
    await waitFor('/d ready', () => shots[1].discarded && kept(pool) === 2);
    pool.stop();
    await Promise.all(pending);
    assert.ok(shots.every((s) => s.discarded), 'stop() discards every container');
    assert.equal(held, 0);
  });
});
