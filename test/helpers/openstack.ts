import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Fresco's own test world: the scripts that start a real Keystone and Swift on this machine
// (test/services/openstack) and the fixtures captured from them (test/fixtures). A clone of the
// repository needs nothing beside it.

/** The fixtures captured from real Keystone, Swift, RabbitMQ and Aodh (test/fixtures/README.md). */
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');
/** keystone-up.sh, swift-up.sh and their helpers (test/services/openstack/README.md). */
export const OPENSTACK_DIR = path.resolve(__dirname, '../services/openstack');
/** The env file the scripts write: $OPENSTACK_ENV_FILE, default /tmp/openstack-env.sh. */
export const ENV_FILE = process.env.OPENSTACK_ENV_FILE ?? '/tmp/openstack-env.sh';

/** The parsed `export` lines of the env file (OS_DEMO_*, OS_ALT_*, OS_READER_*, OS_ADMIN_*, OS_SERVICE_*, ...). */
export type OsEnv = Record<string, string>;

/** Parses `export A=1 B=2` lines (the values have no spaces or quotes). */
function parseExports(text: string): OsEnv {
  const env: OsEnv = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('export ')) continue;
    for (const pair of line.slice(7).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^['"]|['"]$/g, '');
    }
  }
  return env;
}

/**
 * Runs test/services/openstack/<script> (idempotent: well under a second when the services run,
 * minutes on a fresh machine that must install them) and resolves to its env file, parsed;
 * rejects with the end of the script's stderr.
 */
export function openstackUp(script: 'keystone-up.sh' | 'swift-up.sh'): Promise<OsEnv> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(OPENSTACK_DIR, script), ENV_FILE], { timeout: 600_000, maxBuffer: 10 << 20 },
      (err, _out, stderr) => {
        if (err) return reject(new Error(`${script} failed (${err.message}): ${stderr.slice(-2000)}`));
        resolve(parseExports(fs.readFileSync(ENV_FILE, 'utf8')));
      });
  });
}

/** A project-scoped token of one of the env file's accounts (`SERVICE`, `DEMO`, `ALT`, `ADMIN`, `READER`). */
export async function issueToken(env: OsEnv, who: string): Promise<string> {
  const res = await fetch(`${env.OS_AUTH_URL}/auth/tokens?nocatalog`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name: env[`OS_${who}_USERNAME`], domain: { id: 'default' }, password: env[`OS_${who}_PASSWORD`] } } },
      scope: { project: { name: env[`OS_${who}_PROJECT_NAME`], domain: { id: 'default' } } },
    } }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`Keystone refused a token to ${who}: HTTP ${res.status}`);
  return token;
}

/** Deletes the containers of the Swift account at `accountUrl` whose names start with `prefix`, objects first. */
export async function deleteSwiftContainers(accountUrl: string, token: string, prefix: string): Promise<void> {
  const headers = { 'X-Auth-Token': token };
  const listed = await fetch(`${accountUrl}?prefix=${encodeURIComponent(prefix)}`, { headers });
  if (listed.status !== 200) return;
  for (const c of (await listed.text()).split('\n').filter(Boolean)) {
    const objects = await fetch(`${accountUrl}/${encodeURIComponent(c)}`, { headers });
    const names = objects.status === 200 ? (await objects.text()).split('\n').filter(Boolean) : [];
    for (const o of names) await fetch(`${accountUrl}/${encodeURIComponent(c)}/${o.split('/').map(encodeURIComponent).join('/')}`, { method: 'DELETE', headers });
    await fetch(`${accountUrl}/${encodeURIComponent(c)}`, { method: 'DELETE', headers });
  }
}
