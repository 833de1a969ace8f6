import assert from 'node:assert/strict';
import { WriteBehind } from '../../../src/store/write-behind';
import { waitFor } from '../../helpers/wait';

// The write-behind of sync call records: batches rows, keeps them across failed writes, and lets a
// reader wait for everything added before it.

describe('WriteBehind', () => {
  it('writes rows in batches of at most maxBatch, in order, and settle() waits for them', async () => {
    const batches: number[][] = [];
    const wb = new WriteBehind<number>(async (rows) => { batches.push([...rows]); }, { maxBatch: 3, delayMs: 1, maxPending: 100 });
    for (let i = 0; i < 7; i++) wb.add(i);
    await wb.settle();
    assert.deepEqual(batches.flat(), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(batches.every((b) => b.length <= 3));
    assert.equal(wb.size, 0);
  });

  it('keeps rows whose write failed and writes them once the database answers again', async () => {
    let failing = true;
    const written: string[] = [];
    const wb = new WriteBehind<string>(async (rows) => {
      if (failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      written.push(...rows);
    }, { maxBatch: 10, delayMs: 1, maxPending: 100 });
    wb.add('a');
    wb.add('b');
    await wb.settle(); // the write failed: settle returns, rows stay
    assert.deepEqual(written, []);
    assert.equal(wb.size, 2);
    failing = false;
    await waitFor('the retry to write them', () => written.length === 2);
    assert.deepEqual(written, ['a', 'b']);
  });

  it('drops the oldest rows beyond maxPending while the database is away', async () => {
    const wb = new WriteBehind<number>(async () => { throw new Error('down'); }, { maxBatch: 2, delayMs: 1000, maxPending: 3 });
    for (let i = 0; i < 5; i++) wb.add(i);
    assert.equal(wb.size, 3);
  });
});
