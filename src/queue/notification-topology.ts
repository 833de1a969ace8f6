import type { Channel } from 'amqplib';
import { log } from '../log';
import type { AmqpConnection, DeclareContext } from './amqp-connection';
import type { ConsumeOptions, ConsumerHandle, MessageHandler } from './consumer';
import { errSummary, isTransientFailure } from './errors';
import { declareDeadLetter } from './call-topology';

// Fresco's own durable queue for OpenStack notifications, bound to each service's topic exchange
// (docs/openstack.md, Notifications). Never ceilometer's `notifications.info` queue:
// consumers of one queue compete, so we would steal its messages.
//
// Exchange durability is the cloud's choice (amqp_durable_queues / rabbit_quorum_queue), and a
// mismatching declare gets 406 — from us, or worse, from the publisher if we created the exchange
// first with the wrong flag (Swift's proxy then fails every notifying request). So by default
// ('passive') we never create an exchange: we check it and, if it does not exist yet (service not
// deployed, or nothing published since the broker started), retry the binding periodically. An
// operator who knows the cloud's flag may set exchangeDurable true/false: then we declare it with
// that flag, as oslo.messaging would, and bind from the start.

/** Options of declareNotificationQueue; only `exchanges` is required. */
export interface NotificationQueueOptions {
  /** Our queue; default `fresco-notifications`. Names `notifications.*` are refused. */
  queue?: string;
  /** Exchanges to bind to, e.g. ['swift', 'nova', 'openstack']. */
  exchanges: string[];
  /** Binding key(s); default `notifications.info`. */
  routingKey?: string | string[];
  /**
   * 'passive' (default): only check (on a throwaway channel) and bind existing exchanges, retrying
   * missing ones; 'true'/'false' (or booleans): declare them topic with that durability — it must
   * equal the cloud's `amqp_durable_queues || rabbit_quorum_queue`, else 406.
   */
  exchangeDurable?: boolean | 'passive' | 'true' | 'false';
  /** auto_delete for exchanges we declare (oslo's amqp_auto_delete); default false. */
  exchangeAutoDelete?: boolean;
  /** Dead-letter queue for poison notifications; default `<queue>.dlq` (exchange `<queue>.dlx`). */
  deadLetterQueue?: string;
  /** x-max-length of our queue and its DLQ (oldest dropped first) so they cannot grow forever; default none. */
  maxLength?: number;
  /** How often exchanges that were missing are tried again; default 2 000 ms (a non-durable exchange vanishes with a broker restart and comes back with its service's next publish). */
  retryMissingMs?: number;
}

function exchangeDurability(v: NotificationQueueOptions['exchangeDurable']): boolean | 'passive' {
  if (v === undefined || v === 'passive') return 'passive';
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`exchangeDurable must be 'passive', 'true' or 'false', not ${JSON.stringify(v)}`);
}

/** The declared notification queue; keeps binding exchanges that appear later until stopped. */
export class NotificationQueue {
  readonly queue: string;
  readonly deadLetterQueue: string;
  private readonly routingKeys: string[];
  private readonly bound = new Set<string>();
  private readonly warned = new Set<string>();
  private timer?: NodeJS.Timeout;
  private retrying = false;

  constructor(private readonly conn: AmqpConnection, private readonly options: NotificationQueueOptions) {
    this.queue = options.queue ?? 'fresco-notifications';
    if (/^(versioned_)?notifications\./.test(this.queue)) {
      throw new Error(`notification queue "${this.queue}" would compete with ceilometer's; pick another name`);
    }
    this.deadLetterQueue = options.deadLetterQueue ?? `${this.queue}.dlq`;
    const rk = options.routingKey ?? 'notifications.info';
    this.routingKeys = Array.isArray(rk) ? rk : [rk];
    exchangeDurability(options.exchangeDurable); // fail at start-up, not on connect
  }

  /** Exchanges not bound yet (missing, or declared with other flags). */
  get missing(): string[] {
    return this.options.exchanges.filter((e) => !this.bound.has(e));
  }

  /** Declares the queues and binds every exchange it can; run on each (re)connect. */
  async declare(ctx: DeclareContext): Promise<void> {
    const max = this.options.maxLength;
    await declareDeadLetter(ctx.channel, `${this.queue}.dlx`, this.deadLetterQueue, max);
    await ctx.channel.assertQueue(this.queue, {
      durable: true, deadLetterExchange: `${this.queue}.dlx`, ...(max ? { maxLength: max } : {}),
    });
    this.bound.clear();
    for (const exchange of this.options.exchanges) await this.bindOne(ctx.openChannel, exchange);
  }

  /** Starts the periodic retry of missing exchanges. Idempotent. */
  startRetrying(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.retryMissing(), this.options.retryMissingMs ?? 2_000);
    this.timer.unref();
  }

  /**
   * Consumes our queue (never ceilometer's): ack after `handler` resolves. A notification is the
   * same bytes on every retry, so only transient failures (`isTransient`, default
   * isTransientFailure) are requeued — after 1 s, doubling up to 30 s, at most 20 attempts; any
   * other error, and PoisonMessageError, sends it to `<queue>.dlq` at once. At least once:
   * de-duplicate on the oslo `message_id` inside the body (oslo sets no AMQP message_id).
   */
  consumeNotifications(handler: MessageHandler, prefetch = 10,
    options: Omit<ConsumeOptions, 'prefetch'> = {}): ConsumerHandle {
    return this.conn.consume(this.queue, handler, { isTransient: isTransientFailure, maxRequeueDelayMs: 30_000, maxAttempts: 20, ...options, prefetch });
  }

  /** Stops retrying; bindings and the queue stay (they are durable). Idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async retryMissing(): Promise<void> {
    const model = this.conn.model;
    if (!model || this.retrying || this.missing.length === 0) return;
    this.retrying = true;
    try {
      const openChannel = async () => {
        const ch = await model.createChannel();
        ch.on('error', () => undefined);
        return ch;
      };
      for (const exchange of this.missing) await this.bindOne(openChannel, exchange);
    } catch (err) {
      log.debug({ err: errSummary(err) }, 'retrying notification bindings failed; next time');
    } finally {
      this.retrying = false;
    }
  }

  /** Checks or declares `exchange` and binds our queue to it, on a throwaway channel (a failure closes it). */
  private async bindOne(openChannel: () => Promise<Channel>, exchange: string): Promise<void> {
    const ch = await openChannel();
    try {
      const durable = exchangeDurability(this.options.exchangeDurable);
      if (durable === 'passive') await ch.checkExchange(exchange);
      else await ch.assertExchange(exchange, 'topic', { durable, autoDelete: this.options.exchangeAutoDelete ?? false });
      for (const key of this.routingKeys) await ch.bindQueue(this.queue, exchange, key);
      this.bound.add(exchange);
      if (this.warned.delete(exchange)) log.info({ exchange, queue: this.queue }, 'notification exchange now bound');
    } catch (err) {
      if (!this.warned.has(exchange)) {
        this.warned.add(exchange);
        log.warn({ exchange, queue: this.queue, err: errSummary(err) },
          'notification exchange not bound (does not exist yet, or its durability differs); retrying quietly');
      }
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
}

/**
 * Declares Fresco's notification queue (durable, with DLQ) on `conn` — now if connected and on
 * every reconnect — binds it to each existing exchange and keeps retrying missing ones.
 */
export async function declareNotificationQueue(conn: AmqpConnection,
  options: NotificationQueueOptions): Promise<NotificationQueue> {
  const nq = new NotificationQueue(conn, options);
  await conn.declare((ctx) => nq.declare(ctx));
  nq.startRetrying();
  return nq;
}
