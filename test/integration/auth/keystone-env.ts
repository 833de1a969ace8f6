import net from 'node:net';
import axios from 'axios';
import { openstackUp, OsEnv } from '../../helpers/openstack';

// The real Keystone for the auth integration tests: started (idempotently) with
// test/services/openstack/keystone-up.sh, its env file parsed. A failure to start fails the tests.

export type { OsEnv } from '../../helpers/openstack';

let started: Promise<OsEnv> | undefined;

/** Starts Keystone once per test run (~0.3 s when it already runs, minutes on a fresh machine). */
export function keystone(): Promise<OsEnv> {
  started ??= openstackUp('keystone-up.sh');
  return started;
}

/** The middleware options for Fresco's service user, as the lead's config would fill them. */
export function serviceOptions(env: OsEnv) {
  return {
    authUrl: env.OS_AUTH_URL, username: env.OS_SERVICE_USERNAME, password: env.OS_SERVICE_PASSWORD,
    projectName: env.OS_SERVICE_PROJECT_NAME, userDomainName: env.OS_USER_DOMAIN_NAME,
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME,
  };
}

/** A new token for the account with `prefix` (DEMO, ALT, READER, ADMIN, SERVICE): project-scoped, or explicitly unscoped. */
export async function issueToken(env: OsEnv, prefix: string, scoped = true): Promise<string> {
  const auth = {
    identity: { methods: ['password'], password: { user: {
      name: env[`OS_${prefix}_USERNAME`], domain: { name: env.OS_USER_DOMAIN_NAME }, password: env[`OS_${prefix}_PASSWORD`] } } },
    scope: scoped ? { project: { name: env[`OS_${prefix}_PROJECT_NAME`], domain: { name: env.OS_PROJECT_DOMAIN_NAME } } } : 'unscoped',
  };
  const res = await axios.post(`${env.OS_AUTH_URL}/auth/tokens?nocatalog`, { auth });
  return res.headers['x-subject-token'] as string;
}

/** Revokes `token` in Keystone (the token revokes itself). */
export async function revokeToken(env: OsEnv, token: string): Promise<void> {
  await axios.delete(`${env.OS_AUTH_URL}/auth/tokens`, { headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
}

/** A TCP relay to Keystone that the test can cut, to make Keystone unreachable for one client. */
export async function keystoneRelay(env: OsEnv): Promise<{ authUrl: string; cut(): Promise<void> }> {
  const target = new URL(env.OS_AUTH_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    authUrl: `http://127.0.0.1:${port}${target.pathname}`,
    cut: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

/** A loopback port nothing listens on (connection refused at once). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
