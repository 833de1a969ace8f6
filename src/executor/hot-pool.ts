// The hot containers of one route version on this engine: up to max_concurrency of them, one
// call each at a time; calls beyond wait in a bounded FIFO queue (bounded in time by the
// route's timeout too). Containers idle for idle_timeout are stopped (never 0: IronFunctions'
// default of 0 hung routes, docs/function-contract.md). A container that fails to start fails only the
// call at the head of the queue. The idle sweeper runs only while containers are idle, and the
// owner hears when the pool has nothing left, so that pools of gone routes do not pile up.
// A route's min_hot (Qinling's scale up) is a floor: that many containers are started ahead of
// calls (keep()), a dead one is replaced, and the sweeper never stops idle ones below it.
import type { ExecutorCall, CallOutcome, RunnableRoute } from '../domain/executor';
import { log } from '../log';
import { engineBusy } from './errors';
import { HotContainer } from './hot-container';
import { httpProtocol } from './protocol/http';
import { jsonProtocol } from './protocol/json';
import type { RunDeps } from './run-deps';
import type { RuntimePool } from './runtime-pool';
import { emptyResult, timeoutMs } from './slot';

interface Waiter {
  req: ExecutorCall;
  resolve: (r: CallOutcome) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
}

/** Hot containers of one route version. */
export class HotPool {
  private readonly all = new Set<HotContainer>();
  private readonly idle: HotContainer[] = [];
  private readonly waiters: Waiter[] = [];
  private starting = 0;
  /** Containers that answered and rejoin the pool in a moment (HotContainer.whenFree). */
  private settling = 0;
  private retired = false;
  private sweeper?: NodeJS.Timeout;
  private refillTimer?: NodeJS.Timeout;
  private lastRefill = 0;
  private readonly idleMs: number;

  /** `onEmpty` is called whenever the pool is left with no container, start or waiting call;
   *  `waiting`, when given, may hand a code route a waiting runtime container instead of a start. */
  constructor(private readonly deps: RunDeps, private readonly route: RunnableRoute,
    private readonly onEmpty: (pool: HotPool) => void, private readonly waiting?: Pick<RuntimePool, 'specialise'>) {
    this.idleMs = Math.max(1, route.idleTimeout || 30) * 1000;
  }

  /** Runs `req` on a free container, starting one or waiting for one. Throws FRESCO_ENGINE_BUSY
   *  when the queue is full, or a FrescoError when the image cannot be had. */
  run(req: ExecutorCall): Promise<CallOutcome> {
    const c = this.idle.pop();
    if (c) return this.runOn(c, req);
    if (this.waiters.length >= this.deps.options.maxQueue || (req.refuseWhenFull && this.full())) {
      this.settle();
      return Promise.reject(engineBusy(req.route.path));
    }
    const p = new Promise<CallOutcome>((resolve, reject) => this.enqueue(req, resolve, reject));
    this.grow();
    return p;
  }

  /** True when a call queued now would wait for a busy container: no container is starting or
   *  settling for it and the route is at max_concurrency. */
  private full(): boolean {
    const room = Math.max(0, this.most() - this.all.size - this.starting);
    return this.waiters.length >= this.starting + this.settling + room;
  }

  /** Starts one container ahead of any call when the pool has none; a failure is only logged. */
  prewarm(): void {
    this.keep(true);
  }

  /** Starts containers until min_hot are alive or starting (at least one when `one`); failures are only logged. */
  keep(one = false): void {
    const floor = Math.min(Math.max(this.minHot(), one ? 1 : 0), Math.max(1, this.route.maxConcurrency, this.minHot()));
    while (!this.retired && this.all.size + this.starting < floor) {
      this.starting++;
      this.deps.reaper.add(this.launch());
    }
  }

  /** The live containers, busy or idle (Qinling's workers). */
  workers(): { name: string; busy: boolean }[] {
    return [...this.all].map((c) => ({ name: c.name, busy: c.busy || !this.idle.includes(c) }));
  }

  /** Live containers and how many of them are idle. */
  capacity(): { total: number; available: number } {
    return { total: this.all.size, available: this.idle.length };
  }

  private minHot(): number {
    return Math.max(0, this.route.minHot ?? 0);
  }

  /** Containers alive or starting (for tests and metrics). */
  size(): number {
    return this.all.size + this.starting;
  }

  /** Stops taking calls; idle containers go now, busy ones when their call ends. */
  retire(): void {
    this.retired = true;
    this.stopSweeper();
    for (const c of this.idle.splice(0)) c.destroy();
  }

  private async runOn(c: HotContainer, req: ExecutorCall): Promise<CallOutcome> {
    const ms = timeoutMs(req.route.timeout, this.deps.options.maxTimeout);
    const timer = setTimeout(() => c.abort('timeout', `timed out after ${ms / 1000} s; the container was discarded`), ms);
    const onAbort = () => c.abort('cancelled', 'the call was cancelled; the container was discarded');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) onAbort();
    try {
      return await c.call(req);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      this.settling++;
      c.whenFree(() => {
        this.settling--;
        this.release(c);
      });
    }
  }

  private release(c: HotContainer): void {
    // A container that died while settling was not counted on by grow() in forget(): count now.
    if (c.dead) return this.grow();
    if (this.retired) return c.destroy();
    const next = this.dequeue();
    if (next) return void this.runOn(c, next.req).then(next.resolve, next.reject);
    this.idle.push(c);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 1000));
      this.sweeper.unref();
    }
  }

  private enqueue(req: ExecutorCall, resolve: Waiter['resolve'], reject: Waiter['reject']): void {
    const ms = timeoutMs(req.route.timeout, this.deps.options.maxTimeout);
    const w: Waiter = { req, resolve, reject, timer: setTimeout(() => this.drop(w, 'timeout', `waited ${ms / 1000} s for a free container`), ms) };
    if (req.signal) {
      w.onAbort = () => this.drop(w, 'cancelled', 'the call was cancelled while waiting for a container');
      req.signal.addEventListener('abort', w.onAbort, { once: true });
    }
    this.waiters.push(w);
  }

  private dequeue(): Waiter | undefined {
    const w = this.waiters.shift();
    if (w) this.unwatch(w);
    return w;
  }

  private unwatch(w: Waiter): void {
    clearTimeout(w.timer);
    if (w.onAbort) w.req.signal!.removeEventListener('abort', w.onAbort);
  }

  private drop(w: Waiter, status: 'timeout' | 'cancelled', error: string): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.unwatch(w);
    w.resolve(emptyResult('hot', status, error));
    this.settle();
  }

  // One more container whenever calls wait and the route has room for it.
  private grow(): void {
    while (!this.retired && this.waiters.length > this.starting + this.settling && this.all.size + this.starting < this.most()) {
      this.starting++;
      this.deps.reaper.add(this.launch());
    }
  }

  // Most containers at once: max_concurrency, or min_hot when it asks for more.
  private most(): number {
    return Math.max(1, this.route.maxConcurrency, this.minHot());
  }

  private async launch(): Promise<void> {
    let c: HotContainer;
    try {
      const onDeath = (dead: HotContainer) => this.forget(dead);
      c = (this.route.code && await this.waiting?.specialise(this.route, onDeath))
        || await this.deps.images.withImage(this.route.image, (image) => HotContainer.launch(this.deps, this.route,
          image.argv, this.route.format === 'json' ? jsonProtocol : httpProtocol, onDeath));
    } catch (err) {
      this.starting--;
      return this.failHead(err);
    }
    this.starting--;
    this.all.add(c);
    this.release(c);
  }

  // A start failure costs the call at the head of the queue, and only that one.
  private failHead(err: unknown): void {
    const w = this.dequeue();
    if (w) {
      if ((err as { code?: string }).code) w.reject(err);
      else w.resolve(emptyResult('hot', 'error', (err as Error).message ?? String(err)));
    }
    log.warn({ err, image: this.route.image }, 'hot container failed to start');
    this.grow();
    this.settle();
  }

  private forget(c: HotContainer): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    this.deps.images.release(this.route.image);
    this.grow();
    this.refill();
    this.settle();
  }

  // A dead container below min_hot is replaced, at most once a second (a function that dies right
  // after connecting must not make the engine start containers in a tight loop).
  private refill(): void {
    if (this.retired || this.all.size + this.starting >= this.minHot() || this.refillTimer) return;
    const wait = this.lastRefill + 1000 - Date.now();
    if (wait <= 0) {
      this.lastRefill = Date.now();
      return this.keep();
    }
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.refill();
    }, wait);
    this.refillTimer.unref();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    // Never below min_hot: the longest-idle go first, while more than min_hot are alive.
    const stale = this.idle.filter((x) => x.lastUsed <= cutoff).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const c of stale) {
      if (this.all.size <= this.minHot()) break;
      c.destroy();
    }
    if (this.idle.length === 0 || this.all.size <= this.minHot()) this.stopSweeper();
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private settle(): void {
    if (this.all.size === 0 && this.starting === 0 && this.waiters.length === 0) this.onEmpty(this);
  }
}
