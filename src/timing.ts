// Timing helpers shared by the queue, the Keystone client and the store: retry delays and deadlines.

/** Retry timing: exponential from `initialMs`, capped at `maxMs`, with ±`jitter` (fraction) spread. */
export interface BackoffOptions {
  /** First delay; default 500 ms. */
  initialMs?: number;
  /** Cap; default 30 000 ms. */
  maxMs?: number;
  /** Random spread as a fraction of the delay (0..1); default 0.2, so replicas do not retry in step. */
  jitter?: number;
}

/** The delay before retry number `attempt` (0-based), never above `maxMs`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs = 500, maxMs = 30_000, jitter = 0.2 } = options;
  // Cap the base first so that the jittered value stays under the cap too.
  const base = Math.min(initialMs * 2 ** Math.min(attempt, 30), maxMs / (1 + jitter));
  const spread = base * jitter * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/** `work`, or a rejection with `onTimeout()` once `ms` passed; the losing promise is left to its own timeouts. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
