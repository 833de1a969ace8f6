// fn's Slot: cold, pre-started and hot runs behind one interface, chosen in one place
// (DockerExecutor.getSlot).
import type { ExecutorCall, CallOutcome, CallKind, FinalStatus } from '../domain/executor';
import { outcomeWithoutRun } from '../domain/call';

/** A place where one call can run. exec() resolves with the call's result and never rejects
 *  for the function's misbehaviour (only for infrastructure failures, as FrescoError). */
export interface Slot {
  readonly kind: CallKind;
  exec(req: ExecutorCall): Promise<CallOutcome>;
}

/** Settles background container removals so that stop() can wait for all of them. */
export class Reaper {
  private readonly pending = new Set<Promise<unknown>>();

  /** Runs `work` in the background, logging nothing: a container already gone is fine. */
  add(work: Promise<unknown>): void {
    const p = work.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every background removal has finished. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}

/** A result with nothing captured (a call that ended before its function ran). */
export function emptyResult(kind: CallKind, status: FinalStatus, error: string): CallOutcome {
  return outcomeWithoutRun(status, error, kind);
}

/** Milliseconds of a route timeout, clamped to the engine's maximum. */
export function timeoutMs(seconds: number, maxSeconds: number): number {
  return Math.max(1, Math.min(seconds > 0 ? seconds : 30, maxSeconds)) * 1000;
}

/** The message for an out-of-memory end. */
export function oomMessage(memoryMb: number): string {
  return `out of memory: the function exceeded its ${memoryMb} MiB memory limit and was killed`;
}
