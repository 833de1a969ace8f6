import type { Options } from 'amqplib';

// OpenStack writes broker addresses as oslo.messaging transport URLs
// (`rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost`); amqplib wants one AMQP URI per
// host. This turns the first into a list of amqplib connect options, and never lets the
// password reach a log line.

/** One broker to try, plus a printable form without the password. */
export interface BrokerAddress {
  connect: Options.Connect;
  /** `amqp://user:***@host:port/vhost`, safe to log. */
  display: string;
}

const SCHEMES: Record<string, 'amqp' | 'amqps'> = { 'rabbit:': 'amqp', 'amqp:': 'amqp', 'amqps:': 'amqps' };

/**
 * Parses a transport_url (`rabbit://`, `amqp://` or `amqps://`; hosts comma-separated, each with
 * its own optional credentials, oslo style) into broker addresses in the order to try them.
 * `?ssl=1` switches `rabbit://` to TLS. Throws Error naming the problem (never the password).
 */
export function parseTransportUrl(transportUrl: string, heartbeatSeconds: number): BrokerAddress[] {
  const m = /^([a-z]+:)\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(transportUrl.trim());
  if (!m) throw new Error('transport_url must look like rabbit://user:pass@host:port/vhost');
  const scheme = SCHEMES[m[1].toLowerCase()];
  if (!scheme) throw new Error(`transport_url scheme ${m[1]} is not supported (use rabbit://, amqp:// or amqps://)`);
  const query = new URLSearchParams(m[4] ?? '');
  const tls = scheme === 'amqps' || ['1', 'true', 'yes'].includes((query.get('ssl') ?? '').toLowerCase());
  const protocol = tls ? 'amqps' : 'amqp';
  // oslo: an empty path or a bare "/" is the default vhost "/".
  const vhost = decodeURIComponent((m[3] ?? '').replace(/^\//, '')) || '/';
  const hosts = m[2].split(',').filter((h) => h !== '');
  if (hosts.length === 0) throw new Error('transport_url names no host');
  return hosts.map((h) => address(h, protocol, vhost, heartbeatSeconds));
}

function address(hostPart: string, protocol: 'amqp' | 'amqps', vhost: string, heartbeat: number): BrokerAddress {
  let url: URL;
  try {
    url = new URL(`http://${hostPart}`);
  } catch {
    throw new Error(`transport_url host "${redactHost(hostPart)}" is not valid`);
  }
  const username = url.username ? decodeURIComponent(url.username) : 'guest';
  const password = url.password ? decodeURIComponent(url.password) : url.username ? '' : 'guest';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : protocol === 'amqps' ? 5671 : 5672;
  const vpath = vhost === '/' ? '' : encodeURIComponent(vhost);
  return {
    connect: { protocol, hostname, port, username, password, vhost, heartbeat },
    display: `${protocol}://${username}:***@${url.host}/${vpath}`,
  };
}

function redactHost(hostPart: string): string {
  return hostPart.replace(/:[^:@]*@/, ':***@');
}

/** `url` with any password replaced by `***`, for log lines and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/|,)([^:/@,]*):[^@/,]*@/g, '$1$2:***@');
}
