import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { coalesceWrites } from '../../../src/queue/amqp-connection';

// The AMQP socket's writes: frames written in one tick leave together (one writev), in order.
describe('queue: coalescing the AMQP connection\'s writes', () => {
  it('hands the frames of one tick to the socket in one batch, in order, and the next tick\'s in another', async () => {
    const batches: string[][] = [];
    const sink = new Writable({
      writev(chunks, done) { batches.push(chunks.map((c) => String(c.chunk))); done(); },
      write(chunk, _enc, done) { batches.push([String(chunk)]); done(); },
    });
    coalesceWrites(sink);
    for (const f of ['publish-1', 'publish-2', 'ack-1']) assert.equal(sink.write(Buffer.from(f)), true);
    await new Promise((r) => setImmediate(r));
    sink.write(Buffer.from('ack-2'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [['publish-1', 'publish-2', 'ack-1'], ['ack-2']]);
  });

  it('leaves a stream without cork() alone', () => {
    const plain = { write: () => true } as unknown as Writable;
    const write = plain.write;
    coalesceWrites(plain);
    coalesceWrites(undefined);
    assert.equal(plain.write, write);
  });
});
