import type { Writable } from 'node:stream';
import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel } from 'amqplib';
import { log } from '../log';
import { type BackoffOptions, backoffDelay } from '../timing';
import { ConfirmPublisher, type PublishOptions } from './confirm-publisher';
import { type ConsumeOptions, type ConsumerHandle, consume, type MessageHandler } from './consumer';
import { errSummary, queueUnavailable } from './errors';
import { type BrokerAddress, parseTransportUrl } from './transport-url';

// The one long-lived broker connection of a Fresco process. It reconnects forever with capped,
// jittered backoff (a RabbitMQ restart must not need a Fresco restart), re-runs the registered
// topology declarations before it reports itself connected, and lets channel owners
// (ChannelKeeper) re-open their channels on the 'connected' event.

/** Options of an AmqpConnection; only `transportUrl` is required. */
export interface AmqpConnectionOptions {
  /** oslo transport_url: `rabbit://user:pass@host:port/vhost` (or amqp://, amqps://; hosts comma-separated). */
  transportUrl: string;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections`; default `fresco`. */
  connectionName?: string;
  /** AMQP heartbeat in seconds, so a dead broker is noticed; default 30. */
  heartbeatSeconds?: number;
  /** TCP connect + AMQP handshake timeout; default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect backoff; defaults 500 ms doubling up to 30 s, ±20 % jitter. */
  backoff?: BackoffOptions;
  /** How long `publish` waits for a connection and the broker's confirm before FRESCO_QUEUE_UNAVAILABLE; default 30 000 ms. */
  publishTimeoutMs?: number;
}

/** stopped → connecting → connected → reconnecting → connected … → stopping → stopped. */
export type ConnectionState = 'stopped' | 'connecting' | 'connected' | 'reconnecting' | 'stopping';

/** A topology declaration, re-run on every (re)connect before consumers start. */
export type DeclareFn = (ctx: DeclareContext) => Promise<void>;

/** What a declaration gets: a channel for ordinary declares, and throwaway channels for checks that may fail. */
export interface DeclareContext {
  channel: Channel;
  /** A fresh channel (the caller closes it); for passive checks, whose failure closes the channel. */
  openChannel(): Promise<Channel>;
}

/**
 * A self-healing AMQP connection. Events: 'state' (state, err?), 'connected' (model),
 * 'disconnected' (err?). `start()`/`stop()` are idempotent and safe to call concurrently.
 */
export class AmqpConnection extends EventEmitter {
  private readonly brokers: BrokerAddress[];
  private readonly declares: DeclareFn[] = [];
  private current?: ChannelModel;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  private wakeSleep?: () => void;
  private stateValue: ConnectionState = 'stopped';
  private publisher?: ConfirmPublisher;
  private readonly consumers = new Set<ConsumerHandle>();

  constructor(private readonly options: AmqpConnectionOptions) {
    super();
    this.brokers = parseTransportUrl(options.transportUrl, options.heartbeatSeconds ?? 30);
  }

  /** Where we connect, password redacted. */
  get display(): string {
    return this.brokers.map((b) => b.display).join(',');
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The live connection, or undefined while not connected. */
  get model(): ChannelModel | undefined {
    return this.stateValue === 'connected' ? this.current : undefined;
  }

  /** Registers a topology declaration; it runs on every connect (now too, if already connected). */
  async declare(fn: DeclareFn): Promise<void> {
    this.declares.push(fn);
    const model = this.model;
    if (model) await this.runDeclares(model, [fn]);
  }

  /** Starts connecting in the background; resolves at once (see `waitConnected`). */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = undefined;
    this.loop = this.run();
  }

  /**
   * Publishes `content` on a confirm channel and resolves once the broker confirmed it (persistent
   * by default). While disconnected it waits up to `publishTimeoutMs`, then rejects with
   * FrescoError FRESCO_QUEUE_UNAVAILABLE (503); also when nothing routes the message or the broker nacks.
   * `exchange` '' is the default exchange (`routingKey` = queue name).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    if (!this.publisher) {
      this.publisher = new ConfirmPublisher(this, { timeoutMs: this.options.publishTimeoutMs ?? 30_000 });
      this.publisher.start();
    }
    return this.publisher.publish(exchange, routingKey, content, options);
  }

  /**
   * Consumes `queue` (which must be declared) on its own channel, re-registered after every
   * reconnect. Ack after `handler` resolves; PoisonMessageError, or an error `options.isTransient`
   * rejects, → nack without requeue (to the queue's DLX); any other error → nack with requeue after
   * `requeueDelayMs` (default 1 s, growing up to `maxRequeueDelayMs`, at most `maxAttempts`).
   */
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): ConsumerHandle {
    const inner = consume(this, queue, handler, options);
    const handle: ConsumerHandle = {
      stop: async () => {
        this.consumers.delete(handle);
        await inner.stop();
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /** Stops consumers (letting running handlers finish), the publisher, then the connection; stops reconnecting. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      await this.publisher?.stop();
      this.publisher = undefined;
      const loop = this.loop;
      if (!loop) return;
      this.setState('stopping');
      this.wakeSleep?.();
      await this.current?.close().catch(() => undefined);
      await loop;
      this.loop = undefined;
      this.setState('stopped');
    })();
    return this.stopping;
  }

  /** Resolves with the live connection; rejects with QueueUnavailableError after `timeoutMs` or on stop. */
  waitConnected(timeoutMs: number): Promise<ChannelModel> {
    const now = this.model;
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = (err?: Error, model?: ChannelModel) => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.off('state', onState);
        if (model) resolve(model);
        else reject(err);
      };
      const onConnected = (model: ChannelModel) => done(undefined, model);
      const onState = (s: ConnectionState) => {
        if (s === 'stopping' || s === 'stopped') done(queueUnavailable('the message queue connection is closed'));
      };
      const timer = setTimeout(() => done(queueUnavailable(
        `the message queue (${this.display}) was not reachable within ${timeoutMs} ms`)), timeoutMs);
      this.on('connected', onConnected);
      this.on('state', onState);
    });
  }

  private get stopRequested(): boolean {
    return this.stateValue === 'stopping';
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let everConnected = false;
    while (!this.stopRequested) {
      const broker = this.brokers[attempt % this.brokers.length];
      this.setState(everConnected ? 'reconnecting' : 'connecting');
      const closed = await this.session(broker).catch((err: Error) => {
        if (!this.stopRequested) log.warn({ err: errSummary(err), broker: broker.display, attempt }, 'message queue connection failed');
        return false;
      });
      if (closed) {
        everConnected = true;
        attempt = 0;
      }
      if (this.stopRequested) break;
      await this.sleep(backoffDelay(attempt++, this.options.backoff));
    }
  }

  /** One connection's life: connect, declare, announce, wait for close. True when it was ever up. */
  private async session(broker: BrokerAddress): Promise<boolean> {
    // Loaded at the first connect, not at import: a Fresco with its in-process queue never uses it.
    const amqp = require('amqplib') as typeof import('amqplib');
    const model = await amqp.connect(broker.connect, {
      // Without it Nagle holds a publish's or ack's later frames until the broker's delayed ACK:
      // ~40 ms per accepted async call at low rates.
      noDelay: true,
      timeout: this.options.connectTimeoutMs ?? 10_000,
      clientProperties: { connection_name: this.options.connectionName ?? 'fresco' },
    });
    coalesceWrites((model as unknown as { connection?: { stream?: Writable } }).connection?.stream);
    this.current = model;
    const closed = new Promise<Error | undefined>((resolve) => model.once('close', resolve));
    model.on('error', (err: Error) => log.warn({ err: errSummary(err) }, 'message queue connection error'));
    model.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked publishing (resource alarm)'));
    model.on('unblocked', () => log.info('broker unblocked publishing'));
    try {
      if (!this.stopRequested) await this.runDeclares(model, this.declares);
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    if (this.stopRequested) {
      await model.close().catch(() => undefined);
      return false;
    }
    log.info({ broker: broker.display }, 'message queue connected');
    this.setState('connected');
    this.emit('connected', model);
    const err = await closed;
    this.current = undefined;
    if (!this.stopRequested) log.warn({ err: errSummary(err) }, 'message queue connection lost; reconnecting');
    this.emit('disconnected', err);
    return true;
  }

  private async runDeclares(model: ChannelModel, fns: DeclareFn[]): Promise<void> {
    if (fns.length === 0) return;
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // the failing call rejects; this only keeps 'error' handled
    const openChannel = async () => {
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      return ch;
    };
    try {
      for (const fn of fns) await fn({ channel, openChannel });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private setState(state: ConnectionState, err?: Error): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state, err);
  }
}

/**
 * Frames written in one turn of the event loop (amqplib writes each publish, ack and confirm
 * frame as it comes: a batch of accepted calls publishes dozens at once, a batch of finished calls
 * acks dozens) leave in one writev instead of one write each: a system call per frame was a third
 * of an async call's queue cost. Nothing waits longer than the end of the current tick.
 */
export function coalesceWrites(stream: Writable | undefined): void {
  if (!stream || typeof stream.cork !== 'function') return;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Writable['write'];
}

export { errSummary };
