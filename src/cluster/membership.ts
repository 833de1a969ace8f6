// An engine's membership: its row in the engines table, renewed every heartbeat_interval with
// its load and hot routes, turned to `draining` when it stops, removed once it has stopped.
import { log } from '../log';
import type { EngineRecord, EngineStore } from './types';

/** The engine's current load, read at each renewal. */
export type LoadProbe = () => Pick<EngineRecord, 'runningCalls' | 'memoryUsedMb' | 'hotContainers' | 'hotRoutes'>;

/** How often (ms) a process deletes the rows of engines dead for longer than [cluster] forget_after. */
export const PRUNE_EVERY_MS = 60_000;

/** Deletes the rows of engines not renewed for `afterMs` (logged); never throws. */
export async function pruneDead(store: EngineStore, afterMs: number): Promise<void> {
  try {
    const gone = await store.prune(afterMs);
    if (gone.length) log.info({ engines: gone }, 'forgot engines that stopped renewing their membership long ago');
  } catch (err) {
    log.warn({ err }, 'deleting the rows of long-dead engines failed; will retry');
  }
}

/** Keeps one engine's membership row fresh, and forgets long-dead engines' rows. */
export class EngineMembership {
  private timer?: NodeJS.Timeout;
  private prunedAt = 0;
  private state: EngineRecord['state'] = 'up';
  private renewing?: Promise<void>;

  constructor(private readonly store: EngineStore,
    private readonly base: Omit<EngineRecord, 'state' | 'runningCalls' | 'memoryUsedMb' | 'hotContainers' | 'hotRoutes'>,
    private readonly probe: LoadProbe, private readonly intervalMs: number,
    /** Rows not renewed for this long are deleted (see pruneDead), checked every PRUNE_EVERY_MS. */
    private readonly forgetAfterMs?: number) {}

  /** Announces the engine (throws if the database refuses), then renews it in the background. */
  async start(): Promise<void> {
    await this.write();
    this.timer ??= setInterval(() => void this.renew(), this.intervalMs);
    this.timer.unref();
  }

  /** Announces that the engine takes no new calls; never throws. */
  async drain(): Promise<void> {
    this.state = 'draining';
    await this.renew();
  }

  /** Stops renewing and removes the row; never throws. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    await this.store.remove(this.base.id).catch((err) => log.warn({ err }, 'could not remove this engine\'s membership row'));
  }

  private renew(): Promise<void> {
    this.renewing ??= this.write()
      .catch((err) => log.warn({ err }, 'renewing this engine\'s membership failed'))
      .finally(() => { this.renewing = undefined; });
    return this.renewing;
  }

  private async write(): Promise<void> {
    await this.store.renew({ ...this.base, state: this.state, ...this.probe() });
    if (this.forgetAfterMs !== undefined && Date.now() - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await pruneDead(this.store, this.forgetAfterMs);
    }
  }
}
