import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { TokenCache, tokenKey } from '../../../src/auth/token-cache';

describe('TokenCache', () => {
  let t: number;
  const now = () => t;
  beforeEach(() => { t = 1_000_000; });

  it('serves an entry until its deadline on the injected clock, then loads again', async () => {
    const cache = new TokenCache<string>({ now });
    let loads = 0;
    const load = async () => ({ value: `v${++loads}`, until: t + 300_000 });
    assert.equal(await cache.getOrLoad('tok', load), 'v1');
    t += 299_999;
    assert.equal(await cache.getOrLoad('tok', load), 'v1');
    t += 1;
    assert.equal(await cache.getOrLoad('tok', load), 'v2');
    assert.equal(loads, 2);
  });

  it('keys entries by SHA-256: the token itself is nowhere in the cache', async () => {
    const cache = new TokenCache<string>({ now });
    const token = 'gAAAAABsecret-token-value';
    await cache.getOrLoad(token, async () => ({ value: 'x', until: t + 1000 }));
    assert.equal(tokenKey(token), createHash('sha256').update(token).digest('hex'));
    assert.match(tokenKey(token), /^[0-9a-f]{64}$/);
    assert.ok(!inspect(cache, { depth: 10 }).includes(token));
  });

  it('shares one load between concurrent callers of the same token (single flight)', async () => {
    const cache = new TokenCache<number>({ now });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const load = async () => { loads++; await gate; return { value: 42, until: t + 1000 }; };
    const waiting = Array.from({ length: 50 }, () => cache.getOrLoad('same', load));
    release();
    assert.deepEqual(await Promise.all(waiting), Array(50).fill(42));
    assert.equal(loads, 1);
  });

  it('does not cache a failed load, and each waiter sees the failure', async () => {
    const cache = new TokenCache<number>({ now });
    let loads = 0;
    const failing = async () => { loads++; throw new Error('keystone down'); };
    const results = await Promise.allSettled([cache.getOrLoad('k', failing), cache.getOrLoad('k', failing)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(loads, 1);
    assert.equal(await cache.getOrLoad('k', async () => ({ value: 7, until: t + 10 })), 7);
  });

  it('returns but does not keep a value whose deadline has already passed (caching disabled)', async () => {
    const cache = new TokenCache<number>({ now });
    assert.equal(await cache.getOrLoad('k', async () => ({ value: 1, until: t })), 1);
    assert.equal(cache.size, 0);
  });

  it('evicts the least recently used entry beyond max', async () => {
    const cache = new TokenCache<number>({ now, max: 2 });
    for (const k of ['a', 'b', 'c']) await cache.getOrLoad(k, async () => ({ value: 1, until: t + 1000 }));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('c'), 1);
  });
});
