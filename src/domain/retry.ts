// A route's retry policy (docs/api.md, "Retries"): how many more times an async call runs after a
// failed attempt, how long it waits before each, and which outcomes count as failed. No I/O here.

/** Outcomes a route may retry; success and cancelled never are. */
export const RETRY_OUTCOMES = ['error', 'timeout'] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

export interface RetryPolicy {
  /** Further attempts after the first (0: none). */
  retries: number;
  /** Seconds before the first retry. */
  delay: number;
  /** Each further wait is the previous one times this. */
  backoff: number;
  /** Seconds no wait exceeds (before jitter). */
  maxDelay: number;
  on: RetryOutcome[];
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ retries: 0, delay: 1, backoff: 2, maxDelay: 300, on: ['error', 'timeout'] }) as RetryPolicy;

/** Whether a call whose attempt number `attempt` (1 = first run) ended `status` runs again. */
export function shouldRetry(p: RetryPolicy, status: string, attempt: number): boolean {
  return attempt <= p.retries && (p.on as readonly string[]).includes(status);
}

/**
 * The wait before the attempt after `attempt`, in ms: delay × backoff^(attempt−1), capped at
 * maxDelay, with "equal jitter" (between half and all of it), so waits never shrink from one
 * attempt to the next when backoff ≥ 2 and spread callers that failed together.
 */
export function retryDelayMs(p: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxDelay, p.delay * p.backoff ** (attempt - 1));
  return Math.round(1000 * base * (0.5 + random() * 0.5));
}
