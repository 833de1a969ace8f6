import assert from 'node:assert/strict';
import { CallAbort, type CallSignal } from '../../../src/domain/call-abort';

describe('CallAbort (a call\'s abort, AbortSignal\'s shape)', () => {
  it('runs each listener once, in the order added, and stays aborted', () => {
    const ac = new CallAbort();
    const seen: string[] = [];
    const a = () => seen.push('a');
    ac.signal.addEventListener('abort', a, { once: true });
    ac.signal.addEventListener('abort', a); // the same listener twice is one listener, as on an EventTarget
    ac.signal.addEventListener('abort', () => seen.push('b'));
    ac.signal.addEventListener('abort', () => seen.push('c'));
    assert.equal(ac.signal.aborted, false);
    ac.abort();
    ac.abort();
    assert.equal(ac.signal.aborted, true);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    ac.signal.addEventListener('abort', () => seen.push('late'));
    ac.abort();
    assert.deepEqual(seen, ['a', 'b', 'c'], 'a listener added after the abort never runs (AbortSignal does the same)');
  });

  it('forgets a removed listener, whether it was the only one or one of several', () => {
    for (const others of [0, 2]) {
      const ac = new CallAbort();
      const seen: string[] = [];
      const gone = () => seen.push('gone');
      ac.addEventListener('abort', gone);
      for (let i = 0; i < others; i++) ac.addEventListener('abort', () => seen.push(`kept${i}`));
      ac.removeEventListener('abort', gone);
      ac.removeEventListener('abort', () => undefined); // never added: nothing happens
      ac.abort();
      assert.deepEqual(seen, others ? ['kept0', 'kept1'] : []);
    }
  });

  it('runs every listener when one throws, then throws the first error', () => {
    const ac = new CallAbort();
    const seen: string[] = [];
    ac.addEventListener('abort', () => { throw new Error('first'); });
    ac.addEventListener('abort', () => { throw new Error('second'); });
    ac.addEventListener('abort', () => seen.push('ran'));
    assert.throws(() => ac.abort(), /first/);
    assert.deepEqual(seen, ['ran']);
  });

  it('takes an AbortSignal where a CallSignal is asked for (the cluster hop passes its own)', () => {
    const native = new AbortController();
    const signal: CallSignal = native.signal;
    let ran = 0;
    signal.addEventListener('abort', () => ran++, { once: true });
    native.abort();
    assert.equal(ran, 1);
    assert.equal(signal.aborted, true);
  });
});
