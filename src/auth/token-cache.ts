import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

// Remembers token validations so that Keystone sees one request per token per cache period.
// Keys are SHA-256 hashes: a heap dump or a debug print of the cache shows no usable token.

/** What a loader returns: the value and the instant (ms, on the cache's clock) it stops being served. */
export interface Cacheable<T> { value: T; until: number }

/** Construction options; `now` is injectable so tests can expire entries without waiting. */
export interface TokenCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10000. */
  max?: number;
  now?: () => number;
}

/** The cache key for a token: hex SHA-256, so the token itself is never stored. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Token → value cache with per-entry deadlines and single-flight loading. */
export class TokenCache<T> {
  private readonly entries: LRUCache<string, Cacheable<T>>;
  private readonly loading = new Map<string, Promise<T>>();
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.entries = new LRUCache({ max: options.max ?? 10_000 });
    this.now = options.now ?? Date.now;
  }

  /** The cached value for `token` while its deadline is in the future, else undefined. */
  get(token: string): T | undefined {
    const key = tokenKey(token);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > this.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * The cached value, or `load()`'s: concurrent callers for one token share one load. A load
   * that throws is not cached (each later caller retries); one whose `until` has passed already
   * is returned but not kept.
   */
  async getOrLoad(token: string, load: () => Promise<Cacheable<T>>): Promise<T> {
    const cached = this.get(token);
    if (cached !== undefined) return cached;
    const key = tokenKey(token);
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.loadAndStore(key, load).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Forgets everything (e.g. after a policy or configuration reload). */
  clear(): void {
    this.entries.clear();
  }

  /** Entries currently held (expired ones included until they are next looked at). */
  get size(): number {
    return this.entries.size;
  }

  private async loadAndStore(key: string, load: () => Promise<Cacheable<T>>): Promise<T> {
    const loaded = await load();
    if (loaded.until > this.now()) this.entries.set(key, loaded);
    return loaded.value;
  }
}
