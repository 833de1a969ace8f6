import type { CallQueue, QueueConsumer, QueuedCallRunner } from '../domain/queue';
import type { AmqpConnection } from './amqp-connection';
import { type CallQueueOptions, type CallQueueTopology, callQueueNames, declareCallQueue } from './call-topology';
import type { ConsumeOptions, ConsumerHandle } from './consumer';
import { PoisonMessageError } from './errors';
import { DEFAULT_PRIORITY } from '../domain/priority';

// The CallQueue port over RabbitMQ: the message is just the call id (the database holds the call),
// sent persistent with publisher confirms, with the call's priority, to the durable priority queue
// `fresco.calls.prio`, whose rejected (poison) messages go through the fanout exchange
// `fresco.calls.prio.dlx` to `fresco.calls.prio.dlq`.
// The topology is registered on the connection the first time it is needed (publish, consume
// or declare) and re-declared on every reconnect.

/** CallQueue on RabbitMQ; `publish` resolves once the broker confirmed, else throws FRESCO_QUEUE_UNAVAILABLE. */
export class AmqpCallQueue implements CallQueue {
  readonly names: CallQueueTopology;
  /** A publish the broker never confirmed (this process died first) is found by the sweeper after this long. */
  readonly republishAfterMs = 30_000;
  private declared?: Promise<void>;
  /** Ids whose publish failed (broker away); published again as soon as the connection is back. */
  private readonly unsent = new Map<string, number | undefined>();

  constructor(private readonly conn: AmqpConnection, options: CallQueueOptions = {}) {
    this.names = callQueueNames(options);
    conn.on('connected', () => void this.resend());
  }

  /** Registers the queue topology on the connection (declared now if connected, and after each reconnect). Idempotent. */
  declare(): Promise<void> {
    this.declared ??= this.conn.declare(async ({ channel }) => {
      await declareCallQueue(channel, { name: this.names.queue, deadLetterQueue: this.names.deadLetterQueue });
    }).catch((err: unknown) => {
      this.declared = undefined;
      throw err;
    });
    return this.declared;
  }

  /** Queues `callId` durably; resolves after the broker's confirm. Throws FrescoError FRESCO_QUEUE_UNAVAILABLE (503). */
  async publish(callId: string, priority?: number): Promise<void> {
    try {
      await this.declare();
      await this.conn.publish('', this.names.queue, Buffer.from(callId, 'utf8'), {
        messageId: callId, contentType: 'text/plain', persistent: true, priority: priority ?? DEFAULT_PRIORITY,
      });
      this.unsent.delete(callId);
    } catch (err) {
      // The call is durable in the database; this process re-sends it on reconnect (and the
      // engines' sweeper republishes stale queued calls should this process die first).
      if (this.unsent.size < 100_000) this.unsent.set(callId, priority);
      throw err;
    }
  }

  private async resend(): Promise<void> {
    for (const [id, priority] of [...this.unsent]) {
      if (!this.unsent.has(id)) continue;
      try {
        await this.publish(id, priority);
      } catch {
        return; // the connection went again; the next 'connected' resumes
      }
    }
  }

  /**
   * Hands each queued call to `runner.claimAndRun`, up to `prefetch` at once (the runner's
   * concurrency): acked once the outcome is recorded; a call put back (process stopping, Docker
   * down) is nacked and redelivered.
   */
  consume(runner: QueuedCallRunner, prefetch: number): Promise<QueueConsumer> {
    return this.consumeCalls((id) => runner.claimAndRun(id).then(() => undefined), prefetch);
  }

  /**
   * Hands each queued call id to `handler` (e.g. `id => runner.claimAndRun(id)`), up to `prefetch` at
   * once (set it to the engine's concurrency). The message is acked once `handler` resolves, i.e.
   * after the outcome is recorded; a throw requeues it after ~1 s (at least once: handlers must
   * tolerate a call id they already ran); a PoisonMessageError, or a body that is not an id,
   * dead-letters it to `fresco.calls.prio.dlq`.
   */
  async consumeCalls(handler: (callId: string) => Promise<void>, prefetch = 10,
    options: Omit<ConsumeOptions, 'prefetch'> = {}): Promise<ConsumerHandle> {
    await this.declare();
    return this.conn.consume(this.names.queue, async (msg) => {
      const id = msg.content.toString('utf8').trim();
      if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw new PoisonMessageError('call message is not a call id');
      await handler(id);
    }, { ...options, prefetch });
  }
}
