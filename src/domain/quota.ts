// Per-project quotas (docs/api.md, "Quotas"): what they are and the rate limiter of the runs.

/** The limits names, as the wire, the errors and the config options name them. */
export const QUOTA_LIMITS = ['running_calls', 'queued_calls', 'calls_per_second'] as const;
export type QuotaLimit = typeof QUOTA_LIMITS[number];

/** A project's limits; 0 means unlimited. */
export type Quota = Record<QuotaLimit, number>;

/** What an admin set for a project: a null limit falls back to the configured default. */
export type QuotaOverride = Record<QuotaLimit, number | null>;

export interface QuotaStore {
  /** The project's override, if an admin set one. */
  get(projectId: string): Promise<QuotaOverride | undefined>;
  put(projectId: string, q: QuotaOverride): Promise<void>;
  /** True when there was an override. */
  delete(projectId: string): Promise<boolean>;
  /** How many of the project's calls have this status (async calls; sync ones once they ran a second). */
  count(projectId: string, status: 'queued' | 'running'): Promise<number>;
  /**
   * Puts the claimed call `id` back in the queue for `delayMs` (durably, as a retry waits: not_before; its
   * attempt not counted) when its project runs more than `max` calls, itself included; true when it did.
   * Checks of one project are serialized, so of calls claimed together exactly those over `max` go back.
   */
  holdBackIfOver(projectId: string, id: string, engineId: string, max: number, delayMs: number): Promise<boolean>;
}

/**
 * A token bucket: `rate` tokens a second, at most `rate` kept (a burst of one second's worth).
 * `take` spends one and answers 0, or answers how many seconds until one is there (nothing spent).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private rate: number, now: number) {
    this.tokens = rate;
    this.last = now;
  }

  /** The rate changed (an admin set the quota): keeps the tokens, capped to the new burst. */
  setRate(rate: number): void {
    this.rate = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  get currentRate(): number {
    return this.rate;
  }

  take(now: number): number {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = Math.max(this.last, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.rate;
  }

  /** Full again: nothing would be lost by forgetting it. */
  isFull(now: number): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.rate >= this.rate;
  }
}
