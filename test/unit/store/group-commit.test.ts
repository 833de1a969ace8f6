import assert from 'node:assert/strict';
import { GroupCommit } from '../../../src/store/group-commit';

// Group commit of the async hot path: concurrent callers share statements, each gets its own result.

describe('GroupCommit', () => {
  it('puts items submitted while a statement runs into the next one, each caller getting its own result', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push([...items]);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => i * 10);
    }, { maxBatch: 50, maxInFlight: 1 });
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => gc.submit(i)));
    assert.deepEqual(results, Array.from({ length: 120 }, (_, i) => i * 10));
    assert.deepEqual(batches.flat(), Array.from({ length: 120 }, (_, i) => i));
    assert.ok(batches.length <= 4 && batches.every((b) => b.length <= 50), JSON.stringify(batches.map((b) => b.length)));
  });

  it('runs the items of a failed batch again one by one, so that only the bad one fails', async () => {
    const gc = new GroupCommit<string, string>(async (items) => {
      if (items.includes('bad')) throw new Error('value too long');
      return items.map((i) => i.toUpperCase());
    });
    const out = await Promise.allSettled(['a', 'bad', 'c'].map((i) => gc.submit(i)));
    assert.deepEqual(out.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((out[0] as PromiseFulfilledResult<string>).value, 'A');
  });

  it('fails the whole batch at once while the database is unreachable', async () => {
    let writes = 0;
    const gc = new GroupCommit<number, number>(async () => {
      writes++;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }, { maxInFlight: 1 });
    const out = await Promise.allSettled([1, 2, 3].map((i) => gc.submit(i)));
    assert.ok(out.every((o) => o.status === 'rejected'));
    assert.equal(writes, 1);
  });

  it('lets an urgent item start a statement while the others fill every ordinary slot, taking the waiting ones along', async () => {
    const batches: string[][] = [];
    const release: Array<() => void> = [];
    const gc = new GroupCommit<string, string>(async (items) => {
      batches.push([...items]);
      await new Promise<void>((r) => release.push(r));
      return items;
    }, { maxInFlight: 1, urgent: (i) => i.startsWith('accept'), maxInFlightUrgent: 2 });
    const first = gc.submit('complete-1');
    await new Promise((r) => setImmediate(r));
    const waiting = gc.submit('complete-2');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [['complete-1']], 'an ordinary item waits for the one slot');
    const accepted = gc.submit('accept-1');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [['complete-1'], ['complete-2', 'accept-1']], 'the accept did not wait, and took the waiting item along');
    release.forEach((r) => r());
    assert.deepEqual(await Promise.all([first, waiting, accepted]), ['complete-1', 'complete-2', 'accept-1']);
  });
});
