import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message } from 'amqplib';
import { log } from '../log';
import { withDeadline } from '../timing';
import type { AmqpConnection } from './amqp-connection';
import { ChannelKeeper } from './channel-keeper';
import { queueUnavailable } from './errors';

// A publish resolves only once the broker has confirmed it, i.e. the message is in a queue (on
// disk for a durable queue and persistent message). Until then the caller must not tell its own
// client "accepted". If the channel or connection dies before the confirm, the message is sent
// again on the next channel: a duplicate is possible, a silent loss is not (at least once).

/** Options of a ConfirmPublisher. */
export interface ConfirmPublisherOptions {
  /** How long a publish may wait for a connection and the confirm before it fails with 503; default 30 000 ms. */
  timeoutMs?: number;
}

/** Per-message options; `persistent` defaults to true. */
export interface PublishOptions {
  /** AMQP message_id; generated (uuid) when absent. Consumers use it to de-duplicate. */
  messageId?: string;
  headers?: Record<string, unknown>;
  /** delivery_mode 2: survives a broker restart on a durable queue. Default true. */
  persistent?: boolean;
  contentType?: string;
  /** AMQP priority (0–9); a priority queue delivers higher first. */
  priority?: number;
}

class Unroutable extends Error {}

/** Publishes with publisher confirms; rejects with QueueUnavailableError (FRESCO_QUEUE_UNAVAILABLE, 503) instead of losing. */
export class ConfirmPublisher {
  private readonly keeper: ChannelKeeper<ConfirmChannel>;
  private readonly returned = new Set<string>();
  private readonly timeoutMs: number;

  constructor(conn: AmqpConnection, options: ConfirmPublisherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.keeper = new ChannelKeeper<ConfirmChannel>(conn, {
      name: 'publisher',
      confirm: true,
      setup: async (ch) => {
        // mandatory publishes nobody routes come back here before their confirm.
        ch.on('return', (msg: Message) => this.returned.add(returnKey(msg.fields.exchange, msg.fields.routingKey,
          String(msg.properties.messageId))));
      },
    });
  }

  /** Starts keeping a confirm channel open (the connection itself is started by its owner). Idempotent. */
  start(): void {
    this.keeper.start();
  }

  /** Closes the channel; publishes still waiting reject. Idempotent. */
  async stop(): Promise<void> {
    await this.keeper.stop();
  }

  /**
   * Publishes `content` to `exchange` ('' = the default exchange, `routingKey` = queue name) and
   * resolves once the broker confirms it. Rejects with QueueUnavailableError when no connection
   * came within the timeout, the broker nacked it, or nothing routes it.
   */
  async publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const messageId = options.messageId ?? randomUUID();
    for (let attempt = 0; ; attempt++) {
      // A channel that is closing may still be handed out for a moment; don't spin on it.
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
      const ch = await this.keeper.get(deadline - Date.now());
      if (!ch) throw queueUnavailable(`the message queue did not accept the message within ${this.timeoutMs} ms`);
      try {
        await withDeadline(this.confirmOne(ch, exchange, routingKey, content, { ...options, messageId }),
          deadline - Date.now(),
          () => queueUnavailable(`the message queue did not confirm the message within ${this.timeoutMs} ms`));
        return;
      } catch (err) {
        if (queueUnavailable.is(err)) throw err;
        if (err instanceof Unroutable) {
          throw queueUnavailable(`no queue is bound to exchange "${exchange}" with key "${routingKey}"`);
        }
        if ((err as Error).message === 'message nacked') {
          throw queueUnavailable('the message queue refused the message (nack); try again later');
        }
        // The channel died before the confirm: send again on the next one (at least once).
        log.debug({ err: (err as Error).message, messageId, attempt }, 'publish not confirmed; resending');
      }
    }
  }

  private confirmOne(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer,
    options: PublishOptions & { messageId: string }): Promise<void> {
    const key = returnKey(exchange, routingKey, options.messageId);
    return new Promise<void>((resolve, reject) => {
      const onConfirm = (err: unknown) => {
        const wasReturned = this.returned.delete(key);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (wasReturned) reject(new Unroutable());
        else resolve();
      };
      // publish throws at once on a channel that is already closed; that is a retry, too.
      ch.publish(exchange, routingKey, content, {
        messageId: options.messageId, headers: options.headers, persistent: options.persistent ?? true,
        contentType: options.contentType, mandatory: true, ...(options.priority !== undefined ? { priority: options.priority } : {}),
      }, onConfirm);
    });
  }
}

function returnKey(exchange: string, routingKey: string, messageId: string): string {
  return `${exchange}\u0000${routingKey}\u0000${messageId}`;
}
