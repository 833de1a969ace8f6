// Engine-wide admission of cold runs (as fn's agent/resource.go): at most `maxContainers`
// containers and `maxMemoryMb` of route memory at once on this engine; calls beyond wait in
// FIFO order for at most `maxWaitMs`, then fail FRESCO_ENGINE_BUSY (503 with Retry-After), as
// calls beyond a hot route's queue do. A call larger than the whole memory bound runs alone.
import type { ExecutorCall } from '../domain/executor';
import { engineBusy } from './errors';

/** The engine's bounds; see [engine] max_containers, max_memory and max_wait. */
export interface AdmissionLimits {
  maxContainers: number;
  maxMemoryMb: number;
  maxWaitMs: number;
}

interface Waiter {
  memory: number;
  grant: (release: (() => void) | null) => void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
  req: ExecutorCall;
}

/** Counts running containers and their memory; hands out room in arrival order. */
export class Admission {
  private running = 0;
  private memory = 0;
  private readonly waiters: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  /** Resolves with the function that gives the room back (call it once the container is gone),
   *  or null when the call was cancelled while waiting; rejects FRESCO_ENGINE_BUSY after max_wait,
   *  or at once when there is no room and the call asks to be refused (refuseWhenFull). */
  acquire(req: ExecutorCall): Promise<(() => void) | null> {
    const memory = Math.max(0, req.route.memory);
    if (this.waiters.length === 0 && this.fits(memory)) return Promise.resolve(this.take(memory));
    if (req.refuseWhenFull) return Promise.reject(engineBusy(req.route.path));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        memory, req, grant: resolve,
        timer: setTimeout(() => { this.drop(w); reject(engineBusy(req.route.path)); }, this.limits.maxWaitMs),
      };
      if (req.signal) {
        w.onAbort = () => { this.drop(w); resolve(null); };
        req.signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
    });
  }

  /** Containers admitted and not yet given back (for tests and metrics). */
  size(): number {
    return this.running;
  }

  /** MiB of route memory admitted and not yet given back. */
  memoryMb(): number {
    return this.memory;
  }

  private fits(memory: number): boolean {
    if (this.running === 0) return true;
    return this.running < this.limits.maxContainers && this.memory + memory <= this.limits.maxMemoryMb;
  }

  private take(memory: number): () => void {
    this.running++;
    this.memory += memory;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.running--;
      this.memory -= memory;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].memory)) {
      const w = this.waiters[0];
      this.drop(w);
      w.grant(this.take(w.memory));
    }
  }

  private drop(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    clearTimeout(w.timer);
    if (w.onAbort) w.req.signal!.removeEventListener('abort', w.onAbort);
    // The head left: those behind it may fit now.
    if (i === 0) this.admitWaiting();
  }
}
