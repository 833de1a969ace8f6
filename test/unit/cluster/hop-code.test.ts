import assert from 'node:assert/strict';
import { decodeCall, encodeCall, HopFrameError } from '../../../src/cluster/hop-codec';

// A function from code crosses the hop as its package's digest, entry and calling convention: the
// engine unpacks the package itself, so a host directory named in a frame is never mounted, and a
// code field that is not what the runtime contract allows is refused before anything runs.

const digest = 'a'.repeat(64);
const route = {
  projectId: 'p', appName: 'a', path: '/py', image: 'fresco/runtime-python3:latest', format: 'json' as const, memory: 64,
  timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: {},
};
const call = (code: unknown) => encodeCall({
  id: 'c1', route: { ...route, code } as never, method: 'POST', url: 'http://x/r/a/py', requestPath: '/r/a/py', headers: {},
  body: Buffer.from('{}'),
});

describe('call hop: functions from code', () => {
  it('carries digest, file, entry and calling, and drops a host directory named by the sender', () => {
    const got = decodeCall(call({ digest, file: 'hello.py', entry: 'hello.main', calling: 'lambda', hostDir: '/etc' }));
    assert.deepEqual(got.route.code, { digest, file: 'hello.py', entry: 'hello.main', calling: 'lambda' });
  });

  it('refuses a code field outside the runtime contract, naming it', () => {
    for (const bad of [{ digest: 'zz', entry: 'm.f', calling: 'lambda' }, { digest, entry: 3, calling: 'lambda' },
      { digest, entry: 'm.f', calling: 'shell' }, 'code']) {
      assert.throws(() => decodeCall(call(bad)), (e: Error) => e instanceof HopFrameError && /route\.code/.test(e.message), JSON.stringify(bad));
    }
  });
});
