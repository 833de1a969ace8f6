import type { Channel } from 'amqplib';
import { MAX_PRIORITY } from '../domain/priority';

// The async calls queue. Durable queue + persistent messages + publisher confirms make an
// accepted call survive a broker restart; messages a consumer rejects as poison go, through a
// fanout dead-letter exchange, to `<name>.dlq` where an operator can look at them.
// RabbitMQ refuses (406) to re-declare an existing queue with different arguments: changing the
// dead-letter settings of a deployed queue needs a policy or deleting the queue.
// It is a priority queue (x-max-priority 9, docs/api.md "Priorities"). Queues before priorities were
// named `fresco.calls` and lack that argument, which cannot be added: the queue is now
// `fresco.calls.prio`; the sweeper republishes calls left in the old queue (docs/operations.md).

/** The call queue's default name: a priority queue (the older `fresco.calls` was not one). */
export const CALL_QUEUE = 'fresco.calls.prio';

/** Names of the call queue topology. */
export interface CallQueueTopology {
  queue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

/** Options of declareCallQueue. */
export interface CallQueueOptions {
  /** Queue name; default `fresco.calls.prio` (CALL_QUEUE). */
  name?: string;
  /** Dead-letter queue; default `<name>.dlq`. Its exchange is `<name>.dlx` (fanout). */
  deadLetterQueue?: string;
}

/** The names declareCallQueue uses for `options`. */
export function callQueueNames(options: CallQueueOptions = {}): CallQueueTopology {
  const queue = options.name ?? CALL_QUEUE;
  return { queue, deadLetterExchange: `${queue}.dlx`, deadLetterQueue: options.deadLetterQueue ?? `${queue}.dlq` };
}

/** Declares the durable call queue with its dead-letter exchange and queue; returns their names. Idempotent. */
export async function declareCallQueue(ch: Channel, options: CallQueueOptions = {}): Promise<CallQueueTopology> {
  const names = callQueueNames(options);
  await declareDeadLetter(ch, names.deadLetterExchange, names.deadLetterQueue);
  await ch.assertQueue(names.queue, { durable: true, deadLetterExchange: names.deadLetterExchange, maxPriority: MAX_PRIORITY });
  return names;
}

/** Declares a durable fanout dead-letter exchange and a durable queue bound to it. */
export async function declareDeadLetter(ch: Channel, exchange: string, queue: string, maxLength?: number): Promise<void> {
  await ch.assertExchange(exchange, 'fanout', { durable: true, autoDelete: false });
  await ch.assertQueue(queue, { durable: true, ...(maxLength ? { maxLength } : {}) });
  await ch.bindQueue(queue, exchange, '');
}
