// Cold runs: a fresh container per call, exactly as IronFunctions ran default-format routes
// (docs/function-contract.md), but with limits, a timeout that kills, and capped output.
import type { ExecutorCall, CallOutcome } from '../domain/executor';
import { callEnv } from './env';
import { imageNoCommand } from './errors';
import { OneShot } from './one-shot';
import { routeSpec, RunDeps } from './run-deps';
import { emptyResult, Slot } from './slot';

/** Runs one call in a container created for it. */
export class ColdSlot implements Slot {
  readonly kind = 'cold' as const;

  constructor(private readonly deps: RunDeps) {}

  /** Waits for room on the engine (Admission), then runs the call in a new container; throws
   *  FRESCO_ENGINE_BUSY when no room came within max_wait. */
  async exec(req: ExecutorCall): Promise<CallOutcome> {
    const release = await this.deps.admission.acquire(req);
    if (!release) return emptyResult('cold', 'cancelled', 'the call was cancelled while waiting for room on the engine');
    let shot: OneShot | undefined;
    try {
      shot = await this.prepare(req);
      return await this.runOn(shot, req);
    } finally {
      // The room is given back once the container is gone, so Docker never holds more.
      if (shot) void shot.gone().then(release);
      else release();
    }
  }

  private prepare(req: ExecutorCall): Promise<OneShot> {
    const { images, options } = this.deps;
    return images.withImage(req.route.image, (image) => {
      if (image.argv.length === 0) throw imageNoCommand(req.route.image);
      const spec = routeSpec(options, req.route, 'cold', callEnv(req));
      spec.labels['io.fresco.call'] = req.id;
      return OneShot.prepare(this.deps.driver, spec, options, this.deps.reaper);
    });
  }

  private async runOn(shot: OneShot, req: ExecutorCall): Promise<CallOutcome> {
    const { images } = this.deps;
    try {
      if (req.signal?.aborted) {
        shot.discard();
        return emptyResult('cold', 'cancelled', 'the call was cancelled before it started');
      }
      await shot.start();
      const startedAt = new Date();
      req.onStart?.('cold');
      return await shot.run(req, req.body, 'cold', startedAt);
    } finally {
      images.release(req.route.image);
    }
  }
}
