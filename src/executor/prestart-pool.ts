// Pre-started default-format containers: for a recently called route, keep a container created,
// attached and started, its launcher blocked on stdin. A call then only writes the call's env
// header and body, so it skips docker create/attach/start — still one fresh container per call.
// Bounded per route (min of perRoute and the route's max_concurrency: they count against the
// route's resources) and in all (least recently called route gives way, with a container still
// starting when it has none ready); idle ones retire after the route's idle_timeout.
import { randomBytes } from 'node:crypto';
import type { ExecutorCall, CallOutcome, RouteScope, RunnableRoute } from '../domain/executor';
import { log } from '../log';
import { callEnv, launcherHeader } from './env';
import { OneShot } from './one-shot';
import { inScope, routeId, routeSpec, RunDeps, versionKey } from './run-deps';
import type { Slot } from './slot';

// Marks the launcher's end-of-call report; random so that output cannot end a call by chance.
function nonce(): string {
  return `FRESCO-END-${randomBytes(12).toString('hex')}:`;
}

interface RouteShots {
  version: string;
  image: string;
  ready: OneShot[];
  /** Starts under way that will join `ready`. */
  starting: number;
  /** Starts under way that gave their place to another route: discarded when they end. */
  doomed: number;
  lastUsed: number;
  idle?: NodeJS.Timeout;
}

/** Holds pre-started containers by route. */
export class PrestartPool {
  private readonly routes = new Map<string, RouteShots>();
  private stopped = false;

  constructor(private readonly deps: RunDeps) {}

  /** A pre-started slot for the call's route, or undefined (the caller runs cold). Refills either way. */
  take(req: ExecutorCall): Slot | undefined {
    const { enabled } = this.deps.options.prestart;
    if (!enabled || this.stopped) return undefined;
    const entry = this.entry(req.route);
    entry.lastUsed = Date.now();
    let shot = entry.ready.shift();
    // One that died while waiting (killed from outside) is of no use; run cold instead.
    while (shot?.dead) {
      this.discard(shot, entry.image);
      shot = entry.ready.shift();
    }
    this.refill(req.route, entry);
    return shot && new PrestartedSlot(shot, () => this.deps.images.release(req.route.image));
  }

  /** Ready containers in all routes (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const e of this.routes.values()) n += e.ready.length;
    return n;
  }

  /** Discards the pre-started containers of the routes in `scope`. */
  retireRoutes(scope: RouteScope): void {
    for (const [id, e] of this.routes) if (inScope(id, scope)) this.retire(id, e);
  }

  /** Discards every pre-started container; take() returns undefined afterwards. */
  stop(): void {
    this.stopped = true;
    for (const [id, e] of this.routes) this.retire(id, e);
  }

  private entry(route: RunnableRoute): RouteShots {
    const id = routeId(route);
    const version = versionKey(route);
    let e = this.routes.get(id);
    if (e && e.version !== version) this.retire(id, e);
    e = this.routes.get(id);
    if (!e) {
      e = { version, image: route.image, ready: [], starting: 0, doomed: 0, lastUsed: Date.now() };
      this.routes.set(id, e);
    }
    this.armIdle(id, e, route);
    return e;
  }

  private refill(route: RunnableRoute, e: RouteShots): void {
    const want = Math.min(this.deps.options.prestart.perRoute, Math.max(1, route.maxConcurrency));
    while (!this.stopped && e.ready.length + e.starting < want && this.makeRoom(e)) {
      e.starting++;
      // Registered with the reaper so that stop() waits for starts still under way.
      this.deps.reaper.add(this.startOne(route).then((shot) => {
        if (this.startEnded(e) && this.routes.get(routeId(route)) === e && !this.stopped) e.ready.push(shot);
        else this.discard(shot, route.image);
      }, (err) => {
        if (!this.startEnded(e)) return;
        log.warn({ err, image: route.image }, 'pre-starting a container failed; calls of this route run cold');
      }));
    }
  }

  // Counts a start of `e` as ended; false when it was doomed (its container is not to be kept).
  private startEnded(e: RouteShots): boolean {
    if (e.doomed > 0) {
      e.doomed--;
      return false;
    }
    e.starting--;
    return true;
  }

  private startOne(route: RunnableRoute): Promise<OneShot> {
    return this.deps.images.withImage(route.image, async (image) => {
      if (image.argv.length === 0) throw new Error('image has no entrypoint or cmd');
      const spec = routeSpec(this.deps.options, route, 'prestarted', [], { argv: image.argv });
      const shot = await OneShot.prepare(this.deps.driver, spec, this.deps.options, this.deps.reaper, nonce());
      await shot.start();
      return shot;
    });
  }

  // The total bound: a route over it takes a container from the least recently called route —
  // a ready one, or else one still starting (discarded when its start ends), so that a route
  // called while the others' containers are starting still gets its own.
  private makeRoom(forEntry: RouteShots): boolean {
    let total = 0;
    for (const e of this.routes.values()) total += e.ready.length + e.starting;
    if (total < this.deps.options.prestart.total) return true;
    const victims = [...this.routes.values()].filter((e) => e !== forEntry && e.ready.length + e.starting > 0);
    if (victims.length === 0) return false;
    const oldest = victims.reduce((a, b) => (a.lastUsed <= b.lastUsed ? a : b));
    if (oldest.ready.length > 0) {
      this.discard(oldest.ready.shift()!, oldest.image);
    } else {
      oldest.starting--;
      oldest.doomed++;
    }
    return true;
  }

  private armIdle(id: string, e: RouteShots, route: RunnableRoute): void {
    if (e.idle) clearTimeout(e.idle);
    e.idle = setTimeout(() => this.retire(id, e), Math.max(1, route.idleTimeout || 30) * 1000);
    e.idle.unref();
  }

  private retire(id: string, e: RouteShots): void {
    if (e.idle) clearTimeout(e.idle);
    if (this.routes.get(id) === e) this.routes.delete(id);
    for (const shot of e.ready.splice(0)) this.discard(shot, e.image);
  }

  private discard(shot: OneShot, image: string): void {
    shot.discard();
    this.deps.images.release(image);
  }
}

/** A pre-started container handed one call. */
class PrestartedSlot implements Slot {
  readonly kind = 'prestarted' as const;

  constructor(private readonly shot: OneShot, private readonly done: () => void) {}

  async exec(req: ExecutorCall): Promise<CallOutcome> {
    try {
      const startedAt = new Date();
      req.onStart?.('prestarted');
      const head = launcherHeader([`FRESCO_NONCE=${this.shot.nonce}`, ...callEnv(req)]);
      return await this.shot.run(req, Buffer.concat([head, req.body]), 'prestarted', startedAt);
    } finally {
      this.done();
    }
  }
}
