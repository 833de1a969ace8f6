import assert from 'node:assert/strict';
import type { ExecutorCall, CallOutcome, Executor } from '../../../src/domain/executor';
import { FrescoError } from '../../../src/errors';
import { ExecutorStartupGate } from '../../../src/services/executor-startup-gate';
import { waitFor } from '../../helpers/wait';

// The api role's executor: Fresco serves without a usable Docker, answers 503 meanwhile, and
// picks Docker up once it works, without a restart.

class FlakyStart implements Executor {
  static failuresLeft = 0;
  stopped = false;
  async start(): Promise<void> {
    if (FlakyStart.failuresLeft-- > 0) throw new Error('connect ENOENT /var/run/docker.sock');
  }
  async run(req: ExecutorCall): Promise<CallOutcome> {
    return { status: 'success', result: Buffer.from(req.id) } as CallOutcome;
  }
  retireRoutes(): void {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

describe('ExecutorStartupGate', () => {
  it('answers 503 FRESCO_ENGINE_UNAVAILABLE naming the cause until a start succeeds, then runs', async () => {
    FlakyStart.failuresLeft = 2;
    const made: FlakyStart[] = [];
    const ex = new ExecutorStartupGate(() => { const e = new FlakyStart(); made.push(e); return e; }, 20);
    await ex.start();
    await assert.rejects(ex.run({ id: 'a' } as ExecutorCall), (err: FrescoError) =>
      err.status === 503 && err.code === 'FRESCO_ENGINE_UNAVAILABLE' && /docker\.sock/.test(err.message));
    const result = await waitFor('a successful start', () => ex.run({ id: 'b' } as ExecutorCall).catch(() => undefined));
    assert.equal(result.result.toString(), 'b');
    assert.equal(made.length, 3);
    assert.ok(made[0].stopped && made[1].stopped, 'failed attempts are cleaned up');
    await ex.stop();
    assert.ok(made[2].stopped);
  });

  it('lets a bad option stop start-up: the first executor is made in the constructor', () => {
    assert.throws(() => new ExecutorStartupGate(() => { throw new Error('bad option'); }), /bad option/);
  });
});
