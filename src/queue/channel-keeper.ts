import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel } from 'amqplib';
import { log } from '../log';
import { backoffDelay } from '../timing';
import type { AmqpConnection } from './amqp-connection';
import { errSummary } from './errors';

// AMQP closes a channel on any channel-level error (a 404 on consume, an ack of an unknown tag),
// and a lost connection takes all channels with it. A ChannelKeeper owns one channel and keeps it
// open: it opens it on every 'connected', re-opens it with backoff after a channel error, and runs
// the owner's setup (prefetch, consume) each time, so consumers are re-registered after recovery.

/** Options of a ChannelKeeper. */
export interface ChannelKeeperOptions<C extends Channel> {
  /** For log lines. */
  name: string;
  /** Confirm channel (publisher confirms) or a plain one. */
  confirm: boolean;
  /** Runs on each newly opened channel before it is handed out; a throw closes it and retries later. */
  setup?: (channel: C) => Promise<void>;
}

/** Keeps one channel open for as long as it runs; `get()` waits for it. */
export class ChannelKeeper<C extends Channel = Channel> {
  private channel?: C;
  private opening = false;
  private running = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly ready = new EventEmitter();
  private readonly onConnected = (model: ChannelModel) => void this.open(model);

  constructor(private readonly conn: AmqpConnection, private readonly options: ChannelKeeperOptions<C>) {
    this.ready.setMaxListeners(0);
  }

  /** Starts keeping the channel; opens it now if the connection is up. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.conn.on('connected', this.onConnected);
    const model = this.conn.model;
    if (model) void this.open(model);
  }

  /** Closes the channel (unacked deliveries go back to their queue) and stops re-opening it. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.conn.off('connected', this.onConnected);
    clearTimeout(this.retryTimer);
    const ch = this.channel;
    this.channel = undefined;
    this.ready.emit('stopped');
    await ch?.close().catch(() => undefined);
  }

  /** The open channel, or undefined. */
  get current(): C | undefined {
    return this.channel;
  }

  /** Resolves with the open channel, or undefined after `timeoutMs` (or when stopped). */
  get(timeoutMs: number): Promise<C | undefined> {
    if (this.channel || !this.running || timeoutMs <= 0) return Promise.resolve(this.channel);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.ready.off('ready', done);
        this.ready.off('stopped', done);
        resolve(this.channel);
      };
      const timer = setTimeout(done, timeoutMs);
      this.ready.on('ready', done);
      this.ready.on('stopped', done);
    });
  }

  private async open(model: ChannelModel): Promise<void> {
    if (this.opening || this.channel || !this.running) return;
    this.opening = true;
    let ch: C | undefined;
    try {
      ch = (this.options.confirm ? await model.createConfirmChannel() : await model.createChannel()) as C;
      const opened = ch;
      opened.on('error', (err: Error) => log.warn({ err: errSummary(err), channel: this.options.name }, 'channel error'));
      opened.on('close', () => this.onClose(opened, model));
      await this.options.setup?.(opened);
      if (!this.running) throw new Error('stopped while opening');
      this.channel = opened;
      this.failures = 0;
      this.ready.emit('ready');
    } catch (err) {
      if (this.running) log.warn({ err: errSummary(err), channel: this.options.name }, 'could not open channel; retrying');
      await ch?.close().catch(() => undefined);
      this.scheduleRetry(model);
    } finally {
      this.opening = false;
    }
  }

  private onClose(ch: C, model: ChannelModel): void {
    if (this.channel !== ch) return;
    this.channel = undefined;
    this.scheduleRetry(model);
  }

  /** Re-opens on the same connection after a channel error; a new connection triggers 'connected' instead. */
  private scheduleRetry(model: ChannelModel): void {
    if (!this.running || this.retryTimer) return;
    const delay = backoffDelay(this.failures++, { initialMs: 200, maxMs: 10_000 });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.conn.model === model) void this.open(model);
    }, delay);
  }
}
