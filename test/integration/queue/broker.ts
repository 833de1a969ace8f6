import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { AmqpConnection, type AmqpConnectionOptions } from '../../../src/queue';

// Test helpers for the real RabbitMQ: unique names per run, cleanup, and killing our connections
// from the broker side. Tests fail (not skip) when RabbitMQ is absent: `before` connects for real.

const run = promisify(execFile);

/** Broker of the integration tests; override with FRESCO_TEST_TRANSPORT_URL. */
export const BROKER_URL = process.env.FRESCO_TEST_TRANSPORT_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

/** A queue/exchange/connection name unique to this test run. */
export function uniq(name: string): string {
  return `fresco-test-${RUN_ID}-${name}`;
}

/** Records queues/exchanges to delete and owns a plain admin connection for the test's own traffic. */
export class Broker {
  private conn?: amqp.ChannelModel;
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  readonly connections: AmqpConnection[] = [];

  async open(): Promise<void> {
    this.conn = await amqp.connect(BROKER_URL, { clientProperties: { connection_name: uniq('admin') } });
  }

  /** A fresh admin channel (a failing passive check closes it, hence one per use). */
  async channel(): Promise<amqp.Channel> {
    const ch = await this.conn!.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  /** Remembers names to delete in cleanup(). */
  track(kind: 'queue' | 'exchange', ...names: string[]): void {
    for (const n of names) (kind === 'queue' ? this.queues : this.exchanges).add(n);
  }

  /** A started AmqpConnection (named uniq(label)) stopped in cleanup(). */
  connect(label: string, options: Partial<AmqpConnectionOptions> = {}): AmqpConnection {
    const c = new AmqpConnection({
      transportUrl: BROKER_URL, connectionName: uniq(label), backoff: { initialMs: 100, maxMs: 1000 }, ...options,
    });
    this.connections.push(c);
    void c.start();
    return c;
  }

  /** Message count of `queue` as the broker sees it (ready, not unacked). */
  async depth(queue: string): Promise<number> {
    const ch = await this.channel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.connections.splice(0).map((c) => c.stop()));
    if (!this.conn) return;
    for (const q of this.queues) await (await this.channel()).deleteQueue(q).catch(() => undefined);
    for (const e of this.exchanges) await (await this.channel()).deleteExchange(e).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}

/** Closes, from the broker side, every connection whose connection_name is `name`; returns how many. */
export async function killConnections(name: string): Promise<number> {
  // The tab format prints pids as close_connection wants them (the JSON one does not).
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties']);
  const needle = `{"connection_name","${name}"}`;
  const pids = stdout.split('\n').filter((l) => l.includes(needle)).map((l) => l.split('\t')[0]);
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'fresco test: forced close']);
  return pids.length;
}

/** What the broker itself reports (rabbitmqctl) of the exchanges, queues and bindings named with `needle`. */
export async function topology(needle: string): Promise<{
  exchanges: Array<{ name: string; type: string; durable: boolean; auto_delete: boolean }>;
  queues: Array<{ name: string; durable: boolean; arguments: Array<[string, string, unknown]> }>;
  bindings: Array<{ source_name: string; destination_name: string; destination_kind: string; routing_key: string }>;
}> {
  const list = async <T extends { name?: string; source_name?: string }>(what: string, fields: string[]) => {
    const { stdout } = await run('rabbitmqctl', [what, '-q', ...fields, '--formatter', 'json']);
    return (JSON.parse(stdout) as T[]).filter((r) => `${r.name ?? ''} ${r.source_name ?? ''}`.includes(needle));
  };
  const [exchanges, queues, bindings] = await Promise.all([
    list('list_exchanges', ['name', 'type', 'durable', 'auto_delete']),
    list('list_queues', ['name', 'durable', 'arguments']),
    list('list_bindings', ['source_name', 'destination_name', 'destination_kind', 'routing_key']),
  ]);
  return { exchanges, queues, bindings } as never;
}
