import assert from 'node:assert/strict';
import { outcomeWithoutRun } from '../../../src/domain/call';
import type { CallOutcome, CallStore, NewCall } from '../../../src/domain/models';
import { LogForward } from '../../../src/executor/capture';
import { LogTail, RunningCalls } from '../../../src/services/running-calls';
import { waitFor } from '../../helpers/wait';

// Live logs: the executor's forwarding of stderr (a prefix of the final log, never the pre-started
// launcher's trailer), the tail that fans it out to followers of a call running in this process,
// and FRESCO_PROGRESS lines, written with the lease renewal.

class Store {
  readonly renewals: Array<{ id: string; progress?: { progress: number; message: string | null } }> = [];
  async recordRunning(): Promise<void> {}
  async recordFinished(): Promise<void> {}
  async complete(): Promise<boolean> { return true; }
  async renewLease(id: string, _e: string, _l: number, progress?: { progress: number; message: string | null }): Promise<boolean> {
    this.renewals.push({ id, progress });
    return true;
  }
  async requeue(): Promise<boolean> { return true; }
}

const call: NewCall = { projectId: 'p', app: 'a', route: '/r', trigger: 'http' };
const withLog = (log: string): CallOutcome => ({ ...outcomeWithoutRun('success', ''), log: Buffer.from(log) });

/** A follower that keeps what it got. */
function follower() {
  const f = { text: '', ended: undefined as boolean | undefined, data: (c: Buffer) => { f.text += c.toString(); }, end: (r: boolean) => { f.ended = r; } };
  return f;
}

describe('LogForward', () => {
  it('hands every byte on at once without a trailer, up to the cap', () => {
    const got: string[] = [];
    const fw = new LogForward((c) => got.push(c.toString()), 10);
    fw.push(Buffer.from('line 1\n'));
    fw.push(Buffer.from('line 2\n'));
    fw.push(Buffer.from('more'));
    assert.deepEqual(got, ['line 1\n', 'lin']);
  });

  it('holds back only what may begin the launcher trailer, and never hands the trailer on', () => {
    const nonce = Buffer.from('FRESCO-END-abc:');
    const got: string[] = [];
    const fw = new LogForward((c) => got.push(c.toString()), 1000, nonce);
    fw.push(Buffer.from('tick 1\n'));
    assert.deepEqual(got, ['tick 1\n'], 'a plain line goes on at once');
    fw.push(Buffer.from('tick 2\nFRESCO-E'));
    assert.deepEqual(got, ['tick 1\n', 'tick 2\n']);
    fw.push(Buffer.from('ND-abc:0'));
    fw.push(Buffer.from('00'));
    assert.equal(got.join(''), 'tick 1\ntick 2\n', 'the trailer is not part of the log');
    const fw2 = new LogForward((c) => got.push(c.toString()), 1000, nonce);
    got.length = 0;
    fw2.push(Buffer.from('FRESCO-ENDING\n'));
    assert.equal(got.join(''), 'FRESCO-ENDING\n', 'what only looked like a trailer goes on once it is not one');
  });
});

describe('LogTail and RunningCalls.follow', () => {
  let store: Store;
  let running: RunningCalls;
  beforeEach(() => {
    store = new Store();
    running = new RunningCalls({ calls: store as unknown as CallStore }, { engineId: 'e1', leaseMs: 300, visibleAfterMs: 100 });
  });
  afterEach(() => { for (const id of ['a', 'b', 'c']) running.forget(id); });

  it('gives a late follower what was written so far, then each chunk, then the rest of the final log', async () => {
    running.addSync('a', call);
    const sink = running.logSink('a')!;
    sink(Buffer.from('one\n'));
    const early = follower();
    const stopEarly = running.follow('a', early)!;
    sink(Buffer.from('two\n'));
    const late = follower();
    running.follow('a', late);
    assert.equal(late.text, 'one\ntwo\n');
    stopEarly();
    sink(Buffer.from('three\n'));
    assert.equal(early.text, 'one\ntwo\n', 'a follower that left gets nothing more');
    assert.equal(await running.finish('a', withLog('one\ntwo\nthree\nfour\n')), true);
    assert.equal(late.text, 'one\ntwo\nthree\nfour\n');
    assert.equal(late.ended, true);
    assert.equal(early.ended, undefined);
  });

  it('keeps no tail for a call that writes no stderr; a follower there before the first byte still gets every byte', async () => {
    const tailOf = (id: string) => (running as unknown as { entries: Map<string, { tail?: LogTail }> }).entries.get(id)?.tail;
    running.addSync('a', call);
    running.logSink('a');
    assert.equal(tailOf('a'), undefined, 'nothing held for a call that wrote nothing');
    assert.equal(await running.finish('a', withLog('')), true);
    running.addSync('b', call);
    const sink = running.logSink('b')!;
    const f = follower();
    running.follow('b', f);
    sink(Buffer.from('FRESCO_PROGRESS 30 first\n'));
    sink(Buffer.from('two\n'));
    assert.equal(f.text, 'FRESCO_PROGRESS 30 first\ntwo\n');
    assert.deepEqual(running.progress('b'), { progress: 30, message: 'first' });
    const late = follower();
    running.follow('b', late);
    assert.equal(late.text, 'FRESCO_PROGRESS 30 first\ntwo\n', 'a follower attaching mid-call sees the whole log');
    assert.equal(await running.finish('b', withLog('FRESCO_PROGRESS 30 first\ntwo\nend\n')), true);
    assert.equal(f.text, 'FRESCO_PROGRESS 30 first\ntwo\nend\n');
    assert.equal(f.ended, true);
  });

  it('answers undefined for a call that does not run here, and ends followers unrecorded when a call is forgotten', () => {
    assert.equal(running.follow('nope', follower()), undefined);
    assert.equal(running.logSink('nope'), undefined);
    running.addClaimed('b');
    const f = follower();
    running.follow('b', f);
    running.forget('b');
    assert.equal(f.ended, false);
    assert.equal(running.follow('b', follower()), undefined);
  });

  it('keeps no follower once the call left (nothing leaks)', async () => {
    running.addSync('c', call);
    const tailFollowers = () => (running as unknown as { entries: Map<string, { tail?: LogTail }> }).entries.get('c')?.tail?.followers.size;
    const stop = running.follow('c', follower())!;
    assert.equal(tailFollowers(), 1);
    stop();
    assert.equal(tailFollowers(), 0);
    await running.finish('c', withLog(''));
    assert.equal(running.size, 0);
  });

  it('reads FRESCO_PROGRESS lines, split across chunks too, and writes the last one with the next renewal only', async () => {
    running.addClaimed('b');
    const sink = running.logSink('b')!;
    sink(Buffer.from('working\nFRESCO_PRO'));
    sink(Buffer.from('GRESS 10 starting\nFRESCO_PROGRESS 40 resizing\r\n'));
    sink(Buffer.from('xFRESCO_PROGRESS 99 not at a line start\nFRESCO_PROGRESS 150 out of range\n'));
    assert.deepEqual(running.progress('b'), { progress: 40, message: 'resizing' });
    await waitFor('a renewal with the progress', () => store.renewals.some((r) => r.progress?.progress === 40));
    const before = store.renewals.length;
    await waitFor('a renewal without news', () => store.renewals.length > before);
    assert.equal(store.renewals.at(-1)!.progress, undefined, 'unchanged progress is not written again');
    sink(Buffer.from('FRESCO_PROGRESS 100\n'));
    assert.deepEqual(running.progress('b'), { progress: 100, message: null });
  });
});
