import assert from 'node:assert/strict';
import type { CallOutcome, Executor, ExecutorCall, RunnableRoute } from '../../../src/domain/executor';
import { versionKey } from '../../../src/executor/run-deps';
import { CodeExecutor } from '../../../src/runtimes/code-executor';

// The code executor hands the Docker executor the route with its package's directory. Every call
// of one route version must reach the executor as the same route object: the hot pools find the
// route's containers by that object (versionKey caches per object), and a copy per call would
// serialise the route on every call.

const route: RunnableRoute = {
  projectId: 'p', appName: 'a', path: '/hello', image: 'fresco/runtime-python3:1', format: 'http', memory: 64,
  timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: {}, version: 'v1',
  code: { digest: 'ab'.repeat(32), file: 'hello.py', entry: 'hello.main', calling: 'lambda' },
};

function call(r: RunnableRoute): ExecutorCall {
  return { id: 'c', route: r, method: 'POST', url: '/r/a/hello', requestPath: '/hello', headers: {}, body: Buffer.alloc(0) } as ExecutorCall;
}

describe('CodeExecutor', () => {
  const seen: RunnableRoute[] = [];
  const inner: Executor = {
    start: async () => undefined,
    stop: async () => undefined,
    retireRoutes: () => undefined,
    run: async (req) => {
      seen.push(req.route);
      return { status: 'success' } as CallOutcome;
    },
  };
  let dir = '/var/lib/fresco/packages/one';
  const exec = new CodeExecutor(inner, { dirFor: async () => dir });

  beforeEach(() => {
    seen.length = 0;
  });

  it('hands every call of one route the same route object, carrying the package directory', async () => {
    await exec.run(call(route));
    await exec.run(call(route));
    assert.equal(seen[0].code?.hostDir, dir);
    assert.equal(seen[0], seen[1]);
    assert.equal(versionKey(seen[0]), versionKey(seen[1]));
    assert.equal(route.code?.hostDir, undefined, 'the resolver\'s route is left as it was');
  });

  it('gives a new object once the package lives elsewhere (unpacked again), and another route its own', async () => {
    await exec.run(call(route));
    dir = '/var/lib/fresco/packages/two';
    await exec.run(call(route));
    const other = { ...route, path: '/other' };
    await exec.run(call(other));
    assert.notEqual(seen[0], seen[1]);
    assert.equal(seen[1].code?.hostDir, '/var/lib/fresco/packages/two');
    assert.notEqual(versionKey(seen[0]), versionKey(seen[1]), 'containers of the old directory are not reused');
    assert.equal(seen[2].path, '/other');
  });

  it('passes image routes through untouched', async () => {
    const image = { ...route, code: undefined };
    await exec.run(call(image));
    assert.equal(seen[0], image);
  });
});
