import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunnableRoute } from '../../../src/domain/executor';
import { HotContainer, LaunchOptions } from '../../../src/executor/hot-container';
import type { RunDeps } from '../../../src/executor/run-deps';
import { RuntimePool } from '../../../src/executor/runtime-pool';
import { swapDuring } from '../../helpers/swap';
import { waitFor } from '../../helpers/wait';

// Waiting runtime containers (docs/runtimes.md): which images and routes get them, what a route's
// container is told (fresco_init) and given (its code in the container's own /code directory).
// Containers are fakes (HotContainer.launch is swapped); Docker's side is in
// test/integration/runtimes/code-routes.test.ts.

class FakeContainer {
  dead = false;
  init?: Record<string, string>;
  constructor(public onDeath: (c: FakeContainer) => void, readonly opts: LaunchOptions) {}
  firstCall?: () => void;
  probes = 0;
  // A runtime with no code yet answers a call with a fresco_error (the pool's readiness probe).
  async call(): Promise<unknown> {
    this.probes++;
    return { status: 'error', httpStatus: 500, error: 'the runtime container has no code yet' };
  }
  whenFree(fn: () => void): void {
    fn();
  }
  specialise(onDeath: (c: FakeContainer) => void, init: Buffer, afterFirstCall: () => void): void {
    this.onDeath = onDeath;
    this.init = JSON.parse(init.toString()).fresco_init.env;
    this.firstCall = afterFirstCall;
  }
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this);
  }
}

describe('RuntimePool (waiting runtime containers)', () => {
  let made: FakeContainer[] = [];
  let released: string[] = [];
  let room = true;
  let tmp: string;
  let pool: RuntimePool;
  const labels: Record<string, Record<string, string>> = {
    'fresco/runtime-python3:1': { 'io.fresco.runtime.init': '1' },
    'someone/runtime-ruby:1': {},
  };

  const route = (over: Partial<RunnableRoute> = {}): RunnableRoute => ({
    projectId: 'p', appName: 'a', path: '/f', image: 'fresco/runtime-python3:1', format: 'json', memory: 128,
    timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: { greeting: 'hi' }, version: 'v1',
    code: { digest: 'd', entry: 'hello.main', calling: 'lambda', hostDir: path.join(tmp, 'pkg') }, ...over,
  });

  swapDuring(HotContainer, 'launch', async (_d: unknown, _r: unknown, _a: unknown, _p: unknown,
    onDeath: (c: FakeContainer) => void, opts: LaunchOptions) => {
    const c = new FakeContainer(onDeath, opts);
    made.push(c);
    return c;
  });
  beforeEach(() => {
    made = [];
    released = [];
    room = true;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-rtpool-'));
    fs.mkdirSync(path.join(tmp, 'pkg', 'lib'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'pkg', 'hello.py'), 'def main(e, c): return 1\n');
    fs.writeFileSync(path.join(tmp, 'pkg', 'lib', 'util.py'), 'X = 1\n');
    const deps = {
      options: {
        runDir: tmp, defaultNetwork: 'none', hotStartTimeout: 10, runtimePrestart: { perRuntime: 2, memoryMb: 128 },
      },
      reaper: { add: (p: Promise<unknown>) => void p.catch(() => undefined) },
      images: {
        withImage: (image: string, fn: (i: { argv: string[]; labels: Record<string, string> }) => unknown) => fn({ argv: [], labels: labels[image] }),
        release: (image: string) => released.push(image),
      },
    } as unknown as RunDeps;
    pool = new RuntimePool(deps, () => room);
  });
  afterEach(() => {
    pool.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps prestart_per_runtime containers waiting for runtimes that take their code after start, none for others', async () => {
    pool.setImages(['fresco/runtime-python3:1', 'someone/runtime-ruby:1']);
    await waitFor('two waiting containers', () => pool.ready()['fresco/runtime-python3:1'] === 2);
    assert.equal(pool.ready()['someone/runtime-ruby:1'], 0);
    assert.equal(made.length, 2);
    for (const c of made) {
      assert.deepEqual(c.opts.env, [], 'no entry, no route environment');
      assert.ok(c.opts.codeDir?.startsWith(tmp), 'its own /code directory');
      assert.deepEqual(fs.readdirSync(c.opts.codeDir!), [], 'empty until specialised');
    }
    assert.notEqual(made[0].opts.codeDir, made[1].opts.codeDir);
    assert.ok(made.every((c) => c.probes === 1), 'each waits only once its runtime answered');
  });

  it('specialises a waiting container with the route\'s code and environment, and starts another to wait', async () => {
    pool.setImages(['fresco/runtime-python3:1']);
    await waitFor('two waiting containers', () => pool.ready()['fresco/runtime-python3:1'] === 2);
    const deaths: unknown[] = [];
    const c = (await pool.specialise(route(), (x) => deaths.push(x))) as unknown as FakeContainer;
    assert.ok(c);
    assert.deepEqual(c.init, {
      APP_NAME: 'a', ROUTE: '/f', FORMAT: 'json', MEMORY_MB: '128', FRESCO_ENTRY: 'hello.main', FRESCO_CALLING: 'lambda', GREETING: 'hi',
    });
    const dir = c.opts.codeDir!;
    assert.equal(fs.readFileSync(path.join(dir, 'lib', 'util.py'), 'utf8'), 'X = 1\n');
    assert.equal(fs.statSync(path.join(dir, 'hello.py')).ino, fs.statSync(path.join(tmp, 'pkg', 'hello.py')).ino, 'hard-linked');
    await new Promise((r) => setImmediate(r));
    assert.equal(made.length, 2, 'no start beside the function\'s first call');
    c.firstCall!();
    await waitFor('the waiting set refilled', () => pool.ready()['fresco/runtime-python3:1'] === 2 && made.length === 3);
    c.destroy();
    assert.deepEqual(deaths, [c], 'its death is now the route pool\'s');
    pool.stop();
    assert.ok(made.filter((m) => m !== c).every((m) => m.dead), 'stop removes the waiting ones');
  });

  it('gives none to a route it does not fit: other memory, network, root, or a variable read only at start', async () => {
    pool.setImages(['fresco/runtime-python3:1']);
    await waitFor('two waiting containers', () => pool.ready()['fresco/runtime-python3:1'] === 2);
    for (const r of [route({ memory: 256 }), route({ network: 'bridge' }), route({ allowRoot: true }),
      route({ config: { 'node-options': '--max-old-space-size=64' } }), route({ image: 'fresco/runtime-nodejs:1' }), route({ code: undefined })]) {
      assert.equal(await pool.specialise(r, () => undefined), undefined, JSON.stringify(r));
    }
    assert.equal(pool.ready()['fresco/runtime-python3:1'], 2);
  });

  it('starts none while the engine has no room, and drops the images of runtimes that went', async () => {
    room = false;
    pool.setImages(['fresco/runtime-python3:1']);
    await new Promise((r) => setImmediate(r));
    assert.equal(made.length, 0);
    room = true;
    await waitFor('room to start them (retried)', () => pool.ready()['fresco/runtime-python3:1'] === 2, 5000);
    pool.setImages([]);
    assert.ok(made.every((c) => c.dead));
    assert.deepEqual(released, ['fresco/runtime-python3:1', 'fresco/runtime-python3:1'], 'their image uses end');
  });
});
