// The executor port: how the rest of Fresco asks for a function to run. Implemented in
// src/executor/ (cold runs, pre-started containers, hot pools); nothing else imports Docker.
import type { CallKind, CallOutcome, CallRequest } from './call';
import type { CallSignal } from './call-abort';

export type { CallKind, CallOutcome, CallRequest, FinalStatus } from './call';

/** How a route's function speaks: one container per call (default) or a hot protocol. */
export type RouteFormat = 'default' | 'http' | 'json';

/** Everything the executor needs to know about the route being run. */
export interface RunnableRoute {
  projectId: string;
  appName: string;
  /** Route path with its leading slash, e.g. "/img/resize". */
  path: string;
  image: string;
  format: RouteFormat;
  /** Hard memory limit in MiB (swap off). */
  memory: number;
  /** Seconds before the call is ended as `timeout`. */
  timeout: number;
  /** Seconds a hot container may stay idle before it is stopped (never 0). */
  idleTimeout: number;
  /** Most hot containers of this route on this engine. */
  maxConcurrency: number;
  /** Hot containers kept even when idle (started ahead of calls, refilled, never swept below); default 0. */
  minHot?: number;
  /** App config then route config (route wins), already merged; becomes env. */
  config: Record<string, string>;
  /** Opt-ins the hardened defaults refuse unless set. */
  allowRoot?: boolean;
  network?: string;
  /** Changes whenever the route is updated, so hot containers of an old version are retired. */
  version?: string;
  /** The published route version this runs (absent: the route as it is now); its hot containers are its own. */
  routeVersion?: number;
  /** A code route (docs/runtimes.md): `image` is its runtime's; the package is mounted read-only. */
  code?: RunnableCode;
}

/** A code route's package and how the runtime calls it. */
export interface RunnableCode {
  /** sha256 of the package, hex. */
  digest: string;
  /** A single file's name, or undefined for a zip. */
  file?: string;
  /** `module.function`. */
  entry: string;
  calling: 'lambda' | 'qinling';
  /** The engine's unpacked copy (set by the package cache before the call reaches Docker). */
  hostDir?: string;
}

/** One call handed to the executor: its id and request, the route it runs on. */
export interface ExecutorCall extends CallRequest {
  id: string;
  route: RunnableRoute;
  /** Aborting ends the call as `cancelled` and removes its container. */
  signal?: CallSignal;
  /** Refuse at once with FRESCO_ENGINE_BUSY instead of waiting when this engine has no room for
   *  the call (its hot containers all busy at max_concurrency, or no admission room): the
   *  cluster then tries the next engine. Default false: wait. */
  refuseWhenFull?: boolean;
  /** Called once when the function actually starts (container started or hot slot taken). */
  onStart?: (kind: CallKind) => void;
  /** Which attempt of an async call this is (1 = first); FRESCO_ATTEMPT in the function's environment. */
  attempt?: number;
  /** Receives the function's stderr as it is written (live logs), never more than the call's log
   *  keeps; what it received is always a prefix of the outcome's `log`. Optional. */
  logSink?: (chunk: Buffer) => void;
}

/** One route (with all its published versions), or every route of an app when `path` is absent;
 *  with `path` and `version`, only that published version of the route (RunnableRoute.routeVersion). */
export interface RouteScope {
  projectId: string;
  appName: string;
  path?: string;
  version?: number;
}

/** A live hot container of a route. */
export interface HotWorker {
  /** The container's name. */
  name: string;
  busy: boolean;
}

/** Runs calls. `start()` reaps orphans of an earlier run; `stop()` removes every container it made. */
export interface Executor {
  start(): Promise<void>;
  run(call: ExecutorCall): Promise<CallOutcome>;
  /** The routes in `scope` changed or were deleted: the containers kept for them (hot,
   *  pre-started) take no more calls and are removed, idle ones at once, busy ones after their
   *  call. Never throws. */
  retireRoutes(scope: RouteScope): void;
  /** Starts one hot container of `route` ahead of any call when it has none (a function from code
   *  just created), so that its first call skips the start. Optional; never throws. */
  prewarm?(route: RunnableRoute): Promise<void>;
  /** Keeps runtime containers waiting, ahead of any function, for the images of the registered
   *  runtimes (`images`, all of them each time), so that a new function from code is specialised
   *  into one instead of starting a container (docs/runtimes.md). Optional; never throws. */
  prestartRuntimes?(images: string[]): void;
  /** The live hot containers of one route on this engine (Qinling's function workers). Optional. */
  workers?(route: RouteScope & { path: string }): HotWorker[];
  /** Hot containers on this engine running `image`, waiting runtime containers included, and how many are idle or waiting (Qinling's runtime pool). Optional. */
  poolOf?(image: string): { total: number; available: number };
  /** True when calls run in other processes (the API's RemoteExecutor): nothing of a call, such as
   *  a code package, is prepared on this host. */
  readonly remote?: boolean;
  stop(): Promise<void>;
}
