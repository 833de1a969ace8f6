// Shared set-up of the executor tests: test images, an executor with its own engine id, and
// routes/requests with the defaults of docs/api.md (Routes).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import type { ExecutorCall, RunnableRoute } from '../../../src/domain/executor';
import { DockerExecutor, DockerExecutorOptions } from '../../../src/executor';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let built = false;

/** Builds the test images once per process (idempotent script); fails when Docker is absent. */
export function buildImages(): void {
  if (built) return;
  execFileSync('bash', [path.join(__dirname, '../../images/build.sh')], { stdio: 'inherit' });
  built = true;
}

/** `fresco-test/<name>` tagged with this checkout's sources' hash (the `:1` tag is shared by every
 *  checkout on the machine, so a behaviour added here may be missing from it). */
export function ownImage(name: string): string {
  buildImages();
  const hash = execFileSync('bash', [path.join(__dirname, '../../images/build.sh'), '--hash']).toString().trim();
  return `fresco-test/${name}:${hash}`;
}

/** A started executor with a unique engine id. */
export async function startExecutor(opts: Partial<DockerExecutorOptions> = {}): Promise<DockerExecutor> {
  buildImages();
  const ex = new DockerExecutor({ engineId: `test-${randomUUID().slice(0, 8)}`, ...opts });
  await ex.start();
  return ex;
}

/** A route with the API's defaults. */
export function route(over: Partial<RunnableRoute> = {}): RunnableRoute {
  return {
    projectId: 'p1', appName: 'myapp', path: '/hello', image: 'fresco-test/hello:1', format: 'default',
    memory: 64, timeout: 30, idleTimeout: 30, maxConcurrency: 1, config: {}, ...over,
  };
}

/** A call of `r`. */
export function call(r: RunnableRoute, over: Partial<ExecutorCall> = {}): ExecutorCall {
  return {
    id: randomUUID(), route: r, method: 'POST', url: `http://127.0.0.1:8080/r/${r.appName}${r.path}?q=1`,
    requestPath: `/r/${r.appName}${r.path}?q=1`, headers: { 'content-type': 'text/plain' }, body: Buffer.from('Bob'), ...over,
  };
}

/** Containers of an engine id (any state). */
export async function containersOf(engineId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.fresco.engine=${engineId}`] } });
}

/** The engine id of an executor the fixtures started. */
export function engineOf(ex: DockerExecutor): string {
  return (ex as unknown as { deps: { options: { engineId: string } } }).deps.options.engineId;
}
