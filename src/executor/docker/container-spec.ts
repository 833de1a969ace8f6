// Docker create options for a function container, hardened by default (docs/function-contract.md): no
// capabilities, no-new-privileges, read-only root with a small /tmp, pids and CPU limits,
// memory = memory+swap, non-root, no network, labelled as this engine's. Never the Docker socket.
import type Docker from 'dockerode';
import type { ResolvedOptions } from '../options';

/** What a caller of the driver decides about one container; everything else is policy here. */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint (and cmd) when set: [entrypoint, ...args]. */
  command?: string[];
  env: string[];
  labels: Record<string, string>;
  memoryMb: number;
  allowRoot?: boolean;
  network?: string;
  /** host:container[:ro] bind mounts (the launcher and hot sockets only). */
  binds?: string[];
  /** Keep stdin open for an attach (cold and pre-started calls). */
  stdin: boolean;
}

export const MANAGED_LABEL = 'io.fresco.managed';
export const ENGINE_LABEL = 'io.fresco.engine';

/** The create options for `spec` under the engine's options. */
export function createOptions(spec: ContainerSpec, o: ResolvedOptions): Docker.ContainerCreateOptions {
  const memory = Math.round(spec.memoryMb * 1024 * 1024);
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command ? { Entrypoint: spec.command.slice(0, 1), Cmd: spec.command.slice(1) } : {}),
    Env: spec.env,
    Labels: { ...spec.labels, [MANAGED_LABEL]: 'true', [ENGINE_LABEL]: o.engineId },
    User: spec.allowRoot ? undefined : o.user,
    OpenStdin: spec.stdin,
    StdinOnce: spec.stdin,
    AttachStdin: spec.stdin,
    AttachStdout: spec.stdin,
    AttachStderr: true,
    Tty: false,
    NetworkDisabled: (spec.network ?? o.defaultNetwork) === 'none',
    HostConfig: {
      Binds: spec.binds,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,noexec,nosuid,size=${o.tmpfsSize}` },
      PidsLimit: o.pidsLimit,
      Memory: memory,
      MemorySwap: memory,
      CpuQuota: o.cpuQuota,
      CpuPeriod: 100000,
      NetworkMode: spec.network ?? o.defaultNetwork,
      // Output is captured through attach; a log driver would only copy floods to disk.
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
    },
  };
}
