import { log } from './log';

/** Collects closers of opened resources; `close()` runs them once, in reverse order. Safe to call twice. */
export class Lifecycle {
  private readonly closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  private closing?: Promise<void>;

  /** Registers a resource's closer; returns the resource for chaining. */
  add<T>(name: string, resource: T, close: (r: T) => Promise<void> | void): T {
    this.closers.push({ name, close: () => close(resource) });
    return resource;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of this.closers.reverse()) {
        try {
          await close();
        } catch (err) {
          log.warn({ err, resource: name }, 'error while closing');
        }
      }
    })();
    return this.closing;
  }
}
