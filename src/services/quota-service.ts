import { z } from 'zod';
import { quotaExceeded } from '../errors';
import { QUOTA_LIMITS, type Quota, type QuotaLimit, type QuotaOverride, type QuotaStore, TokenBucket } from '../domain/quota';
import { parseInput } from './validation';

/** How long a call claimed over its project's running limit waits before it is offered again. */
export const DEFER_MS = 1000;

const limit = z.union([z.int({ error: 'must be a whole number ≥ 0 or null' }).min(0, 'must be at least 0 (0: unlimited)'), z.null()]);

/** PUT /v1/{project_id}/quotas: the limits to change; null puts one back to the configured default. */
export const updateSchema = z.strictObject({
  running_calls: limit.optional(), queued_calls: limit.optional(), calls_per_second: limit.optional(),
});

/** A project's quotas as GET shows them. */
export interface QuotaView {
  projectId: string;
  /** The limits in force (0: unlimited). */
  quota: Quota;
  /** What an admin set (null: the default), or undefined. */
  override?: QuotaOverride;
  defaults: Quota;
}

/**
 * Per-project quotas (docs/api.md, "Quotas"): admits runs at the API (rate per process, queued and
 * running counts in the database) and tells the async runner which claimed calls must wait.
 */
export class QuotaService {
  private readonly cache = new Map<string, { quota: Quota; at: number }>();
  private readonly buckets = new Map<string, TokenBucket>();

  /** `cacheMs`: how long a project's limits are kept in this process (a PUT elsewhere shows after it). */
  constructor(private readonly deps: { store: QuotaStore; defaults: Quota; cacheMs?: number; now?: () => number }) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The limits in force for the project. */
  async effective(projectId: string): Promise<Quota> {
    const hit = this.cache.get(projectId);
    if (hit && this.now() - hit.at < (this.deps.cacheMs ?? 2000)) return hit.quota;
    const quota = merge(this.deps.defaults, await this.deps.store.get(projectId));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(projectId, { quota, at: this.now() });
    return quota;
  }

  async show(projectId: string): Promise<QuotaView> {
    this.cache.delete(projectId);
    const override = await this.deps.store.get(projectId);
    return { projectId, quota: merge(this.deps.defaults, override), override, defaults: this.deps.defaults };
  }

  /** Sets the limits named in `body` (others keep their value); null puts one back to the default. */
  async update(projectId: string, body: unknown): Promise<QuotaView> {
    const input = parseInput(updateSchema, body ?? {}, 'quota');
    const current = await this.deps.store.get(projectId);
    const next = Object.fromEntries(QUOTA_LIMITS.map((k) => [k, input[k] !== undefined ? input[k] : current?.[k] ?? null])) as QuotaOverride;
    await this.deps.store.put(projectId, next);
    return this.show(projectId);
  }

  /** Back to the configured defaults; false when there was no override. */
  async delete(projectId: string): Promise<boolean> {
    const had = await this.deps.store.delete(projectId);
    this.cache.delete(projectId);
    return had;
  }

  /** Throws 429 FRESCO_QUOTA_EXCEEDED when a run of the project must be refused now: over its rate, or (async)
   *  its queued calls, or (sync) its running calls at their limit. Async calls never wait for running_calls here. */
  async admit(projectId: string, mode: 'sync' | 'async'): Promise<void> {
    if (this.admitNow(projectId, mode)) return;
    const q = await this.effective(projectId);
    this.takeToken(projectId, q.calls_per_second);
    const which: QuotaLimit = mode === 'async' ? 'queued_calls' : 'running_calls';
    const max = q[which];
    if (max > 0 && await this.deps.store.count(projectId, mode === 'async' ? 'queued' : 'running') >= max) {
      throw quotaExceeded(which, max, 1);
    }
  }

  /**
   * admit() without waiting, when the project's limits are cached (fresh) and the count limit
   * that applies is 0 (unlimited): true when the run is admitted (its rate token taken), throws as
   * admit() does; false when only admit() can tell (nothing was taken). The hot path's usual case
   * (no quotas) then costs no promise and no await.
   */
  admitNow(projectId: string, mode: 'sync' | 'async'): boolean {
    const hit = this.cache.get(projectId);
    if (!hit || this.now() - hit.at >= (this.deps.cacheMs ?? 2000)) return false;
    if (hit.quota[mode === 'async' ? 'queued_calls' : 'running_calls'] > 0) return false;
    this.takeToken(projectId, hit.quota.calls_per_second);
    return true;
  }

  /** Puts a claimed async call back in the queue for DEFER_MS when its project already runs running_calls
   *  calls; true when it did (the call waits, never dropped: the fair share between projects). */
  async holdBack(projectId: string, id: string, engineId: string): Promise<boolean> {
    const max = (await this.effective(projectId)).running_calls;
    return max > 0 && this.deps.store.holdBackIfOver(projectId, id, engineId, max, DEFER_MS);
  }

  private takeToken(projectId: string, rate: number): void {
    if (rate <= 0) {
      this.buckets.delete(projectId);
      return;
    }
    const now = this.now();
    let bucket = this.buckets.get(projectId);
    if (!bucket) {
      if (this.buckets.size > 10_000) for (const [p, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(p);
      bucket = new TokenBucket(rate, now);
      this.buckets.set(projectId, bucket);
    } else if (bucket.currentRate !== rate) {
      bucket.setRate(rate);
    }
    const waitS = bucket.take(now);
    if (waitS > 0) throw quotaExceeded('calls_per_second', rate, Math.max(1, Math.ceil(waitS)));
  }
}

function merge(defaults: Quota, o?: QuotaOverride): Quota {
  return Object.fromEntries(QUOTA_LIMITS.map((k) => [k, o?.[k] ?? defaults[k]])) as Quota;
}
