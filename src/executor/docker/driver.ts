// The only dockerode importer: the few Docker operations the executor needs, with Docker's
// errors turned into plain facts (absent, exited with code N, OOM-killed).
import './defer-modules';
import Docker from 'dockerode';
import type { Duplex, Readable } from 'node:stream';
import type { ResolvedOptions, RegistryAuth } from '../options';
import { ContainerSpec, createOptions, ENGINE_LABEL, MANAGED_LABEL } from './container-spec';
import { demuxer, StreamSink } from './demux';

/** What the executor needs to know of a local image. */
export interface ImageInfo {
  id: string;
  size: number;
  /** The image's entrypoint followed by its cmd. */
  argv: string[];
  /** The image's labels (io.fresco.runtime.init=1: a runtime that takes its code after it starts). */
  labels?: Record<string, string>;
}

/** How a container ended. */
export interface ExitInfo {
  exitCode: number;
  oomKilled: boolean;
}

/** Docker has no image of this reference (removed since Fresco last looked at it). */
export class ImageGoneError extends Error {
  constructor(readonly image: string, detail: string) {
    super(`Docker has no image ${image} (${detail})`);
  }
}

/** A created container; `exited` settles once it has stopped (after start). */
export class ContainerHandle {
  exited!: Promise<ExitInfo>;

  constructor(private readonly c: Docker.Container, readonly id: string) {}

  /** Arms `exited`; call before start() so that a fast exit is not missed. */
  watchExit(): void {
    this.exited = this.c.wait({ condition: 'next-exit' }).then(
      (r: { StatusCode: number }) => this.exitInfo(r.StatusCode),
      () => ({ exitCode: -1, oomKilled: false }),
    );
  }

  /** Attaches stdin (hijacked, writable) and/or output streams, demuxed into `sink`. */
  async attach(stdin: boolean, stdout: boolean, sink: StreamSink): Promise<Duplex | Readable> {
    const stream = (await this.c.attach({ stream: true, stdin, stdout, stderr: true, hijack: stdin })) as Duplex;
    stream.on('data', demuxer(sink));
    stream.on('error', () => undefined);
    return stream;
  }

  /** Starts the container. */
  async start(): Promise<void> {
    await this.c.start();
  }

  /** SIGKILLs the container; a container already gone is fine. */
  async kill(): Promise<void> {
    await this.c.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  }

  /** Removes the container by force; a container already gone is fine. */
  async remove(): Promise<void> {
    await this.c.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
    });
  }

  private async exitInfo(exitCode: number): Promise<ExitInfo> {
    // Only a SIGKILLed container can have been OOM-killed; skip the inspect otherwise.
    if (exitCode !== 137) return { exitCode, oomKilled: false };
    const info = await this.c.inspect().catch(() => undefined);
    return { exitCode, oomKilled: info?.State?.OOMKilled === true };
  }
}

/** Thin adapter over the Docker engine API. */
export class DockerDriver {
  private readonly docker: Docker;

  constructor(private readonly o: ResolvedOptions) {
    this.docker = new Docker(connection(o.dockerHost));
  }

  /** Resolves when the engine answers; throws otherwise. */
  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /** The local image, or undefined when it is not there. */
  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    try {
      const i = await this.docker.getImage(ref).inspect();
      return { id: i.Id, size: i.Size, argv: [...(i.Config?.Entrypoint ?? []), ...(i.Config?.Cmd ?? [])], labels: i.Config?.Labels ?? {} };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  /** Pulls `ref`; rejects with Docker's error (statusCode 404 when it does not exist). */
  async pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    const stream = await this.docker.pull(ref, auth ? { authconfig: { ...auth } } : {});
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = err ?? out.find((e) => e.error);
        if (failed) reject(failed instanceof Error ? failed : new Error(failed.error));
        else resolve();
      });
    });
  }

  /** Removes an image; false when Docker refuses (still in use) or it is gone. */
  async removeImage(id: string): Promise<boolean> {
    return this.docker.getImage(id).remove({ noprune: false }).then(() => true, () => false);
  }

  /** Creates a container from `spec` (not started); throws ImageGoneError when Docker has no such image. */
  async create(spec: ContainerSpec): Promise<ContainerHandle> {
    const c = await this.docker.createContainer(createOptions(spec, this.o)).catch((err: { statusCode?: number; message?: string }) => {
      if (err.statusCode === 404 && /no such image/i.test(err.message ?? '')) throw new ImageGoneError(spec.image, err.message ?? '');
      throw err;
    });
    return new ContainerHandle(c, c.id);
  }

  /** Removes Fresco's containers: this engine's (`mine`), else every io.fresco.managed one on the host. */
  async removeLabelled(mine: boolean): Promise<number> {
    const label = mine ? `${ENGINE_LABEL}=${this.o.engineId}` : `${MANAGED_LABEL}=true`;
    const list = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    return list.length;
  }
}

function connection(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { protocol: url.protocol === 'https:' ? 'https' : 'http', host: url.hostname, port: Number(url.port || 2375) };
}
