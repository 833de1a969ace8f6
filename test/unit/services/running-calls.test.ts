import assert from 'node:assert/strict';
import { outcomeWithoutRun } from '../../../src/domain/call';
import type { CallOutcome, CallStore, NewCall } from '../../../src/domain/models';
import { RunningCalls } from '../../../src/services/running-calls';
import { waitFor } from '../../helpers/wait';

// The one registry of calls running in a process: what it writes to the call store, and when it
// aborts a call, for sync calls (no record until slow) and claimed async ones alike.

/** A call store that records what the registry asks of it; `leaseHeld` false plays a cancel from another process. */
class RecordingStore {
  readonly writes: string[] = [];
  leaseHeld = true;

  async recordRunning(id: string): Promise<void> { this.writes.push(`running ${id}`); }
  async recordFinished(id: string, _c: NewCall, o: CallOutcome): Promise<void> { this.writes.push(`finished ${id} ${o.status}`); }
  async complete(id: string, _e: string, o: CallOutcome): Promise<boolean> { this.writes.push(`complete ${id} ${o.status}`); return this.leaseHeld; }
  async renewLease(id: string): Promise<boolean> { this.writes.push(`renew ${id}`); return this.leaseHeld; }
  async requeue(id: string): Promise<boolean> { this.writes.push(`requeue ${id}`); return true; }
}

const call: NewCall = { projectId: 'p', app: 'a', route: '/r', trigger: 'http' };
const done = outcomeWithoutRun('success', '');

describe('RunningCalls', () => {
  let store: RecordingStore;
  let running: RunningCalls;
  beforeEach(() => {
    store = new RecordingStore();
    running = new RunningCalls({ calls: store as unknown as CallStore }, { engineId: 'e1', leaseMs: 300, visibleAfterMs: 100 });
  });
  // Calls left running stop the registry's timer only once forgotten.
  afterEach(() => { for (const id of ['quick', 'slow', 's', 'c', 'here']) running.forget(id); });

  it('records a quick sync call once, finished, and nothing before', async () => {
    running.addSync('quick', call);
    assert.equal(await running.finish('quick', done), true);
    assert.deepEqual(store.writes, ['finished quick success']);
    assert.equal(running.size, 0);
  });

  it('makes a slow sync call visible as running, renews its lease, and completes that record', async () => {
    running.addSync('slow', call);
    await waitFor('the slow call recorded running', () => store.writes.includes('running slow'));
    await waitFor('a lease renewal', () => store.writes.includes('renew slow'));
    assert.equal(await running.finish('slow', done), true);
    assert.equal(store.writes.at(-1), 'complete slow success');
    assert.ok(!store.writes.some((w) => w.startsWith('finished')), 'no second record of the same call');
  });

  it('aborts a call whose lease is lost (cancelled from another process), sync or claimed', async () => {
    const sync = running.addSync('s', call);
    const claimed = running.addClaimed('c');
    store.leaseHeld = false;
    await waitFor('both calls aborted', () => sync.aborted && claimed.aborted);
  });

  it('counts claimed calls apart from sync ones, until their outcome is written', async () => {
    let written!: () => void;
    store.complete = (id: string) => new Promise<boolean>((resolve) => { written = () => resolve(true); store.writes.push(`complete ${id}`); });
    running.addSync('s', call);
    running.addClaimed('c');
    assert.deepEqual([running.size, running.claimed], [2, 1]);
    const finishing = running.finish('c', done);
    await waitFor('the outcome being written', () => store.writes.includes('complete c'));
    assert.deepEqual([running.size, running.claimed, running.claimedWriting], [2, 1, 1], 'claimed until its outcome is written');
    written();
    assert.equal(await finishing, true);
    assert.deepEqual([running.size, running.claimed, running.claimedWriting], [1, 0, 0]);
  });

  it('aborts a call cancelled in this process at once', () => {
    const signal = running.addSync('here', call);
    running.cancel('here');
    assert.equal(signal.aborted, true);
    running.cancel('unknown'); // not ours: nothing happens
  });

  it('on drain, puts claimed calls back in the queue and aborts them, and waits for every call to leave', async () => {
    const claimed = running.addClaimed('c');
    const sync = running.addSync('s', call);
    let drained = false;
    const draining = running.drain().then(() => { drained = true; });
    await waitFor('the claimed call aborted', () => claimed.aborted);
    assert.deepEqual(store.writes, ['requeue c']);
    assert.equal(sync.aborted, false, 'a sync call ends with its caller, not with the drain');
    assert.equal(running.draining, true);
    running.forget('c');
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false, 'the sync call still runs');
    await running.finish('s', done);
    await draining;
    assert.equal(running.size, 0);
  });
});
