// The API's view of the engines: the membership rows renewed within [cluster] engine_timeout,
// re-read every `refreshMs` (placement never waits for the database), plus engines this process
// found unreachable, kept out of placement for a while before the membership notices.
import { log } from '../log';
import { PRUNE_EVERY_MS, pruneDead } from './membership';
import { Member, members } from './placement';
import type { EngineRecord, EngineStore } from './types';

/** An engine placement may choose. */
export interface EngineView extends Member {
  url: string;
  /** The hop's address, parsed once from url. */
  hostname: string;
  port: number;
  state: EngineRecord['state'];
}

function view(m: Member, r: EngineRecord): EngineView | undefined {
  try {
    const u = new URL(r.url);
    return { ...m, url: r.url.replace(/\/+$/, ''), hostname: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), state: r.state };
  } catch {
    log.warn({ engine: r.id, url: r.url }, 'engine announced an unusable hop URL; left out of placement');
    return undefined;
  }
}

/** The directory's settings. */
export interface DirectoryOptions {
  timeoutMs: number;
  refreshMs: number;
  /** When set, rows not renewed for this long are deleted (checked every PRUNE_EVERY_MS). */
  forgetAfterMs?: number;
}

/** Live engines for placement, refreshed in the background. */
export class EngineDirectory {
  private all: EngineView[] = [];
  private placeable: EngineView[] = [];
  /** placeable without the suspects; undefined when it must be recomputed. */
  private visible?: EngineView[];
  private readonly suspects = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private prunedAt = 0;

  constructor(private readonly store: EngineStore, private readonly o: DirectoryOptions) {}

  /** Reads the membership once, then every refreshMs. Never throws (a failed read keeps the last view). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.o.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Engines that take calls now: live, up, not found unreachable or silent lately. */
  engines(): readonly EngineView[] {
    if (this.suspects.size === 0) return this.placeable;
    const now = Date.now();
    let expired = false;
    for (const [id, until] of this.suspects) {
      if (until > now) continue;
      this.suspects.delete(id);
      expired = true;
    }
    if (expired || !this.visible) {
      const before = this.visible ? new Set(this.visible.map((e) => e.id)) : undefined;
      this.visible = this.placeable.filter((e) => !this.suspects.has(e.id));
      if (before) this.reportChanges(before, this.visible);
    }
    return this.visible;
  }

  /** Every live engine, up or draining, reachable or not (for retire requests). */
  members(): readonly EngineView[] {
    return this.all;
  }

  /** Keeps `id` out of placement for one engine_timeout: it refused connections, or fell silent (`why`). */
  suspect(id: string, why = 'unreachable'): void {
    const before = new Set(this.engines().map((e) => e.id));
    this.suspects.set(id, Date.now() + this.o.timeoutMs);
    this.visible = this.placeable.filter((e) => !this.suspects.has(e.id));
    if (before.has(id)) log.warn({ engine: id, reason: why }, 'engine left placement');
  }

  /** Re-reads the membership now (also used when every engine refused). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  // Operators (and tests) see when this process starts or stops placing calls on an engine.
  private reportChanges(before: Set<string>, after: readonly EngineView[]): void {
    const now = new Set(after.map((e) => e.id));
    for (const e of after) if (!before.has(e.id)) log.info({ engine: e.id, url: e.url }, 'engine joined placement');
    for (const id of before) if (!now.has(id)) log.info({ engine: id }, 'engine left placement');
  }

  private async load(): Promise<void> {
    if (this.o.forgetAfterMs !== undefined && Date.now() - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await pruneDead(this.store, this.o.forgetAfterMs);
    }
    try {
      const rows = await this.store.live(this.o.timeoutMs);
      const hashed = members(rows.map((r) => r.id));
      this.all = rows.flatMap((r, i) => view(hashed[i], r) ?? []);
      const before = new Set(this.engines().map((e) => e.id));
      this.placeable = this.all.filter((e) => e.state === 'up');
      this.visible = undefined;
      this.reportChanges(before, this.engines());
    } catch (err) {
      log.warn({ err }, 'reading the engine membership failed; placing on the last known engines');
    }
  }
}
