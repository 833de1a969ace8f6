// QueueUnavailableError (503 FRESCO_QUEUE_UNAVAILABLE) is declared with every failure in ../errors.
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

/** An error reduced to what is safe and useful in a log line (amqplib errors carry no URL). */
export function errSummary(err: unknown): { message: string; code?: unknown } | undefined {
  if (!err) return undefined;
  const e = err as { message?: string; code?: unknown };
  return { message: String(e.message ?? err), code: e.code };
}
