import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hash32, home, members, placementOrder, rank, routeKey } from '../../../src/cluster/placement';

// Rendezvous placement: every API process derives the same order from the same members; one
// engine leaving moves only the routes it was home to, one joining takes only routes from the
// others, about 1/N of them, and routes spread evenly.

const ids = (n: number, prefix = 'engine') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const keys = (n: number) => Array.from({ length: n }, (_, i) => routeKey({ projectId: `p${i % 97}`, appName: `app${i % 13}`, path: `/r${i}` }));

function homes(routeKeys: string[], engineIds: string[]): string[] {
  const m = members(engineIds);
  return routeKeys.map((k) => home(hash32(k), m)!.id);
}

describe('cluster placement (rendezvous hashing)', () => {
  it('gives a route the same order whatever order the members are listed in', () => {
    const m = members(ids(8));
    const shuffled = [...m].reverse().sort((a, b) => (a.id.length - b.id.length) || (a.hash % 7) - (b.hash % 7));
    for (const k of keys(200)) {
      assert.deepEqual(rank(k, shuffled).map((e) => e.id), rank(k, m).map((e) => e.id));
      assert.equal(home(hash32(k), shuffled)!.id, rank(k, m)[0].id);
    }
  });

  it('the key ignores the route version, so an updated route keeps its home', () => {
    assert.equal(routeKey({ projectId: 'p', appName: 'a', path: '/x' }), 'p/a/x');
  });

  it('an engine leaving moves exactly the routes it was home to; the order of the others is kept', () => {
    const all = ids(10);
    const ks = keys(5000);
    const before = homes(ks, all);
    const after = homes(ks, all.filter((id) => id !== 'engine-3'));
    ks.forEach((_, i) => {
      if (before[i] === 'engine-3') assert.notEqual(after[i], 'engine-3');
      else assert.equal(after[i], before[i], `route ${i} moved though its home stayed`);
    });
    const m = members(all);
    for (const k of ks.slice(0, 100)) {
      const order = rank(k, m).map((e) => e.id);
      assert.deepEqual(rank(k, members(all.filter((id) => id !== 'engine-3'))).map((e) => e.id), order.filter((id) => id !== 'engine-3'));
    }
  });

  it('an engine joining takes about 1/N of the routes, only for itself', () => {
    const ks = keys(20_000);
    for (const n of [5, 20]) {
      const before = homes(ks, ids(n));
      const after = homes(ks, [...ids(n), 'newcomer']);
      let moved = 0;
      ks.forEach((_, i) => {
        if (after[i] !== before[i]) {
          moved++;
          assert.equal(after[i], 'newcomer');
        }
      });
      const share = moved / ks.length;
      assert.ok(share > 0.5 / (n + 1) && share < 1.5 / (n + 1), `${n} → ${n + 1} engines moved ${share}`);
    }
  });

  it('spreads routes evenly: no engine holds more than 1.3× the mean of 1,000 routes each', () => {
    const n = 20;
    const counts = new Map<string, number>();
    for (const h of homes(keys(20_000), ids(n))) counts.set(h, (counts.get(h) ?? 0) + 1);
    assert.equal(counts.size, n);
    assert.ok(Math.max(...counts.values()) / (20_000 / n) < 1.3, JSON.stringify([...counts.values()]));
  });

  it('finds the home in one pass: the same engine as the first of the sorted order, for random routes and engine sets', () => {
    for (let set = 0; set < 200; set++) {
      const size = 1 + (set % 50) * 3;
      const m = members(Array.from({ length: size }, () => `e-${randomBytes(5).toString('hex')}`));
      for (let r = 0; r < 50; r++) {
        const k = routeKey({ projectId: randomBytes(4).toString('hex'), appName: 'a', path: `/${randomBytes(3).toString('hex')}` });
        const sorted = rank(k, m);
        assert.equal(home(hash32(k), m), sorted[0]);
        if (r < 3) assert.deepEqual([...placementOrder(hash32(k), m)], sorted, 'the lazy order is the full order');
      }
    }
    assert.deepEqual([...placementOrder(hash32('p/a/x'), [])], []);
  });

  it('ties on weight go to the smaller id, in one pass as in the sorted order', () => {
    const twins = [{ id: 'b', hash: 7 }, { id: 'a', hash: 7 }, { id: 'c', hash: 7 }];
    assert.equal(home(123, twins)!.id, 'a');
    assert.deepEqual([...placementOrder(123, twins)].map((e) => e.id), ['a', 'b', 'c']);
  });

  it('join and leave move about 1/N of the routes, for random engine sets', () => {
    const ks = keys(20_000);
    for (const n of [7, 30, 100]) {
      const all = Array.from({ length: n + 1 }, () => `e-${randomBytes(6).toString('hex')}`);
      const base = homes(ks, all.slice(0, n));
      const joined = homes(ks, all);
      const left = homes(ks, all.slice(1, n));
      const share = (a: string[], b: string[]) => a.filter((x, i) => x !== b[i]).length / ks.length;
      const j = share(base, joined);
      const l = share(base, left);
      assert.ok(j > 0.5 / (n + 1) && j < 1.5 / (n + 1), `${n} → ${n + 1} engines moved ${j}`);
      assert.ok(l > 0.5 / n && l < 1.5 / n, `${n} → ${n - 1} engines moved ${l}`);
    }
  });
});
