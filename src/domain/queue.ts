// The queue port: how accepted async calls reach the processes that run them, and the shape of
// a delivered message. Implemented in src/services/local-call-queue.ts (the database is the queue)
// and src/queue (RabbitMQ). No I/O here.
import type { ClaimedCall } from './models';

/** A message as the broker delivered it: src/queue makes it from AMQP frames, src/events decodes its content. */
export interface QueueMessage {
  content: Buffer;
  messageId?: string;
  headers: Record<string, unknown>;
  /** True when the broker delivered it before (possibly handled already). */
  redelivered: boolean;
  /** The exchange it was published to (for a notification, its service's control exchange, e.g. `swift`). */
  exchange: string;
  /** For a notification `<topic>.<priority>`, e.g. `notifications.info`. */
  routingKey: string;
  /** AMQP content_encoding (oslo sends `utf-8`). */
  contentEncoding?: string;
  contentType?: string;
}

/** What a queue hands calls to: it claims them (the database decides who runs a call) and runs them. */
export interface QueuedCallRunner {
  /** Free slots for more calls. */
  readonly free: number;
  /** Takes call `id` if it is queued and runs it to a final status; false when it was not ours to take.
   *  Throws when the call was put back in the queue instead (process stopping, Docker unusable). */
  claimAndRun(id: string): Promise<boolean>;
  /** Takes as many queued calls (highest aged priority, then oldest) as there are free slots (one statement) and runs them
   *  in the background, `onDone` after each; returns how many it took. */
  claimQueued(onDone: () => void): Promise<number>;
  /** Takes a free slot for a call accepted in this process (see HereSlot), `onDone` after its run; undefined unless
   *  more than `waiting` slots are free (those are for queued calls known to wait). */
  reserve?(onDone: () => void, waiting?: number): HereSlot | undefined;
}

/** A slot of this process's engine taken for a call accepted here (CallQueue.runHere): the call is recorded as
 *  claimed by `engineId` (CallStore.enqueue's runHere) and then run, or the slot is given back. */
export interface HereSlot {
  readonly engineId: string;
  readonly leaseMs: number;
  /** Runs the call recorded as claimed to a final status, in the background. */
  run(claimed: ClaimedCall): void;
  /** The call was not recorded (a duplicate, an error): the slot is free again. */
  release(): void;
}

/** A running consumer of a queue; `stop()` lets the calls it handed out finish or go back. */
export interface QueueConsumer {
  stop(): Promise<void>;
}

/** Hands queued call ids to engines. The call's record is written before `publish`. */
export interface CallQueue {
  /** Resolves once the id is durably queued; throws FrescoError FRESCO_QUEUE_UNAVAILABLE otherwise.
   *  `priority` (0–9, default DEFAULT_PRIORITY) orders it among queued calls (docs/api.md, "Priorities"). */
  publish(callId: string, priority?: number): Promise<void>;
  /** Hands this queue's calls to `runner`, up to `prefetch` at once, until the consumer is stopped. */
  consume(runner: QueuedCallRunner, prefetch: number): Promise<QueueConsumer>;
  /** A slot of this process's runner for a call being accepted, when one is free and no queued call waits for it
   *  (the call would be the next one taken anyway); undefined otherwise, or when the queue has no such shortcut. */
  runHere?(): HereSlot | undefined;
  /** Queued calls older than this are published again (the broker may have lost them while away);
   *  undefined when the database itself is the queue. */
  readonly republishAfterMs?: number;
}
