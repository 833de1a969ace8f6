// Where a route's sync calls go: rendezvous (highest random weight) hashing of the route over the
// live engines. Every API process computes the same order from the same member list, with no
// coordination; an engine joining or leaving changes the first choice of only the routes it wins
// or held (about 1/N). The first engine is the route's home, where its hot containers stay warm;
// the next ones take the calls the home refuses when full. Pure: no I/O, no clock.

/** What identifies a route for placement: its version is left out on purpose, so that an updated
 *  route stays on its home engine, whose version check retires the old containers at once. */
export function routeKey(r: { projectId: string; appName: string; path: string }): string {
  return `${r.projectId}/${r.appName}${r.path}`;
}

/** FNV-1a over the UTF-16 code units, then a final avalanche: a 32-bit unsigned hash. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** MurmurHash3's finaliser: every input bit flips each result bit with probability about 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The rendezvous weight of a route (by its hash) on an engine (by its hash). */
export function weight(routeHash: number, engineHash: number): number {
  return fmix32((routeHash ^ Math.imul(engineHash, 0x9e3779b1)) + engineHash);
}

/** A member as placement sees it: its id and the hash of its id (computed once). */
export interface Member {
  id: string;
  hash: number;
}

/** Members for `ids`, ready for rank/home. */
export function members(ids: readonly string[]): Member[] {
  return ids.map((id) => ({ id, hash: hash32(id) }));
}

/** The engines in the order a route tries them: highest weight first, ties by id. */
export function rank<M extends Member>(key: string, engines: readonly M[]): M[] {
  return rankByHash(hash32(key), engines);
}

/** rank for a route already hashed (hash32 of its key). */
export function rankByHash<M extends Member>(routeHash: number, engines: readonly M[]): M[] {
  return engines
    .map((e) => ({ e, w: weight(routeHash, e.hash) }))
    .sort((a, b) => b.w - a.w || (a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0))
    .map((x) => x.e);
}

/** The route's home engine (the first of rank) in one pass; undefined when there is none. */
export function home<M extends Member>(routeHash: number, engines: readonly M[]): M | undefined {
  let best: M | undefined;
  let bestW = -1;
  for (const e of engines) {
    const w = weight(routeHash, e.hash);
    if (w > bestW || (w === bestW && best && e.id < best.id)) {
      best = e;
      bestW = w;
    }
  }
  return best;
}

/** The engines in rank's order, computed lazily: the home in one pass over the engines (most
 *  calls stop there), the full order sorted only when the caller asks for a second engine (spill). */
export function* placementOrder<M extends Member>(routeHash: number, engines: readonly M[]): Generator<M> {
  const first = home(routeHash, engines);
  if (!first) return;
  yield first;
  if (engines.length === 1) return;
  for (const e of rankByHash(routeHash, engines)) if (e !== first) yield e;
}
