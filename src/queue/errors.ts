// QueueUnavailableError (503 FRESCO_QUEUE_UNAVAILABLE) is declared with every failure in ../errors.
import { isRetryable } from '../errors';

export { QueueUnavailableError, queueUnavailable } from '../errors';

/**
 * Thrown by a consumer's handler for a message that can never succeed (malformed, unknown kind):
 * the consumer rejects it without requeue, so it goes to the queue's dead-letter exchange instead
 * of being retried forever. Any error with `poison: true` is treated the same, so layers that must
 * not import the queue module can mark their own errors.
 */
export class PoisonMessageError extends Error {
  readonly poison = true;

  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** True when `err` asks for dead-lettering rather than a retry. */
export function isPoison(err: unknown): boolean {
  return err instanceof PoisonMessageError || (typeof err === 'object' && err !== null && (err as { poison?: unknown }).poison === true);
}

// Socket errors: the peer (database, broker, Keystone) is down or unreachable, not the message wrong.
const CONNECTIVITY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * True when a retry of the same message may succeed by itself: a registered failure marked
 * `retryable` (database, broker or engine unavailable), or a socket error. Everything else — a
 * refused value, a bug, a stack overflow — fails again on every retry.
 */
export function isTransientFailure(err: unknown): boolean {
  if (isRetryable(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTIVITY_CODES.has(code);
}

/** An error reduced to what is safe and useful in a log line (amqplib errors carry no URL). */
export function errSummary(err: unknown): { message: string; code?: unknown } | undefined {
  if (!err) return undefined;
  const e = err as { message?: string; code?: unknown };
  return { message: String(e.message ?? err), code: e.code };
}
