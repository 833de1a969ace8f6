import assert from 'node:assert/strict';
import {
  comparePriority, DEFAULT_PRIORITY, effectivePriority, MAX_PRIORITY, parsePriority, PRIORITY_AGING_S,
} from '../../../src/domain/priority';

describe('priorities (domain)', () => {
  it('reads Fresco-Priority: a digit 0–9, anything else names the problem', () => {
    assert.equal(parsePriority(undefined), undefined);
    assert.equal(parsePriority('0'), 0);
    assert.equal(parsePriority(' 9 '), 9);
    for (const bad of ['10', '-1', 'high', '', '4.5', ['1', '2']]) {
      assert.deepEqual(parsePriority(bad), { problem: 'must be an integer from 0 to 9' }, String(bad));
    }
    assert.equal(DEFAULT_PRIORITY, 4);
  });

  it('orders queued calls highest first, the older first on a tie', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    const at = (s: number) => new Date(now - s * 1000);
    const calls = [
      { id: 'low-old', priority: 1, createdAt: at(3) }, { id: 'high', priority: 8, createdAt: at(1) },
      { id: 'mid', priority: 4, createdAt: at(2) }, { id: 'low-new', priority: 1, createdAt: at(0) },
      { id: 'high-old', priority: 8, createdAt: at(2) },
    ];
    assert.deepEqual(calls.sort((a, b) => comparePriority(a, b, now)).map((c) => c.id),
      ['high-old', 'high', 'mid', 'low-old', 'low-new']);
  });

  it('ages a waiting call one level per PRIORITY_AGING_S seconds, up to the highest', () => {
    assert.equal(effectivePriority(0, 0), 0);
    assert.equal(effectivePriority(0, PRIORITY_AGING_S * 1000 - 1), 0);
    assert.equal(effectivePriority(0, PRIORITY_AGING_S * 1000), 1);
    assert.equal(effectivePriority(2, 5 * PRIORITY_AGING_S * 1000), 7);
    assert.equal(effectivePriority(0, 1e9), MAX_PRIORITY);
  });

  it('starves no call: under a flood of priority 9 calls a priority 0 call waits at most 9 × PRIORITY_AGING_S s', () => {
    // One slot serving a call per second; a priority 9 call arrives every half second (the queue only grows).
    type Q = { id: string; priority: number; createdAt: Date };
    const t0 = Date.parse('2026-12-05T12:00:00Z');
    const queue: Q[] = [{ id: 'low', priority: 0, createdAt: new Date(t0) }];
    let servedLowAt: number | undefined;
    const overtakers: Q[] = [];
    for (let ms = 0; ms <= 200_000 && servedLowAt === undefined; ms += 500) {
      queue.push({ id: `high-${ms}`, priority: 9, createdAt: new Date(t0 + ms) });
      if (ms % 1000 !== 0) continue;
      queue.sort((a, b) => comparePriority(a, b, t0 + ms));
      const next = queue.shift()!;
      if (next.id === 'low') servedLowAt = ms;
      else overtakers.push(next);
    }
    assert.ok(servedLowAt !== undefined, 'the low call was served');
    const bound = (MAX_PRIORITY - 0) * PRIORITY_AGING_S * 1000;
    assert.ok(servedLowAt <= bound, `served after ${servedLowAt} ms, bound ${bound} ms`);
    // Only calls accepted within the bound after it ever went first.
    assert.ok(overtakers.every((c) => c.createdAt.getTime() - t0 < bound));
    assert.ok(servedLowAt >= bound - 1000, 'and high calls did go first meanwhile');
  });
});
