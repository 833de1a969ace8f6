import type { ExecutorCall, CallOutcome, Executor, HotWorker, RouteScope, RunnableRoute } from '../domain/executor';
import { engineUnavailable } from '../errors';
import { log } from '../log';

/**
 * An Executor that does not stop the API from starting when Docker is not usable
 * yet (Docker absent or down): calls answer 503 FRESCO_ENGINE_UNAVAILABLE meanwhile, and a fresh
 * executor from `make` is tried every `retryMs` until one starts. `make` runs once at construction,
 * so a bad option still stops start-up with its ConfigError.
 */
export class ExecutorStartupGate implements Executor {
  private current?: Executor;
  private next?: Executor;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastError = 'not started yet';
  /** The last prestartRuntimes() images, handed to the executor once it is usable. */
  private runtimeImages?: string[];

  constructor(private readonly make: () => Executor, private readonly retryMs = 10_000) {
    this.next = make();
  }

  /** Resolves after the first attempt, whether or not it succeeded. */
  async start(): Promise<void> {
    await this.attempt();
  }

  run(req: ExecutorCall): Promise<CallOutcome> {
    if (!this.current) {
      return Promise.reject(engineUnavailable(this.lastError));
    }
    return this.current.run(req);
  }

  retireRoutes(scope: RouteScope): void {
    this.current?.retireRoutes(scope);
  }

  async prewarm(route: RunnableRoute): Promise<void> {
    await this.current?.prewarm?.(route);
  }

  prestartRuntimes(images: string[]): void {
    this.runtimeImages = images;
    this.current?.prestartRuntimes?.(images);
  }

  /** None until Docker is usable. */
  workers(scope: RouteScope & { path: string }): HotWorker[] {
    return this.current?.workers?.(scope) ?? [];
  }

  poolOf(image: string): { total: number; available: number } {
    return this.current?.poolOf?.(image) ?? { total: 0, available: 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current?.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const candidate = this.next ?? this.make();
    this.next = undefined;
    try {
      await candidate.start();
      if (this.stopped) return void (await candidate.stop());
      this.current = candidate;
      if (this.runtimeImages) candidate.prestartRuntimes?.(this.runtimeImages);
      log.info('Docker ready: calls run');
    } catch (err) {
      await candidate.stop().catch(() => undefined);
      this.lastError = (err as Error).message;
      log.error({ err }, `Docker not usable; calls answer 503 until it is (retry in ${this.retryMs / 1000} s)`);
      this.timer = setTimeout(() => void this.attempt(), this.retryMs);
      this.timer.unref();
    }
  }
}
