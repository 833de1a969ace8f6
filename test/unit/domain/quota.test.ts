import assert from 'node:assert/strict';
import { type QuotaOverride, type QuotaStore, TokenBucket } from '../../../src/domain/quota';
import { QuotaService } from '../../../src/services/quota-service';

describe('TokenBucket (calls_per_second, per API process)', () => {
  it('lets a burst of one second through, then one call per 1/rate seconds', () => {
    const b = new TokenBucket(4, 0);
    for (let i = 0; i < 4; i++) assert.equal(b.take(0), 0, `call ${i} of the burst`);
    assert.equal(b.take(0), 0.25, 'the next token in 1/rate s');
    assert.ok(Math.abs(b.take(100) - 0.15) < 1e-9, 'after 100 ms: 0.4 token, 0.15 s to go');
    assert.ok(Math.abs(b.take(100) - 0.15) < 1e-9, 'nothing spent while refused');
    assert.equal(b.take(250), 0, 'a token after 250 ms');
    assert.ok(b.take(250) > 0);
  });

  it('never keeps more than one second of tokens, however long it was idle', () => {
    const b = new TokenBucket(2, 0);
    assert.equal(b.take(60_000), 0);
    assert.equal(b.take(60_000), 0);
    assert.ok(b.take(60_000) > 0);
    assert.equal(b.isFull(61_000), true);
  });

  it('keeps its tokens, capped, when the rate changes', () => {
    const b = new TokenBucket(10, 0);
    b.setRate(1);
    assert.equal(b.currentRate, 1);
    assert.equal(b.take(0), 0);
    assert.equal(b.take(0), 1);
  });
});

class MemoryQuotas implements QuotaStore {
  readonly rows = new Map<string, QuotaOverride>();
  counts = { queued: 0, running: 0 };
  async get(p: string) { return this.rows.get(p); }
  async put(p: string, q: QuotaOverride) { this.rows.set(p, q); }
  async delete(p: string) { return this.rows.delete(p); }
  async count(_p: string, status: 'queued' | 'running') { return this.counts[status]; }
  async holdBackIfOver(_p: string, _id: string, _e: string, max: number) { return this.counts.running > max; }
}

describe('QuotaService', () => {
  const defaults = { running_calls: 0, queued_calls: 0, calls_per_second: 0 };
  const codeOf = async (p: Promise<unknown>) => p.then(() => undefined, (e) => `${e.code} ${e.status} ${e.headers?.['Retry-After']}`);

  it('merges an admin\'s override with the defaults (null: the default) and admits within the limits', async () => {
    const store = new MemoryQuotas();
    let now = 0;
    const s = new QuotaService({ store, defaults: { ...defaults, queued_calls: 10 }, now: () => now });
    assert.deepEqual((await s.update('p', { calls_per_second: 1 })).quota, { running_calls: 0, queued_calls: 10, calls_per_second: 1 });
    assert.equal(await codeOf(s.admit('p', 'sync')), undefined);
    assert.equal(await codeOf(s.admit('p', 'sync')), 'FRESCO_QUOTA_EXCEEDED 429 1');
    assert.equal(await codeOf(s.admit('q', 'sync')), undefined, 'another project has its own bucket');
    now = 1000;
    store.counts.queued = 10;
    assert.equal(await codeOf(s.admit('p', 'async')), 'FRESCO_QUOTA_EXCEEDED 429 1', 'queued_calls from the defaults');
    now = 2000;
    assert.equal(await codeOf(s.admit('p', 'sync')), undefined, 'a sync run does not queue');
  });

  it('refuses sync runs and holds back async ones at running_calls; 0 is unlimited', async () => {
    const store = new MemoryQuotas();
    const s = new QuotaService({ store, defaults });
    store.counts.running = 50;
    assert.equal(await s.holdBack('p', 'c', 'e'), false, 'unlimited by default');
    await s.update('p', { running_calls: 3 });
    assert.equal(await codeOf(s.admit('p', 'sync')), 'FRESCO_QUOTA_EXCEEDED 429 1');
    assert.equal(await codeOf(s.admit('p', 'async')), undefined, 'never a 429 for an async call over running_calls');
    assert.equal(await s.holdBack('p', 'c', 'e'), true);
    store.counts.running = 3;
    assert.equal(await s.holdBack('p', 'c', 'e'), false, 'itself included, at the limit it runs');
    await s.delete('p');
    assert.equal((await s.show('p')).quota.running_calls, 0);
  });

  it('admits at once from its cache when no count limit applies, and a change made here counts from the next run', async () => {
    const store = new MemoryQuotas();
    let now = 0;
    const s = new QuotaService({ store, defaults, now: () => now });
    assert.equal(s.admitNow('p', 'sync'), false, 'nothing cached yet: only admit() can tell');
    assert.equal(await codeOf(s.admit('p', 'sync')), undefined);
    assert.equal(s.admitNow('p', 'sync'), true, 'unlimited, cached');
    assert.equal(s.admitNow('p', 'async'), true);
    await s.update('p', { calls_per_second: 1 });
    assert.equal(await codeOf(s.admit('p', 'sync')), undefined, 'the new limit read again');
    assert.throws(() => s.admitNow('p', 'sync'), (e: { code?: string }) => e.code === 'FRESCO_QUOTA_EXCEEDED', 'over the rate at once');
    now = 1000;
    await s.update('p', { calls_per_second: null, running_calls: 2 });
    assert.equal(await codeOf(s.admit('p', 'sync')), undefined);
    assert.equal(s.admitNow('p', 'sync'), false, 'running_calls needs the count: admit() asks the store');
    assert.equal(s.admitNow('p', 'async'), true, 'async runs do not wait for running_calls');
    store.counts.running = 2;
    assert.equal(await codeOf(s.admit('p', 'sync')), 'FRESCO_QUOTA_EXCEEDED 429 1');
    now = 3000;
    assert.equal(s.admitNow('p', 'async'), false, 'the cache expired: admit() reads the limits again');
  });

  it('names the bad field of an update', async () => {
    const s = new QuotaService({ store: new MemoryQuotas(), defaults });
    await assert.rejects(s.update('p', { calls_per_second: 1.5 }), /calls_per_second/);
    await assert.rejects(s.update('p', { nope: 1 }), /nope/);
  });
});
