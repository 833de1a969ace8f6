// Real registries for the image tests: Debian's docker-registry (distribution v2) on a free
// loopback port, optionally behind htpasswd auth, and a fake one that only records what it is sent.
// dockerd allows plain HTTP to 127.0.0.0/8 registries, so no TLS is needed.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../helpers/wait';

/** A user of a registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** A running registry; stop() ends it and removes its files (safe to call twice). */
export interface TestRegistry {
  /** host:port, the prefix of its image references. */
  host: string;
  /** The only user allowed in, when the registry has auth. */
  auth?: Credentials;
  /** Deletes repository `name` (host-less, e.g. "team/app") from the registry's storage. */
  deleteRepository?(name: string): void;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (free when this resolves; for a port nothing should listen on). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/**
 * Starts docker-registry on a port the kernel picks (it binds port 0 and logs the port: a port
 * probed free beforehand could be taken by another server in between, whose answers the tests
 * would then read); with `auth`, only that user (bcrypt htpasswd) may pull or push.
 */
export async function startRegistry(auth?: Credentials): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fresco-registry-'));
  let config = `version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:0\n`;
  if (auth) {
    const line = execFileSync('htpasswd', ['-Bbn', auth.username, auth.password]).toString().trim();
    writeFileSync(path.join(dir, 'htpasswd'), `${line}\n`);
    config += `auth:\n  htpasswd:\n    realm: fresco-test\n    path: ${dir}/htpasswd\n`;
  }
  writeFileSync(path.join(dir, 'config.yml'), config);
  const proc = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The log is read (and the pipes drained) for the whole run: only "listening on" matters.
  let log = '';
  for (const stream of [proc.stdout, proc.stderr]) stream.on('data', (chunk: Buffer) => { if (log.length < 65_536) log += chunk; });
  const stop = once(async () => {
    await kill(proc);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    const port = await waitFor('docker-registry to log its port', () => {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited (${proc.exitCode}): ${log.slice(-2000)}`);
      return /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
    });
    const host = `127.0.0.1:${port}`;
    // /v2/ answers 401 behind auth: either way the registry is up.
    await waitFor(`the registry on ${host}`, async () => [200, 401].includes((await fetch(`http://${host}/v2/`)).status));
    const deleteRepository = (name: string) =>
      rmSync(path.join(dir, 'data/docker/registry/v2/repositories', name), { recursive: true, force: true });
    return { host, auth, deleteRepository, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Pushes the local image `from` as `to` (whose registry is `reg`), logging in first when `reg`
 * has auth. The Docker CLI config lives in a throw-away dir so that the login reaches no
 * one else's ~/.docker and is gone afterwards; the local `to` tag is removed.
 */
export function push(reg: TestRegistry, from: string, to: string): void {
  const config = mkdtempSync(path.join(os.tmpdir(), 'fresco-docker-config-'));
  const env = { ...process.env, DOCKER_CONFIG: config };
  try {
    if (reg.auth) {
      execFileSync('docker', ['login', '-u', reg.auth.username, '--password-stdin', reg.host],
        { env, input: reg.auth.password, stdio: ['pipe', 'ignore', 'pipe'] });
    }
    execFileSync('docker', ['tag', from, to]);
    execFileSync('docker', ['push', '-q', to], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('docker', ['rmi', to], { stdio: 'ignore' });
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** A fake registry that challenges every request for basic auth and records the Authorization headers it got. */
export async function startSnoopingRegistry(): Promise<TestRegistry & { authorizations: string[] }> {
  const authorizations: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.headers.authorization) authorizations.push(req.headers.authorization);
    res.writeHead(401, {
      'Content-Type': 'application/json',
      'Docker-Distribution-Api-Version': 'registry/2.0',
      'WWW-Authenticate': 'Basic realm="snoop"',
    });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = once(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { host, authorizations, stop };
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill();
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
