import assert from 'node:assert/strict';
import type { HereSlot, QueuedCallRunner } from '../../../src/domain/queue';
import { LocalCallQueue } from '../../../src/services/local-call-queue';
import { waitFor } from '../../helpers/wait';

// The in-process queue hands a call accepted here to this process's runner at once (runHere) only when
// no queued call waits for the slot: the queue's last look took every call it saw, and every call this
// process queued since was taken too. A fake runner stands for the database: `queued` calls are there.

class FakeRunner implements QueuedCallRunner {
  free = 2;
  queued = 0;
  looks = 0;
  /** Resolves the look under way, if held. */
  release?: () => void;
  hold = false;
  readonly reserves: number[] = [];

  async claimAndRun(): Promise<boolean> { return false; }

  /** Ends a taken call: its slot is free again and the queue is told, as the real runner does. */
  finish?: () => void;

  async claimQueued(onDone: () => void): Promise<number> {
    this.looks++;
    if (this.hold) await new Promise<void>((r) => { this.release = r; });
    const taken = Math.min(this.free, this.queued);
    this.queued -= taken;
    this.free -= taken;
    this.finish = () => {
      this.free += taken;
      onDone();
    };
    return taken;
  }

  reserve(_onDone: () => void, waiting = 0): HereSlot | undefined {
    this.reserves.push(waiting);
    if (this.free <= waiting) return undefined;
    return { engineId: 'e1', leaseMs: 1000, run: () => undefined, release: () => undefined };
  }
}

describe('LocalCallQueue: running a call where it was accepted', () => {
  let runner: FakeRunner;
  let queue: LocalCallQueue;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    runner = new FakeRunner();
    queue = new LocalCallQueue({ pollMs: 60_000 });
    stop = (await queue.consume(runner)).stop;
  });
  afterEach(() => stop());

  it('offers a slot once a look found the queue empty, and none before', async () => {
    runner.hold = true;
    queue = new LocalCallQueue({ pollMs: 60_000 });
    await stop();
    stop = (await queue.consume(runner)).stop;
    assert.equal(queue.runHere(), undefined, 'before the first look, calls may wait');
    runner.release!();
    await waitFor('the first look', () => queue.runHere() !== undefined);
    assert.deepEqual(runner.reserves, [0], 'no queued call of this process waits for the slot');
  });

  it('keeps a slot for the calls this process queued until a look took them', async () => {
    await waitFor('the first look', () => queue.runHere() !== undefined);
    runner.hold = true;
    runner.free = 1;
    runner.queued = 1;
    await queue.publish();
    assert.equal(queue.runHere(), undefined, 'the queued call comes first');
    assert.equal(runner.reserves.at(-1), 1);
    runner.hold = false;
    runner.release!();
    await waitFor('the queued call taken', () => runner.queued === 0 && runner.free === 0);
    assert.equal(queue.runHere(), undefined, 'a full batch: more may wait');
    runner.finish!();
    await waitFor('a short look after the call ended', () => queue.runHere() !== undefined);
    assert.equal(runner.reserves.at(-1), 0);
  });

  it('offers no slot after a look that took a full batch (more may wait), until a short one', async () => {
    await waitFor('the first look', () => queue.runHere() !== undefined);
    runner.queued = 5;
    await queue.publish();
    await waitFor('a full batch taken', () => runner.queued === 3);
    assert.equal(queue.runHere(), undefined);
    runner.free = 5;
    await queue.publish();
    // The look was short: nothing else waits.
    await waitFor('a slot after the rest was taken', () => queue.runHere() !== undefined);
    assert.equal(runner.queued, 0);
  });
});
