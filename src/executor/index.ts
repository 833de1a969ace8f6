// The executor: runs routes' images in Docker (cold, pre-started, hot http/json).
import type { Executor } from '../domain/executor';
import { DockerExecutor } from './docker-executor';
import type { DockerExecutorOptions } from './options';

export type { DockerExecutorOptions, RegistryAuth } from './options';
export { DockerExecutor } from './docker-executor';

/** An Executor on a Docker engine; options default as documented in DockerExecutorOptions.
 *  Throws ConfigError for a bad option; call start() before run(). */
export function createDockerExecutor(options: DockerExecutorOptions): Executor {
  return new DockerExecutor(options);
}
