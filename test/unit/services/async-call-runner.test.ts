import assert from 'node:assert/strict';
import type { Executor } from '../../../src/domain/executor';
import type { CallStore, ClaimedCall } from '../../../src/domain/models';
import { AsyncCallRunner } from '../../../src/services/async-call-runner';
import type { RouteResolver } from '../../../src/services/route-resolver';
import { RunningCalls } from '../../../src/services/running-calls';
import { waitFor } from '../../helpers/wait';

// An engine's async slots: a call's slot is free again once the call ran, while its outcome is still
// being written, and the writes in flight are bounded apart (claimed calls ≤ twice the slots).

/** A call store whose outcome writes wait until `written()`; claimQueued hands out `queued` calls. */
class SlowWrites {
  readonly pending: Array<() => void> = [];
  queued: ClaimedCall[] = [];

  async claimQueued(_e: string, _l: number, limit: number): Promise<ClaimedCall[]> {
    return this.queued.splice(0, limit);
  }

  complete(): Promise<boolean> {
    return new Promise((resolve) => this.pending.push(() => resolve(true)));
  }

  async markStarted(): Promise<void> {}

  written(): void {
    for (const w of this.pending.splice(0)) w();
  }
}

const claimed = (id: string): ClaimedCall => ({
  call: { id, projectId: 'p', app: 'a', route: '/r', trigger: 'async', status: 'running', createdAt: new Date(), attempts: 1 } as ClaimedCall['call'],
  request: { method: 'POST', url: '/r/a/r', requestPath: '/r/a/r', headers: {}, body: Buffer.alloc(0) },
});

const instant = {
  run: async () => ({
    status: 'success', kind: 'hot', exitCode: 0, result: Buffer.from('ok'), resultTruncated: false, log: Buffer.alloc(0),
    logTruncated: false, startedAt: new Date(), completedAt: new Date(),
  }),
} as unknown as Executor;

const resolver = { private: async () => ({ route: {}, runnable: {} }) } as unknown as RouteResolver;

describe('AsyncCallRunner: slots', () => {
  it('frees a slot once its call ran, and holds at most as many more calls writing their outcome', async () => {
    const store = new SlowWrites();
    const calls = store as unknown as CallStore;
    const running = new RunningCalls({ calls }, { engineId: 'e1', leaseMs: 60_000, visibleAfterMs: 1000 });
    const runner = new AsyncCallRunner({ calls, executor: instant, resolver, running }, 2);
    let woken = 0;
    const wake = () => { woken++; };
    store.queued = ['a', 'b', 'c', 'd', 'e'].map(claimed);
    assert.equal(await runner.claimQueued(wake), 2);
    await waitFor('both outcomes being written', () => store.pending.length === 2);
    assert.deepEqual([running.claimed, runner.free], [2, 2], 'ran: their slots are free while the writes wait');
    assert.equal(woken, 2, 'the queue is told of each slot as it frees, not only once written');
    assert.equal(await runner.claimQueued(wake), 2);
    await waitFor('four outcomes being written', () => store.pending.length === 4);
    assert.equal(runner.free, 0, 'four calls writing: the bound of twice the slots');
    assert.equal(await runner.claimQueued(wake), 0);
    store.written();
    await waitFor('the writes to end', () => running.claimed === 0);
    assert.deepEqual([running.claimed, runner.free], [0, 2]);
    assert.equal(store.queued.length, 1);
  });
});
