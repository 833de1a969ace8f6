// Waiting in tests: poll a condition with a deadline, never a bare sleep.

/** Thrown by a probe when its condition can never come true (e.g. the process exited): waitFor
 *  rejects with it at once instead of polling on until its deadline. */
export class GiveUp extends Error {}

/** Resolves with the first truthy value of `probe`; rejects naming `what` after `timeoutMs`, or
 *  at once with the GiveUp the probe threw. Other errors of the probe count as "not yet". */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
