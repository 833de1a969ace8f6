// The executor port: how the rest of Fresco asks for a function to run. Implemented in
// src/executor/ (cold runs, pre-started containers, hot pools); nothing else imports Docker.

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
  /** App config then route config (route wins), already merged; becomes env. */
  config: Record<string, string>;
  /** Opt-ins the hardened defaults refuse unless set. */
  allowRoot?: boolean;
  network?: string;
  /** Changes whenever the route is updated, so hot containers of an old version are retired. */
  version?: string;
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

/** One invocation of a route. */
export interface CallRequest {
  id: string;
  route: RunnableRoute;
  method: string;
  /** The full URL the caller used (REQUEST_URL). */
  url: string;
  /** Path and query the function sees in a hot request line, e.g. "/r/app/hello?x=1". */
  requestPath: string;
  /** Caller's headers, lower-case names (tokens already removed by the caller). */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Aborting ends the call as `cancelled` and removes its container. */
  signal?: AbortSignal;
  /** Called once when the function actually starts (container started or hot slot taken). */
  onStart?: (kind: RunKind) => void;
}

export type RunKind = 'cold' | 'prestarted' | 'hot';
export type RunStatus = 'success' | 'error' | 'timeout' | 'cancelled';

/** What came of a call. Never throws for a function's misbehaviour: that is a status. */
export interface CallResult {
  status: RunStatus;
  kind: RunKind;
  exitCode: number | null;
  /** Response body (stdout for default format), capped. */
  output: Buffer;
  outputTruncated: boolean;
  /** The function's stderr, capped. */
  log: Buffer;
  logTruncated: boolean;
  /** Human-readable reason when status is not success. */
  error?: string;
  /** For http/json formats: what the function answered. */
  httpStatus?: number;
  httpHeaders?: Record<string, string[]>;
  startedAt?: Date;
  completedAt: Date;
}

/** One route, or every route of an app when `path` is absent. */
export interface RouteScope {
  projectId: string;
  appName: string;
  path?: string;
}

/** Runs calls. `start()` reaps orphans of an earlier run; `stop()` removes every container it made. */
export interface Executor {
  start(): Promise<void>;
  run(req: CallRequest): Promise<CallResult>;
  /** The routes in `scope` changed or were deleted: the containers kept for them (hot,
   *  pre-started) take no more calls and are removed, idle ones at once, busy ones after their
   *  call. Never throws. */
  retireRoutes(scope: RouteScope): void;
  /** Starts one hot container of `route` ahead of any call when it has none (a function from code
   *  just created), so that its first call skips the start. Optional; never throws. */
  prewarm?(route: RunnableRoute): Promise<void>;
  stop(): Promise<void>;
}
