import assert from 'node:assert/strict';
import { spawnFresco } from '../../helpers/fresco-process';
import { GiveUp, waitFor } from '../../helpers/wait';

// The tests' waiting helpers: a condition that can no longer come true fails the wait at once.

describe('test helpers: waitFor', () => {
  it('keeps polling through ordinary probe errors, and stops at once on GiveUp', async () => {
    let n = 0;
    assert.equal(await waitFor('the third probe', () => { if (++n < 3) throw new Error('not yet'); return n; }), 3);
    const started = Date.now();
    await assert.rejects(waitFor('never', () => { throw new GiveUp('hopeless'); }, 10_000), { message: 'hopeless' });
    assert.ok(Date.now() - started < 1000);
  });

  it('fails a wait for a Fresco log line as soon as the process exits', async function () {
    this.timeout(30_000);
    const p = spawnFresco('broken', 'api', '/nonexistent/fresco.conf', {});
    const started = Date.now();
    try {
      await assert.rejects(p.waitForLog('Fresco API listening', 25_000), /broken exited/);
      assert.ok(!p.alive);
      assert.ok(Date.now() - started < 15_000, `the wait lasted ${Date.now() - started} ms`);
    } finally {
      await p.stop();
    }
  });
});
