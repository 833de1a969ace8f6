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

  it('drops the oldest rows beyond maxPending while the database is away (never a batch in flight), and writes the others', async () => {
    let failing = true;
    const written: number[] = [];
    const wb = new WriteBehind<number>(async (rows) => {
      if (failing) throw new Error('down');
      written.push(...rows);
    }, { maxBatch: 2, delayMs: 1000, maxPending: 3 });
    for (let i = 0; i < 5; i++) wb.add(i);
    assert.equal(wb.size, 3);
    failing = false;
    await wb.settle();
    assert.deepEqual(written, [0, 1, 4], 'rows 0 and 1 were in flight when 2 and 3 came');
  });

  it('waits up to delayMs for a batch to fill after a write, instead of writing each row as it comes', async () => {
    const batches: number[][] = [];
    const wb = new WriteBehind<number>(async (rows) => {
      batches.push([...rows]);
      await new Promise((r) => setImmediate(r)); // the database takes a moment
    }, { maxBatch: 100, delayMs: 200, maxPending: 1000 });
    wb.add(0);
    void wb.flush(); // [0] being written while the next rows come
    for (let i = 1; i <= 5; i++) {
      wb.add(i);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(batches, [[0]], 'rows 1..5 wait for their window');
    await waitFor('the window to end and its batch to be written', () => wb.size === 0);
    assert.deepEqual(batches, [[0], [1, 2, 3, 4, 5]]);
  });

  it('never drops rows being written: the oldest of the others go, and none is lost unreported', async () => {
    const written: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const wb = new WriteBehind<number>(async (rows) => {
      if (rows[0] === 0) await held; // the database is slow to answer the first batch
      written.push(...rows);
    }, { maxBatch: 2, delayMs: 1000, maxPending: 3 });
    wb.add(0);
    wb.add(1); // a full batch: its write starts
    for (let i = 2; i < 5; i++) wb.add(i);
    assert.equal(wb.size, 3);
    release();
    await wb.settle();
    assert.deepEqual(written, [0, 1, 4], 'rows 2 and 3 were the oldest not being written');
  });
});
