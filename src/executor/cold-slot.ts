// Cold runs: a fresh container per call, exactly as IronFunctions ran default-format routes
// (docs/function-contract.md), but with limits, a timeout that kills, and capped output.
import type { CallRequest, CallResult } from '../domain/executor';
import { callEnv } from './env';
import { imageNoCommand } from './errors';
import { OneShot } from './one-shot';
import { routeSpec, RunDeps } from './run-deps';
import { emptyResult, Slot } from './slot';

/** Runs one call in a container created for it. */
export class ColdSlot implements Slot {
  readonly kind = 'cold' as const;

  constructor(private readonly deps: RunDeps) {}

  async exec(req: CallRequest): Promise<CallResult> {
    const { images, options } = this.deps;
    const shot = await images.withImage(req.route.image, (image) => {
      if (image.argv.length === 0) throw imageNoCommand(req.route.image);
      const spec = routeSpec(options, req.route, 'cold', callEnv(req));
      spec.labels['io.fresco.call'] = req.id;
      return OneShot.prepare(this.deps.driver, spec, options, this.deps.reaper);
    });
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
