// The cluster's shared vocabulary: an engine as it announces itself, and the membership port.

/** An engine's announcement: who it is, where its hop is, what it can take and what it holds. */
export interface EngineRecord {
  id: string;
  host: string;
  /** Base URL of the engine's call hop, e.g. http://10.0.0.5:8090. */
  url: string;
  /** `up` takes calls; `draining` finishes its running calls and takes no new ones. */
  state: 'up' | 'draining';
  memoryBudgetMb: number;
  callSlots: number;
  runningCalls: number;
  memoryUsedMb: number;
  hotContainers: number;
  /** Route keys (see placement.routeKey) with warm containers here; at most a few hundred. */
  hotRoutes: string[];
  startedAt: Date;
  /** Set by the store from the database clock on every renewal. */
  heartbeatAt?: Date;
}

/** Where engines announce themselves; implemented in src/store/engine-store.ts. */
export interface EngineStore {
  /** Inserts or renews the engine's row, stamping it with the database's now(). */
  renew(e: EngineRecord): Promise<void>;
  /** Engines renewed within `timeoutMs` (by the database clock), any state, ordered by id. */
  live(timeoutMs: number): Promise<EngineRecord[]>;
  /** Every row, stale ones too (operators' listing), ordered by id. */
  list(): Promise<EngineRecord[]>;
  /** Removes the engine's row; no error when it is absent. */
  remove(id: string): Promise<void>;
  /** Removes the rows not renewed for `olderThanMs` (engines killed long ago); resolves with their ids. */
  prune(olderThanMs: number): Promise<string[]>;
}
