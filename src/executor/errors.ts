// The executor's infrastructure failures (a function's own misbehaviour is a CallResult status,
// never one of these). Codes are listed in docs/errors.md.
import { FrescoError } from '../errors';

/** Pulling the route's image failed for another reason: auth, network, registry (502). */
export function imagePullFailed(image: string, detail: string): FrescoError {
  return new FrescoError('FRESCO_IMAGE_PULL_FAILED', 502, `Pulling image ${image} failed: ${detail}`, true);
}

/** The image has neither an entrypoint nor a cmd, so there is nothing to run (502). */
export function imageNoCommand(image: string): FrescoError {
  return new FrescoError('FRESCO_IMAGE_NO_COMMAND', 502, `Image ${image} has no entrypoint or cmd to run`, true);
}

/** Docker refused or failed an operation the call needed (502; details only in the log). */
export function dockerFailed(what: string, err: unknown): FrescoError {
  const detail = err instanceof Error ? err.message : String(err);
  return new FrescoError('FRESCO_ENGINE_DOCKER_ERROR', 502, `The container engine failed to ${what}: ${detail}`, false);
}

/** A hot route's wait queue is full: the caller should retry later (503 with Retry-After). */
export function engineBusy(route: string): FrescoError {
  return new FrescoError('FRESCO_ENGINE_BUSY', 503, `Route ${route} has too many calls waiting on this engine; retry later`,
    true, { 'Retry-After': '1' });
}

/** run() after stop(), or before start() finished (503). */
export function engineStopped(): FrescoError {
  return new FrescoError('FRESCO_ENGINE_STOPPED', 503, 'This engine is not running', true);
}

/** The static launcher is missing and could not be built (start() fails with this). */
export function launcherMissing(path: string, detail: string): FrescoError {
  return new FrescoError('FRESCO_ENGINE_LAUNCHER_MISSING', 500,
    `The function launcher ${path} is missing and could not be built (bash src/executor/launcher/build.sh): ${detail}`, false);
}
