// How a call is ended early (its caller went away, a cancel, a lost lease, the engine stopping).
// Node's AbortController is costly to make (its AbortSignal is a full EventTarget, ~2.5 µs alone) and
// to collect: every sync call made two, and replacing them took a hot /r call from 232 to 197 µs of
// CPU (bench/cpu.ts). The executor uses only `aborted` and one-shot 'abort' listeners, so CallSignal
// is that much of AbortSignal: an AbortSignal still is one (the cluster's hop passes its own), and
// CallAbort is the cheap maker.

type Listener = () => void;

/** The part of AbortSignal a running call reads: AbortSignal satisfies it. */
export interface CallSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: Listener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: Listener): void;
}

/** A call's abort: controller and signal in one object. Listeners run once, in the order added. */
export class CallAbort implements CallSignal {
  private abortedFlag = false;
  // Most calls have one listener at a time (the executor's slot wait or the container's run).
  private listeners?: Listener | Listener[];

  get aborted(): boolean {
    return this.abortedFlag;
  }

  /** The signal to hand the executor (this object). */
  get signal(): CallSignal {
    return this;
  }

  /** Aborts once; later calls do nothing. Every listener runs, even when one throws (the first error is thrown after). */
  abort(): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    const ls = this.listeners;
    this.listeners = undefined;
    if (!ls) return;
    if (typeof ls === 'function') return ls();
    let failed: { err: unknown } | undefined;
    for (const l of ls) {
      try {
        l();
      } catch (err) {
        failed ??= { err };
      }
    }
    if (failed) throw failed.err;
  }

  /** Adds a listener for the abort (always once: an abort happens once). Ignored once aborted, or when already added,
   *  as AbortSignal does. */
  addEventListener(_type: 'abort', listener: Listener): void {
    const ls = this.listeners;
    if (this.abortedFlag || ls === listener || (Array.isArray(ls) && ls.includes(listener))) return;
    if (!ls) this.listeners = listener;
    else if (typeof ls === 'function') this.listeners = [ls, listener];
    else ls.push(listener);
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    const ls = this.listeners;
    if (ls === listener) this.listeners = undefined;
    else if (Array.isArray(ls)) {
      const i = ls.indexOf(listener);
      if (i >= 0) ls.splice(i, 1);
    }
  }
}
