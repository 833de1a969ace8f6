import { createHash } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { QueueConsumer, QueueMessage } from '../domain/queue';
import { log } from '../log';
import type { AmqpConnection } from './amqp-connection';
import { errSummary, isPoison } from './errors';
import { ChannelKeeper } from './channel-keeper';

// Manual ack after the handler resolves: a message is removed from the queue only once its effect
// is recorded. Messages whose handlers resolved in the same turn of the event loop (a batch of calls
// whose outcomes one statement recorded) are acked together, several per ack frame where they follow
// one another. Delivery is AT LEAST ONCE: a message in flight when the connection or channel drops
// (handler still running, or its ack lost) is redelivered by the broker, `redelivered` set, to this
// or another consumer — handlers must be idempotent (de-duplicate on messageId or on their own key).

export type { QueueMessage };

/**
 * Resolve = done (ack). Throw PoisonMessageError (or `poison: true`) = dead-letter. Other throws: retried
 * later when `isTransient` says so (by default always), else dead-lettered (see ConsumeOptions).
 */
export type MessageHandler = (msg: QueueMessage) => Promise<void>;

/** Options of one consume(). */
export interface ConsumeOptions {
  /** Unacked messages this consumer holds at once (its concurrency); default 10. */
  prefetch?: number;
  /** Delay before a failed (non-poison) message is first requeued, so a failing handler does not spin; default 1000 ms. */
  requeueDelayMs?: number;
  /**
   * Which failures are worth retrying: those whose cause goes away by itself (database or broker
   * unavailable). Any other error dead-letters the message on its first failure, with a log line,
   * so it can neither spin nor hold a prefetch slot for ever. Default: every error is retried.
   */
  isTransient?: (err: unknown) => boolean;
  /** Each further retry of the same message waits twice as long, up to this; default `requeueDelayMs` (no growth). */
  maxRequeueDelayMs?: number;
  /** Failures of one message after which it is dead-lettered even if transient; default unbounded. */
  maxAttempts?: number;
  /** On stop, how long running handlers may finish (and ack) before the channel closes; default 10 000 ms. */
  drainTimeoutMs?: number;
}

/** A running consumer; `stop()` cancels it and returns its unacked messages to the queue. */
export type ConsumerHandle = QueueConsumer;

/**
 * Consumes `queue` on its own channel (re-opened and re-registered after any reconnect) and calls
 * `handler` for each message, up to `prefetch` at once. The queue must exist (declare it first).
 */
export function consume(conn: AmqpConnection, queue: string, handler: MessageHandler,
  options: ConsumeOptions = {}): ConsumerHandle {
  const consumer = new MessageConsumer(queue, handler, options);
  const keeper = new ChannelKeeper<Channel>(conn, {
    name: `consumer ${queue}`,
    confirm: false,
    setup: (ch) => consumer.attach(ch),
  });
  keeper.start();
  return {
    async stop() {
      await consumer.drain(keeper.current);
      await keeper.stop();
    },
  };
}

/** One channel's deliveries not settled yet (in delivery-tag order), and those whose handler succeeded since the last flush. */
interface Unsettled {
  delivered: Map<number, ConsumeMessage>;
  done: Set<number>;
  flushing: boolean;
}

class MessageConsumer {
  private stopping = false;
  private readonly unsettled = new WeakMap<Channel, Unsettled>();
  private consumerTag?: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Failures so far of messages being retried, by message key; forgotten once a message is settled. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly queue: string, private readonly handler: MessageHandler,
    private readonly options: ConsumeOptions) {}

  async attach(ch: Channel): Promise<void> {
    await ch.prefetch(this.options.prefetch ?? 10);
    const state: Unsettled = { delivered: new Map(), done: new Set(), flushing: false };
    this.unsettled.set(ch, state);
    const { consumerTag } = await ch.consume(this.queue, (msg) => {
      // null: the broker cancelled us (queue deleted); closing the channel makes the keeper retry.
      if (!msg) return void ch.close().catch(() => undefined);
      state.delivered.set(msg.fields.deliveryTag, msg);
      this.track(this.handle(ch, msg));
    }, { noAck: false });
    this.consumerTag = consumerTag;
  }

  /** Stops new deliveries, lets running handlers finish (bounded), drops pending requeues. */
  async drain(ch: Channel | undefined): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => { timer = setTimeout(r, this.options.drainTimeoutMs ?? 10_000); });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    clearTimeout(timer);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    try {
      await this.handler(toQueueMessage(msg));
      this.forget(msg);
      this.ack(ch, msg);
    } catch (err) {
      this.failed(ch, msg, err);
    }
  }

  /**
   * Acks `msg` at the end of this turn of the event loop, with the others that succeeded in it:
   * the longest run of them from the oldest unsettled delivery in one ack (multiple), the rest one
   * each. Only messages whose handler resolved (their outcome recorded) are ever acked.
   */
  private ack(ch: Channel, msg: ConsumeMessage): void {
    const state = this.unsettled.get(ch);
    if (!state) return settle(ch, () => ch.ack(msg));
    state.done.add(msg.fields.deliveryTag);
    if (state.flushing) return;
    state.flushing = true;
    setImmediate(() => {
      state.flushing = false;
      let last: ConsumeMessage | undefined;
      for (const [tag, m] of state.delivered) {
        if (!state.done.has(tag)) break;
        last = m;
        state.delivered.delete(tag);
        state.done.delete(tag);
      }
      if (last) settle(ch, () => ch.ack(last, true));
      for (const tag of state.done) {
        const m = state.delivered.get(tag);
        state.delivered.delete(tag);
        if (m) settle(ch, () => ch.ack(m));
      }
      state.done.clear();
    });
  }

  /** `msg` was nacked: no ack of several may cover it. */
  private settled(ch: Channel, msg: ConsumeMessage): void {
    this.unsettled.get(ch)?.delivered.delete(msg.fields.deliveryTag);
  }

  /** The one place a failure is classified: dead-letter it now, or requeue it after a growing delay. */
  private failed(ch: Channel, msg: ConsumeMessage, err: unknown): void {
    const ids = { queue: this.queue, messageId: msg.properties.messageId, redelivered: msg.fields.redelivered };
    if (isPoison(err)) return this.deadLetter(ch, msg, { ...ids, err: errSummary(err) }, 'poison message: dead-lettered');
    if (!(this.options.isTransient?.(err) ?? true)) {
      return this.deadLetter(ch, msg, { ...ids, err: errSummary(err) }, 'message failed for a reason a retry cannot fix: dead-lettered');
    }
    const key = messageKey(msg);
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    if (attempt >= (this.options.maxAttempts ?? Infinity)) {
      return this.deadLetter(ch, msg, { ...ids, attempt, err: errSummary(err) }, 'message still failing after its last retry: dead-lettered');
    }
    if (this.attempts.size >= MAX_TRACKED) this.attempts.delete(this.attempts.keys().next().value!);
    this.attempts.set(key, attempt);
    log.warn({ ...ids, attempt, err: errSummary(err) }, 'message handler failed; requeueing it');
    this.requeueLater(ch, msg, attempt);
  }

  private deadLetter(ch: Channel, msg: ConsumeMessage, fields: Record<string, unknown>, why: string): void {
    log.error(fields, why);
    this.forget(msg);
    this.settled(ch, msg);
    settle(ch, () => ch.nack(msg, false, false));
  }

  private forget(msg: ConsumeMessage): void {
    if (this.attempts.size > 0) this.attempts.delete(messageKey(msg));
  }

  private requeueLater(ch: Channel, msg: ConsumeMessage, attempt: number): void {
    if (this.stopping) return; // closing the channel requeues it anyway
    const first = this.options.requeueDelayMs ?? 1000;
    const delay = Math.min(first * 2 ** (attempt - 1), Math.max(first, this.options.maxRequeueDelayMs ?? first));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settled(ch, msg);
      settle(ch, () => ch.nack(msg, false, true));
    }, delay);
    this.timers.add(timer);
  }
}

/** Bound on the retry bookkeeping (one small entry per message being retried). */
const MAX_TRACKED = 10_000;

/** What identifies a message across its redeliveries: its AMQP message-id, else its body (oslo sets none). */
function messageKey(msg: ConsumeMessage): string {
  const id = msg.properties.messageId;
  return id === undefined ? `sha1:${createHash('sha1').update(msg.content).digest('hex')}` : `id:${String(id)}`;
}

/** Acks/nacks on a channel that may have closed meanwhile: then the broker redelivers, nothing to do. */
function settle(ch: Channel, fn: () => void): void {
  try {
    fn();
  } catch {
    log.debug('channel closed before ack/nack; the broker will redeliver');
  }
}

function toQueueMessage(msg: ConsumeMessage): QueueMessage {
  return {
    content: msg.content,
    messageId: msg.properties.messageId === undefined ? undefined : String(msg.properties.messageId),
    headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
    redelivered: msg.fields.redelivered,
    exchange: msg.fields.exchange,
    routingKey: msg.fields.routingKey,
    contentEncoding: msg.properties.contentEncoding === undefined ? undefined : String(msg.properties.contentEncoding),
    contentType: msg.properties.contentType === undefined ? undefined : String(msg.properties.contentType),
  };
}
