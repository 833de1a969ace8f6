// The executor's start-up options: a plain typed object the composition root fills from the
// INI config. Every option but engineId has a documented default; resolveOptions validates and freezes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryPolicy } from '../domain/registry-policy';
import { ConfigError } from '../errors';

/** Credentials for the registry images are pulled from (Docker's X-Registry-Auth). */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Options of createDockerExecutor; defaults in brackets. */
export interface DockerExecutorOptions {
  /** Docker socket path, or tcp://host:port [/var/run/docker.sock]. */
  dockerHost?: string;
  /** Required: labels this engine's containers (io.fresco.engine). */
  engineId: string;
  /** Most bytes of a call's output; a function writing more is ended [1 MiB]. */
  outputCap?: number;
  /** Most bytes of a call's stderr kept (the rest dropped, logTruncated set) [256 KiB]. */
  logCap?: number;
  /** CPU quota per 100000 µs period (100000 = one CPU) [100000]. */
  cpuQuota?: number;
  /** Most processes per container [128]. */
  pidsLimit?: number;
  /** Size of the writable tmpfs on /tmp [64m]. */
  tmpfsSize?: string;
  /** Docker network of function containers unless the route names one ["none"]. */
  defaultNetwork?: string;
  /** Pre-started default-format containers kept per recently called route; 0 disables [1]. */
  prestartPerRoute?: number;
  /** Pre-started containers in all [32]. */
  prestartTotal?: number;
  /** Runtime containers kept waiting, per runtime image, for the first call of a new function from code; 0 disables [1]. */
  runtimePrestart?: number;
  /** Memory limit of waiting runtime containers in MiB: only routes of that memory use them [128]. */
  runtimePrestartMemoryMb?: number;
  /** Unused images beyond this many bytes are removed, least recently used first [10 GiB]. */
  imageDiskBudgetBytes?: number;
  /** Registries images may be pulled from [registryAuth's server and Docker Hub]; see RegistryPolicy. */
  allowedRegistries?: string[];
  /** Credentials for pulls [none]. */
  registryAuth?: RegistryAuth;
  /** Upper bound of a route's timeout in seconds [300]. */
  maxTimeout?: number;
  /** Calls that may wait for a busy hot route's container, per route [100]. */
  maxQueue?: number;
  /** Cold containers running at once on this engine; more calls wait [max_memory / 128, at least 4]. */
  maxContainers?: number;
  /** MiB of route memory of cold containers running at once [3/4 of the host's memory]. */
  maxMemoryMb?: number;
  /** Seconds a cold call waits for room before FRESCO_ENGINE_BUSY [10]. */
  maxWait?: number;
  /** Seconds a new hot container has to connect before it is declared dead [10]. */
  hotStartTimeout?: number;
  /** The static launcher binary; built with gcc at start() if missing [<tmpdir>/fresco-launcher/<source hash>/fresco-launcher]. */
  launcherPath?: string;
  /** Host directory for hot containers' sockets [<tmpdir>/fresco-<engineId>]. */
  runDir?: string;
}

export type ResolvedOptions = Readonly<{
  dockerHost: string; engineId: string; outputCap: number; logCap: number;
  prestart: Readonly<{ enabled: boolean; perRoute: number; total: number }>;
  runtimePrestart: Readonly<{ perRuntime: number; memoryMb: number }>;
  diskBudgetBytes: number; registryAuth?: RegistryAuth; registries: RegistryPolicy;
  defaultNetwork: string; cpuQuota: number; pidsLimit: number; tmpfsSize: string; maxTimeout: number;
  user: string; maxQueue: number; maxContainers: number; maxMemoryMb: number; maxWait: number; hotStartTimeout: number; launcherPath: string; runDir: string;
}>;

const MiB = 1024 * 1024;

/** The package root (where package.json is), whether run from src/ under tsx or from dist/. */
export function packageRoot(): string {
  const parts = __dirname.split(path.sep);
  const at = parts.lastIndexOf('dist') > 0 ? parts.lastIndexOf('dist') : parts.lastIndexOf('src');
  return parts.slice(0, at).join(path.sep) || path.sep;
}

/** Fills defaults and checks ranges; throws ConfigError naming the bad option. */
export function resolveOptions(o: DockerExecutorOptions): ResolvedOptions {
  const engineId = o?.engineId;
  if (typeof engineId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(engineId)) {
    throw new ConfigError(`executor engineId "${String(engineId)}" is required and must match [A-Za-z0-9_.-]{1,64}`);
  }
  const perRoute = nonNegative('prestartPerRoute', o.prestartPerRoute ?? 1);
  const maxMemoryMb = positive('maxMemoryMb', o.maxMemoryMb || Math.floor((os.totalmem() / MiB) * 0.75));
  const r = {
    dockerHost: o.dockerHost ?? '/var/run/docker.sock',
    engineId,
    outputCap: positive('outputCap', o.outputCap ?? MiB),
    logCap: positive('logCap', o.logCap ?? 256 * 1024),
    prestart: Object.freeze({ enabled: perRoute > 0, perRoute, total: nonNegative('prestartTotal', o.prestartTotal ?? 32) }),
    runtimePrestart: Object.freeze({
      perRuntime: nonNegative('runtimePrestart', o.runtimePrestart ?? 1),
      memoryMb: positive('runtimePrestartMemoryMb', o.runtimePrestartMemoryMb ?? 128),
    }),
    diskBudgetBytes: positive('imageDiskBudgetBytes', o.imageDiskBudgetBytes ?? 10 * 1024 * MiB),
    registryAuth: o.registryAuth,
    registries: new RegistryPolicy(o.allowedRegistries ?? [], o.registryAuth?.serveraddress),
    defaultNetwork: o.defaultNetwork ?? 'none',
    cpuQuota: positive('cpuQuota', o.cpuQuota ?? 100000),
    pidsLimit: positive('pidsLimit', o.pidsLimit ?? 128),
    tmpfsSize: o.tmpfsSize ?? '64m',
    maxTimeout: positive('maxTimeout', o.maxTimeout ?? 300),
    user: '65534:65534',
    maxQueue: nonNegative('maxQueue', o.maxQueue ?? 100),
    maxMemoryMb,
    maxContainers: positive('maxContainers', o.maxContainers || Math.max(4, Math.floor(maxMemoryMb / 128))),
    maxWait: positive('maxWait', o.maxWait ?? 10),
    hotStartTimeout: positive('hotStartTimeout', o.hotStartTimeout ?? 10),
    launcherPath: o.launcherPath ?? defaultLauncherPath(),
    runDir: o.runDir ?? path.join(os.tmpdir(), `fresco-${engineId}`),
  };
  // Hot containers' sockets live at <runDir>/<12 hex>/s; a unix socket path has at most 107 bytes.
  if (Buffer.byteLength(r.runDir) + 16 > 107) {
    throw new ConfigError(`executor runDir "${r.runDir}" is too long for unix sockets (at most 91 bytes): `
      + 'choose a shorter [DEFAULT] state_path or [engine] engine_id');
  }
  return Object.freeze(r);
}

/** <tmpdir>/fresco-launcher/<hash of its source>/fresco-launcher: an upgrade builds its own launcher. */
function defaultLauncherPath(): string {
  const source = path.join(packageRoot(), 'src', 'executor', 'launcher', 'launcher.c');
  const hash = createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), 'fresco-launcher', hash, 'fresco-launcher');
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`executor option ${name} must be a positive number, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new ConfigError(`executor option ${name} must be a whole number ≥ 0, got ${v}`);
  return v;
}
