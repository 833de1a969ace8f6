// Fresco's domain objects and the store ports that keep them. No I/O here.
import type { RouteFormat } from './executor';
import type { RetryPolicy } from './retry';
import type { ChainNode, FollowUp } from './chain';
import type { CallKind, CallOutcome, CallRequest, CallStatus, CallTrigger, FinalStatus } from './call';

export type { CallKind, CallOutcome, CallRequest, CallStatus, CallTrigger, FinalStatus } from './call';

export type StringMap = Record<string, string>;

export interface App {
  id: string;
  projectId: string;
  name: string;
  description: string;
  config: StringMap;
  createdAt: Date;
  updatedAt: Date;
}

export type RouteType = 'sync' | 'async';

export interface Route {
  id: string;
  appId: string;
  projectId: string;
  appName: string;
  /** With its leading slash; may contain further slashes. */
  path: string;
  image: string;
  type: RouteType;
  format: RouteFormat;
  memory: number;
  timeout: number;
  idleTimeout: number;
  maxConcurrency: number;
  headers: Record<string, string[]>;
  config: StringMap;
  isPublic: boolean;
  /** A code route (docs/runtimes.md) names its runtime, entry (`module.function`), calling
   *  convention and package digest; its `image` is empty (the runtime's image runs). */
  runtime?: string | null;
  entry?: string | null;
  calling?: 'lambda' | 'qinling' | null;
  codeDigest?: string | null;
  /** A single-file package's file name (its module); null for a zip. */
  codeFile?: string | null;
  /** Async calls only (and trigger calls): runs again after a failed attempt; absent means DEFAULT_RETRY (none). */
  retry?: RetryPolicy;
  /** Chaining (docs/api.md, "Chaining"): the route whose async call follows a successful (failed) call, `/path` or `app/path`. */
  onSuccess?: string | null;
  onFailure?: string | null;
  /** Hot containers each engine keeps for the route even when idle (Qinling's scale up/down); absent means 0. */
  minHot?: number;
  /** Its async calls' priority unless a run sets one (docs/api.md, "Priorities"); absent means DEFAULT_PRIORITY. */
  priority?: number;
  /** Its sync calls keep their input (credentials stripped) as async calls do, so they can be replayed
   *  (docs/api.md, "Replay"); absent means false. */
  keepInput?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type NewApp = Pick<App, 'projectId' | 'name' | 'description' | 'config'>;
export type AppPatch = Partial<Pick<App, 'description' | 'config'>>;
export type NewRoute = Omit<Route, 'id' | 'appId' | 'createdAt' | 'updatedAt'>;
export type RoutePatch = Partial<Omit<NewRoute, 'projectId' | 'appName' | 'path'>>;

/** Keeps apps. Names are unique per project: create throws ConflictError FRESCO_APP_EXISTS. */
export interface AppStore {
  list(projectId: string): Promise<App[]>;
  /** Returns undefined when there is no such app in that project. */
  get(projectId: string, name: string): Promise<App | undefined>;
  create(app: NewApp): Promise<App>;
  /** Returns undefined when the app does not exist. */
  update(projectId: string, name: string, patch: AppPatch): Promise<App | undefined>;
  /** Returns false when the app does not exist; throws ConflictError FRESCO_APP_HAS_ROUTES. */
  delete(projectId: string, name: string): Promise<boolean>;
}

/** Keeps routes. Paths are unique per app; a public route claims /r/{app}{path} globally. */
export interface RouteStore {
  list(projectId: string, appName: string): Promise<Route[]>;
  get(projectId: string, appName: string, path: string): Promise<Route | undefined>;
  /** The public route exposed at /r/{appName}{path}, whatever its project. */
  getPublic(appName: string, path: string): Promise<Route | undefined>;
  /** True when any project has a route (public or private) with that app name and path. */
  existsAnywhere(appName: string, path: string): Promise<boolean>;
  /** Throws ConflictError FRESCO_ROUTE_EXISTS or FRESCO_ROUTE_PUBLIC_URL_TAKEN; undefined when the app is gone. */
  create(route: NewRoute): Promise<Route | undefined>;
  update(projectId: string, appName: string, path: string, patch: RoutePatch): Promise<Route | undefined>;
  delete(projectId: string, appName: string, path: string): Promise<boolean>;
  /** Every route of the project that chains to another, with its links (for the cycle check). */
  chainNodes(projectId: string): Promise<ChainNode[]>;
}

export interface Call {
  id: string;
  projectId: string;
  app: string;
  route: string;
  trigger: CallTrigger;
  triggerId?: string;
  status: CallStatus;
  kind?: CallKind;
  createdAt: Date;
  startedAt?: Date;
  completedAt?: Date;
  durationMs?: number;
  exitCode?: number;
  error?: string;
  result?: Buffer;
  resultTruncated: boolean;
  logTruncated: boolean;
  attempts: number;
  /** 0–100, as last reported by the function (FRESCO_PROGRESS lines on stderr); absent if never. */
  progress?: number;
  progressMessage?: string;
  /** Chaining: the call this one follows, the first call of its chain, and its distance from it (0: not chained). */
  parentCallId?: string;
  rootCallId?: string;
  depth?: number;
  /** Why the call that should have followed this one was not started (FRESCO_CHAIN_*). */
  chainError?: string;
  /** The dead letter this call redrives (docs/api.md, "Dead letters"). */
  redriveOf?: string;
  /** The finished call this one replays (POST .../calls/{id}/replay). */
  replayOf?: string;
  /** The published route version the call ran (docs/api.md, "Versions and aliases"); absent: the route itself. */
  routeVersion?: number;
  /** 0 (lowest) – 9 (highest): the order queued async calls are served in (docs/api.md, "Priorities"). */
  priority?: number;
}

export interface CallFilter {
  app?: string;
  route?: string;
  status?: CallStatus;
  since?: Date;
  /** Opaque marker from a previous page's `next`. */
  marker?: string;
  limit: number;
  /** Every project's calls, not only `projectId`'s (admins: the Qinling API's all_projects). */
  allProjects?: boolean;
}

export type NewCall = Pick<Call, 'projectId' | 'app' | 'route' | 'trigger' | 'triggerId' | 'routeVersion' | 'priority'> & {
  /** What an async call runs with, kept with its record so any engine can run it. */
  request?: CallRequest;
  /** Makes a second insert with the same key a no-op (redelivered events, schedule slots). */
  dedupeKey?: string;
  /** The id to record the call under (chosen before, e.g. held by an idempotency key); default a new one. */
  id?: string;
  /** A chained call's lineage (docs/api.md, "Chaining"). */
  parentCallId?: string;
  rootCallId?: string;
  depth?: number;
  /** The dead letter this call redrives. */
  redriveOf?: string;
  /** The finished call this one replays. */
  replayOf?: string;
};

/** A call an engine has taken, with what it runs with. */
export interface ClaimedCall {
  call: Call;
  request: CallRequest;
}

/** Keeps call records; the database is the source of truth for every call's state. */
export interface CallStore {
  /** Records a queued call; undefined when its dedupeKey was used before (nothing inserted). With `runHere`, the
   *  call is recorded as claimed instead: running on that engine, leased as claim() leases, its first attempt. */
  enqueue(call: NewCall, runHere?: { engineId: string; leaseMs: number }): Promise<Call | undefined>;
  /**
   * Records a queued call that redrives dead letter `call.redriveOf` and marks that dead letter
   * redriven by it, in one transaction; undefined when it was redriven already (nothing written).
   */
  enqueueRedrive(call: NewCall): Promise<Call | undefined>;
  /** Records a finished sync call in one write. */
  recordFinished(id: string, call: NewCall, outcome: CallOutcome): Promise<void>;
  /** Records a sync call still running here (it became slow), leased to `engineId` like an async one. */
  recordRunning(id: string, call: NewCall, engineId: string, startedAt: Date, leaseMs: number): Promise<void>;
  /** Keeps a finished slow sync call's input (route keep_input): its running record had none, so that a lost
   *  engine never requeues a sync call as if it were async. */
  keepRequest?(id: string, request: CallRequest): Promise<void>;
  get(projectId: string, id: string): Promise<Call | undefined>;
  getLog(projectId: string, id: string): Promise<{ log: Buffer; truncated: boolean } | undefined>;
  /** The call and the input kept with it (async and trigger calls; none for sync ones); undefined when unknown. */
  getWithRequest(projectId: string, id: string): Promise<{ call: Call; request?: CallRequest } | undefined>;
  /** Newest first; `next` is the marker of the following page or null. */
  list(projectId: string, filter: CallFilter): Promise<{ calls: Call[]; next: string | null }>;
  /** Takes call `id` if it is queued (or running on an expired lease); undefined otherwise. */
  claim(id: string, engineId: string, leaseMs: number): Promise<ClaimedCall | undefined>;
  /** Takes up to `limit` queued calls in one statement, skipping rows other engines hold: highest aged priority
   *  first, then oldest (domain/priority.ts, comparePriority), and returns them in that order. */
  claimQueued(engineId: string, leaseMs: number, limit: number): Promise<ClaimedCall[]>;
  /** Notes that a running call started (shown while it runs); may be written later, or not at all once it completed. */
  markStarted(id: string, kind: CallKind, at: Date): Promise<void>;
  /** Extends the lease; false when the call is no longer this engine's to run (e.g. cancelled). */
  renewLease(id: string, engineId: string, leaseMs: number, progress?: { progress: number; message: string | null }): Promise<boolean>;
  /** Puts a call this engine runs back to queued (engine shutting down); false if it was not ours. */
  requeue(id: string, engineId: string): Promise<boolean>;
  /**
   * Records the outcome if the call is still running on this engine; false otherwise. With `follow`,
   * its follow-up call (or the note why none starts) is written in the same transaction; with
   * `deadLetter` (default false) the call also becomes a dead letter, atomically with its outcome.
   */
  complete(id: string, engineId: string, outcome: CallOutcome, follow?: FollowUp, deadLetter?: boolean): Promise<boolean>;
  /** Cancels a queued or running call; returns it, or undefined if unknown. */
  cancel(projectId: string, id: string): Promise<Call | undefined>;
  /** Running calls whose lease passed go back to queued (or error past maxAttempts); returns the re-queued ids. */
  requeueExpired(maxAttempts: number): Promise<string[]>;
  /** Queued calls created before `olderThan` (to publish again after a broker outage). */
  listStaleQueued(olderThan: Date, limit: number): Promise<string[]>;
  /** Deletes finished calls completed before `before`; returns how many. */
  purge(before: Date): Promise<number>;
  /**
   * Keeps the attempt this engine ran (`outcome`) in the call's attempts and puts the call back to
   * queued, to be claimed no sooner than `delayMs` from now (database clock); false if it was not ours.
   */
  retryLater(id: string, engineId: string, outcome: CallOutcome, delayMs: number): Promise<boolean>;
  /** Keeps the last attempt of a retried call in its attempts (its outcome is the call's, by complete()). */
  recordAttempt(id: string, attempt: number, outcome: CallOutcome): Promise<void>;
  /** Calls whose retry wait ended: clears their wait and returns their ids, to publish again. */
  releaseDueRetries(limit: number): Promise<string[]>;
  /** Records a chained call (queued, once per dedupeKey) before its sync parent's record; undefined if it existed. */
  enqueueFollowUp(follow: FollowUp): Promise<Call | undefined>;
  /** Keeps in a finished call's record why its follow-up was not started. */
  noteChainError(id: string, note: string): Promise<void>;
  /** The chain call `id` belongs to: its root first, then the chained calls by depth; undefined if unknown. */
  lineage(projectId: string, id: string): Promise<Call[] | undefined>;
  /** A call's attempts (retried calls only), oldest first. */
  attempts(projectId: string, id: string): Promise<CallAttempt[]>;
}

/** One finished attempt of a retried call. */
export interface CallAttempt {
  attempt: number;
  status: FinalStatus;
  startedAt?: Date;
  completedAt: Date;
  exitCode?: number;
  error?: string;
  /** When the next attempt was due (absent on the last one). */
  retryAt?: Date;
  log: Buffer;
  logTruncated: boolean;
}

export type TriggerType = 'swift' | 'notification' | 'alarm' | 'schedule';

export interface Trigger {
  id: string;
  projectId: string;
  name: string;
  type: TriggerType;
  app: string;
  /** Route path with its leading slash. */
  route: string;
  filter: Record<string, unknown>;
  schedule?: string;
  timezone?: string;
  /** Alarm triggers: the unguessable part of the callback URL. Never shown except in callback_url. */
  secret?: string;
  enabled: boolean;
  lastFiredAt?: Date;
  /** Schedule triggers (Qinling jobs): nothing fires before it; its first firing is at it, the
   *  schedule's slots after (none without a schedule: a one-shot). */
  startAt?: Date;
  /** Firings left; undefined: no end. The firing that brings it to 0 ends the trigger ('done'). */
  remaining?: number;
  /** The calls' body instead of the schedule event (a Qinling job's function_input). */
  input?: string;
  /** Set when the trigger will never fire again: 'done' (its count ran out) or 'cancelled'. */
  ended?: TriggerEnd;
  /** The published version of the route each firing runs (docs/api.md, "Versions and aliases");
   *  with `alias`, never both; neither: the route as it is now. */
  version?: number;
  /** The alias whose version each firing runs, looked up at the firing. */
  alias?: string;
  createdAt: Date;
  updatedAt: Date;
}

export type TriggerEnd = 'done' | 'cancelled';

export type NewTrigger = Omit<Trigger, 'id' | 'createdAt' | 'updatedAt' | 'lastFiredAt'>;
export type TriggerPatch = Partial<Pick<Trigger, 'name' | 'app' | 'route' | 'filter' | 'schedule' | 'timezone' | 'enabled'>>
  & { startAt?: Date | null; remaining?: number | null; input?: string | null; ended?: TriggerEnd | null }
  /** The version or alias it runs; setting one clears the other, null clears it. */
  & { version?: number | null; alias?: string | null };

/** Keeps triggers; names are unique per project (ConflictError FRESCO_TRIGGER_EXISTS). */
export interface TriggerStore {
  list(projectId: string): Promise<Trigger[]>;
  get(projectId: string, id: string): Promise<Trigger | undefined>;
  /** Any project's trigger by id (alarm callbacks carry only the id and secret). */
  getById(id: string): Promise<Trigger | undefined>;
  /** Enabled triggers of these types, of one project or (projectId undefined) of all. */
  listEnabled(types: TriggerType[], projectId?: string): Promise<Trigger[]>;
  /** Throws FRESCO_ROUTE_VERSION_NOT_FOUND or FRESCO_ROUTE_ALIAS_NOT_FOUND (naming trigger.version or
   *  trigger.alias) when the version or alias it runs is not the route's; checked under a lock, so a
   *  concurrent delete of that version or alias either sees the trigger (409) or is seen (404). */
  create(t: NewTrigger): Promise<Trigger>;
  /** The same checks as create, on the trigger as the patch leaves it. */
  update(projectId: string, id: string, patch: TriggerPatch): Promise<Trigger | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** Moves last_fired_at forward to `at` if it was before; false when another process already did.
   *  With `countdown`, one firing is taken off `remaining` in the same step, and the last one ends
   *  the trigger (ended 'done', disabled). */
  advanceFired(id: string, previous: Date | undefined, at: Date, countdown?: boolean): Promise<boolean>;
}
