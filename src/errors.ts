// Every failure Fresco answers with is declared here once, as fastify's error registry does:
// its stable code, HTTP status, message template, whether the message may be shown and whether
// the same request can succeed later (`retryable`). Throw sites call the failure's factory; one
// place (api/middleware/errors.ts) turns the error into a response; docs/errors.md is generated
// from this table (`npm run docs:errors`, and a unit test fails when the file is stale).

/** A registered failure: the registry's row, which docs/errors.md lists. */
export interface ErrorSpec {
  readonly code: string;
  readonly status: number;
  /** What it means for the user, one line (the doc's third column). */
  readonly meaning: string;
  /** True when the same request can succeed later (the engine puts an async call back in the queue). */
  readonly retryable: boolean;
  /** Whether the message may be shown to the caller; default: status below 500. */
  readonly expose: boolean;
}

/** A failure a user or operator can act on; built by a registered factory, never ad hoc. */
export class FrescoError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly retryable: boolean;

  /** `status` overrides the spec's only for HTTP-layer errors mapped by status (see the error middleware). */
  constructor(spec: ErrorSpec, message: string, readonly headers: Record<string, string> = {}, status = spec.status) {
    super(message);
    this.name = 'FrescoError';
    this.code = spec.code;
    this.status = status;
    this.expose = spec.expose;
    this.retryable = spec.retryable;
  }
}

// Families, so callers (and tests) can catch by kind; the factory picks the family by status.
export class ValidationError extends FrescoError {}
export class UnauthorizedError extends FrescoError {}
export class ForbiddenError extends FrescoError {}
export class NotFoundError extends FrescoError {}
export class ConflictError extends FrescoError {}
export class ServiceUnavailableError extends FrescoError {}

/** The broker could not take a message in time (down, unreachable, refused it): 503 FRESCO_QUEUE_UNAVAILABLE. */
export class QueueUnavailableError extends ServiceUnavailableError {
  constructor(message: string) {
    super(queueUnavailable.spec, message);
    this.name = 'QueueUnavailableError';
  }
}

const FAMILIES: Record<number, typeof FrescoError> = {
  400: ValidationError, 401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError,
  503: ServiceUnavailableError,
};

/** Builds a failure of this kind; `spec` is its registry row, `is` tells whether an error is one. */
export interface ErrorFactory<A extends unknown[]> {
  (...args: A): FrescoError;
  readonly spec: ErrorSpec;
  is(err: unknown): err is FrescoError;
}

type Message<A extends unknown[]> = (...args: A) => string | { message: string; headers: Record<string, string> };

const registry: ErrorSpec[] = [];

/** Every registered failure, in declaration order (the order of docs/errors.md). */
export const ERROR_REGISTRY: readonly ErrorSpec[] = registry;

/** Registers a code once (a second registration is a programming error) and returns its factory. */
function define<A extends unknown[]>(code: string, status: number, meaning: string, message: Message<A>,
  opts: { retryable?: boolean; expose?: boolean; make?: (message: string) => FrescoError } = {}): ErrorFactory<A> {
  if (registry.some((s) => s.code === code)) throw new Error(`error code ${code} registered twice`);
  const spec: ErrorSpec = Object.freeze({
    code, status, meaning, retryable: opts.retryable ?? false, expose: opts.expose ?? status < 500,
  });
  registry.push(spec);
  const Family = FAMILIES[status] ?? FrescoError;
  const factory = (...args: A): FrescoError => {
    const m = message(...args);
    if (typeof m !== 'string') return new Family(spec, m.message, m.headers);
    return opts.make ? opts.make(m) : new Family(spec, m);
  };
  return Object.assign(factory, {
    spec, is: (err: unknown): err is FrescoError => err instanceof FrescoError && err.code === code,
  });
}

/** True when `err` is a registered failure that can succeed if tried again later. */
export function isRetryable(err: unknown): boolean {
  return err instanceof FrescoError && err.retryable;
}

const asIs = (message: string) => message;

// --- The request and the HTTP layer -------------------------------------------------------------

/** A field is missing or wrong; `message` names it (e.g. `route.memory: must be at most 8192`). */
export const requestInvalid = define('FRESCO_REQUEST_INVALID', 400,
  'A field is missing, of the wrong type, out of range or unknown; the message names it.', asIs);
/** The body is not JSON (mapped from the body parser's 400). */
export const requestMalformed = define('FRESCO_REQUEST_MALFORMED', 400, 'The body is not valid JSON.', asIs);
/** The body is over `limit` bytes; without a limit, the body parser's wording. */
export const requestTooLarge = define('FRESCO_REQUEST_TOO_LARGE', 413,
  'The body is larger than `[DEFAULT] max_body_size`.',
  (limit?: number) => limit === undefined ? 'body: request body is larger than this deployment accepts'
    : `body: larger than ${limit} bytes`);
/** A management call with a body that is not JSON; `got` is its Content-Type. */
export const unsupportedMediaType = define('FRESCO_REQUEST_UNSUPPORTED_MEDIA_TYPE', 415,
  'A management call whose body is not `application/json`.',
  (got: string) => `Content-Type must be application/json (got "${got || 'none'}")`);
/** The router knows the path but not the method (mapped from Koa's 405). */
export const methodNotAllowed = define('FRESCO_METHOD_NOT_ALLOWED', 405,
  'The path exists but not with that method.', asIs);
/** Nothing answers `method path`. */
export const notFound = define('FRESCO_NOT_FOUND', 404, 'No resource at that path.',
  (method: string, path: string) => `No resource at ${method} ${path}`);
/** The method is unknown to the router (mapped from Koa's 501), or TRACE/TRACK/CONNECT on any path. */
export const notImplemented = define('FRESCO_NOT_IMPLEMENTED', 501, 'The method is not implemented.', asIs, { expose: true });
/** Anything unexpected; its details go to the log only. */
export const internalError = define('FRESCO_INTERNAL_ERROR', 500,
  'An unexpected failure; the request id finds it in the logs.',
  () => 'Internal error; the request id identifies it in the logs');

// --- Apps, routes, calls, triggers --------------------------------------------------------------

export const appNotFound = define('FRESCO_APP_NOT_FOUND', 404, 'No app of that name in the project.',
  (name: string) => `App "${name}" not found`);
export const appExists = define('FRESCO_APP_EXISTS', 409, 'The project already has an app of that name.',
  (name: string) => `App "${name}" already exists`);
export const appHasRoutes = define('FRESCO_APP_HAS_ROUTES', 409, 'An app is deleted only once its routes are.',
  (name: string) => `App "${name}" still has routes; delete them first`);
/** `field` prefixes the message when the path came from another resource's field (e.g. `trigger.route`). */
export const routeNotFound = define('FRESCO_ROUTE_NOT_FOUND', 404, 'No route at that path in the app.',
  (app: string, path: string, field?: string) => field ? `${field}: route ${path} not found in app "${app}"`
    : `Route ${path} not found in app "${app}"`);
export const routeExists = define('FRESCO_ROUTE_EXISTS', 409, 'The app already has a route at that path.',
  (app: string, path: string) => `Route ${path} already exists in app "${app}"`);
export const routePublicUrlTaken = define('FRESCO_ROUTE_PUBLIC_URL_TAKEN', 409,
  'Another project already exposes `/r/{app}{path}` publicly.',
  (app: string, path: string) => `The public URL /r/${app}${path} is already taken by another project`);

// --- Functions from code: runtimes and code packages (docs/runtimes.md) ----------------------------

export const runtimeNotFound = define('FRESCO_RUNTIME_NOT_FOUND', 404, 'No runtime of that name is registered.',
  (name: string, field?: string) => `${field ? `${field}: ` : ''}runtime "${name}" not found`);
export const runtimeExists = define('FRESCO_RUNTIME_EXISTS', 409, 'A runtime of that name is already registered.',
  (name: string) => `Runtime "${name}" already exists`);
export const runtimeInUse = define('FRESCO_RUNTIME_IN_USE', 409, 'A runtime is deleted only once no route uses it.',
  (name: string, routes: number) => `Runtime "${name}" is used by ${routes} route(s); change or delete them first`);
/** An uploaded package was refused; `problem` names what is wrong with it (zip-slip path, zip bomb, ...). */
export const packageInvalid = define('FRESCO_PACKAGE_INVALID', 400,
  'A code package was refused (not a zip, a path escaping the tree, a symlink out of it, a zip bomb, over the size limit); nothing was stored.',
  (problem: string) => `code: ${problem}`);
export const packageCorrupt = define('FRESCO_PACKAGE_CORRUPT', 500,
  'A stored code package no longer matches its digest (storage corruption); the call did not run.',
  (digest: string) => `The code package ${digest.slice(0, 12)} does not match its digest`, { expose: true });
export const packageNotFound = define('FRESCO_PACKAGE_NOT_FOUND', 404, 'The route has no code package (an image route).',
  (path: string) => `Route ${path} runs an image; it has no code package to download`);

// --- Authentication and authorisation -----------------------------------------------------------

/** `wwwAuthenticate` becomes the WWW-Authenticate header (Keystone's challenge). */
export const authRequired = define('FRESCO_AUTH_REQUIRED', 401,
  'No valid Keystone token; `WWW-Authenticate` names Keystone.',
  (message: string, wwwAuthenticate?: string) =>
    ({ message, headers: wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticate } : {} as Record<string, string> }));
export const routePrivate = define('FRESCO_ROUTE_PRIVATE', 403,
  'The route exists but is private: run it at `/v1/r/{project_id}/...` with a token.',
  () => 'This route is private; run it with a token at /v1/r/{project_id}/...');

export const callNotFound = define('FRESCO_CALL_NOT_FOUND', 404,
  'No call with that id in the project (or it was purged after the retention time).',
  (id: string) => `Call ${id} not found`);
// A function's own failure is the caller's business: the message is always shown.
export const callFailed = define('FRESCO_CALL_FAILED', 502,
  'The function exited non-zero, ran out of memory, flooded its output or broke its protocol; `call_id` finds its log.',
  (error: string | undefined, exitCode: number | null) => error ?? `The function failed (exit code ${exitCode})`,
  { expose: true });
export const callTimeout = define('FRESCO_CALL_TIMEOUT', 504,
  'The function ran past the route\'s `timeout` and was killed.',
  (error?: string) => error ?? 'The function timed out', { expose: true });
export const callCancelled = define('FRESCO_CALL_CANCELLED', 499, 'The call was cancelled while it ran.',
  () => 'The call was cancelled', { expose: true });
/** `what` was accepted before under the same dedupe key ("event", "alarm callback"). */
export const callDuplicate = define('FRESCO_CALL_DUPLICATE', 409,
  'An event with the same id was already accepted (redelivery).',
  (what: string) => `This ${what} was already accepted`);
/** The Idempotency-Key header is not 1–255 printable ASCII characters. */
export const idempotencyKeyInvalid = define('FRESCO_IDEMPOTENCY_KEY_INVALID', 400,
  'The `Idempotency-Key` header is not 1 to 255 printable ASCII characters.',
  (why: string) => `Idempotency-Key: ${why}`);
/** The key was first used on another route, or with another method or body. */
export const idempotencyKeyConflict = define('FRESCO_IDEMPOTENCY_KEY_CONFLICT', 409,
  'The `Idempotency-Key` was already used in this project, within the window, for another route, method or body.',
  (callId: string) => ({
    message: `Idempotency-Key was already used for call ${callId} with another route, method or body`,
    headers: { 'X-Fresco-Call-Id': callId },
  }));
/** The first call with this key still runs; its id is in X-Fresco-Call-Id. */
export const idempotencyKeyInProgress = define('FRESCO_IDEMPOTENCY_IN_PROGRESS', 409,
  'The first call with this `Idempotency-Key` is still running; ask again later for its answer, or follow the call id.',
  (callId: string) => ({
    message: `The first call with this Idempotency-Key (${callId}) is still running`,
    headers: { 'X-Fresco-Call-Id': callId, 'Retry-After': '1' },
  }));
/** Without `reason`: this process runs no engine; with it: the container engine is not usable yet. */
export const engineUnavailable = define('FRESCO_ENGINE_UNAVAILABLE', 503,
  'No engine can run sync calls in this process (Docker unreachable).',
  (reason?: string) => reason === undefined ? 'No engine runs sync calls here'
    : `No container engine is usable on this node yet (${reason}); retry later`,
  { retryable: true, expose: true });
export const queueUnavailable = define('FRESCO_QUEUE_UNAVAILABLE', 503,
  'The message queue could not take the call in time.', asIs,
  { retryable: true, expose: true, make: (message) => new QueueUnavailableError(message) });
/** Without `id`: an Aodh callback URL that matches no enabled alarm trigger (or a wrong secret). */
export const triggerNotFound = define('FRESCO_TRIGGER_NOT_FOUND', 404,
  'No trigger with that id in the project (or a wrong alarm callback secret).',
  (id?: string) => id === undefined ? 'No alarm trigger at this URL' : `Trigger ${id} not found`);
export const triggerExists = define('FRESCO_TRIGGER_EXISTS', 409, 'The project already has a trigger of that name.',
  (name?: string) => `A trigger named "${name}" already exists`);
export const authUnavailable = define('FRESCO_AUTH_UNAVAILABLE', 503,
  'Keystone did not answer in `http_connect_timeout` and the token is not cached; retry.',
  (detail: string) => `The identity service (Keystone) could not check the token: ${detail}. Try again shortly.`,
  { retryable: true, expose: true });
export const projectForbidden = define('FRESCO_PROJECT_FORBIDDEN', 403,
  'The token is scoped to another project and has no admin role.',
  (tokenProject: string | undefined, projectId: string) =>
    `Your token is scoped to project ${tokenProject}, not ${projectId}; use a token for that project`);
export const policyForbidden = define('FRESCO_POLICY_FORBIDDEN', 403,
  'The token\'s roles do not allow this action (`etc/fresco/policy.yaml`), e.g. a reader writing or running.',
  (action: string, projectId: string, roles: readonly string[]) =>
    `Policy does not allow ${action} on project ${projectId} with roles [${roles.join(', ')}]`);

// --- The executor's infrastructure failures (a function's own misbehaviour is a CallOutcome) ------

export const imagePullFailed = define('FRESCO_IMAGE_PULL_FAILED', 502,
  'The route\'s image could not be pulled (unknown image, registry unreachable or refused the credentials).',
  (image: string, detail: string) => `Pulling image ${image} failed: ${detail}`, { expose: true });
export const imageNoCommand = define('FRESCO_IMAGE_NO_COMMAND', 502,
  'The route\'s image has neither an entrypoint nor a cmd.',
  (image: string) => `Image ${image} has no entrypoint or cmd to run`, { expose: true });
/** Details only in the log: the message is not shown. */
export const dockerFailed = define('FRESCO_ENGINE_DOCKER_ERROR', 502,
  'Docker refused or failed an operation for this call; the engine keeps serving.',
  (what: string, err: unknown) =>
    `The container engine failed to ${what}: ${err instanceof Error ? err.message : String(err)}`);
/** Answered with `Retry-After: 1`. */
export const engineBusy = define('FRESCO_ENGINE_BUSY', 503,
  'Too many calls wait for this hot route\'s containers, or for room for a cold container, on this engine; retry later.',
  (route: string) => ({
    message: `Route ${route} has too many calls waiting on this engine; retry later`, headers: { 'Retry-After': '1' },
  }), { retryable: true, expose: true });
export const engineStopped = define('FRESCO_ENGINE_STOPPED', 503, 'The engine is shutting down.',
  () => 'This engine is not running', { retryable: true, expose: true });
export const launcherMissing = define('FRESCO_ENGINE_LAUNCHER_MISSING', 500,
  'The static launcher for pre-started containers is missing (an installation fault).',
  (path: string, detail: string) =>
    `The function launcher ${path} is missing and could not be built (bash src/executor/launcher/build.sh): ${detail}`);
// --- The cluster: API processes placing sync calls on engines over the call hop ------------------

/** Answered with `Retry-After: 1`. */
export const clusterFull = define('FRESCO_CLUSTER_FULL', 503,
  'Every live engine refused the call for want of room during `[cluster] placement_wait`; retry later.',
  (route: string, waitedMs: number) => ({
    message: `Every engine is full for route ${route} (waited ${Math.round(waitedMs)} ms); retry later`, headers: { 'Retry-After': '1' },
  }), { retryable: true, expose: true });
export const clusterNoEngine = define('FRESCO_CLUSTER_NO_ENGINE', 503,
  'No engine has renewed its membership within `[cluster] engine_timeout` (none started, or all down).',
  () => ({ message: 'No engine is available to run the call; retry later', headers: { 'Retry-After': '2' } }),
  { retryable: true, expose: true });
export const engineLost = define('FRESCO_ENGINE_LOST', 502,
  'The engine running the call went away (killed, crashed, unreachable) or answered with something unreadable; the call may have run in part.',
  (engineId: string, detail: string) => `The engine ${engineId} running this call was lost: ${detail}`, { expose: true });
/** What an engine answers a hop request without a valid signature; nothing is run. */
export const hopUnauthorized = define('FRESCO_HOP_UNAUTHORIZED', 401,
  'A request to an engine\'s call hop without a valid `[cluster] secret` signature; nothing was run.',
  (reason: string) => `Call hop request refused: ${reason}`);
export const hopMalformed = define('FRESCO_HOP_MALFORMED', 400,
  'A signed request to an engine\'s call hop that is not a readable call (a version mismatch between API and engine?).',
  (reason: string) => `Call hop request not readable: ${reason}`);

export const databaseUnavailable = define('FRESCO_DATABASE_UNAVAILABLE', 503,
  'PostgreSQL is down or restarting; nothing was accepted; retry.',
  () => 'The database is not reachable right now; retry later', { retryable: true, expose: true });

// --- The web console (/console) ---------------------------------------------------------------

export const consoleNotBuilt = define('FRESCO_CONSOLE_NOT_BUILT', 404,
  'The web console\'s files are not built in this installation: run `npm run build`.',
  (dir: string) => `The web console is not built here (no ${dir}); run npm run build`);
export const consoleNoKeystone = define('FRESCO_CONSOLE_NO_KEYSTONE', 404,
  'The console\'s login was asked of a Fresco without Keystone (`auth_strategy = noauth`): no login is needed.',
  () => 'This Fresco does not use Keystone (auth_strategy = noauth): the console needs no login');

// --- Chaining: a route's on_success / on_failure (docs/api.md, "Chaining") -----------------------

export const chainTargetNotFound = define('FRESCO_CHAIN_TARGET_NOT_FOUND', 400,
  'A route\'s on_success or on_failure names a route that does not exist in the project; the message names the field.',
  (field: string, target: string) => `${field}: route ${target} does not exist in this project`);
export const chainCycle = define('FRESCO_CHAIN_CYCLE', 409,
  'Setting on_success or on_failure would close a cycle of chained routes; the message names the cycle.',
  (field: string, cycle: string[]) => `${field}: the chain would loop: ${cycle.join(' -> ')}`);
/** Never an answer: kept in the parent call's chain_error when its follow-up was not started. */
export const chainTooDeep = define('FRESCO_CHAIN_TOO_DEEP', 409,
  'A chained call would exceed `[DEFAULT] max_chain_depth`: it was not started; the parent call\'s chain_error says so.',
  (target: string, depth: number, max: number) =>
    `FRESCO_CHAIN_TOO_DEEP: the call of ${target} was not started: it would be at depth ${depth}, over max_chain_depth ${max}`);
/** Never an answer: kept in the parent call's chain_error when its follow-up's route was deleted since. */
export const chainTargetGone = define('FRESCO_CHAIN_TARGET_GONE', 409,
  'The route a finished call should have been chained to no longer exists: no call was started; the parent call\'s chain_error says so.',
  (field: string, target: string) => `FRESCO_CHAIN_TARGET_GONE: ${field} names ${target}, which no longer exists; no call was started`);

// --- Dead letters (docs/api.md, "Dead letters") ---------------------------------------------------

export const deadLetterNotFound = define('FRESCO_DEADLETTER_NOT_FOUND', 404,
  'No dead letter with that id in the project (or it was purged).',
  (id: string) => `Dead letter ${id} not found`);
/** The dead letter's route was deleted (or its app): a redrive has nothing to run. */
export const deadLetterRouteGone = define('FRESCO_DEADLETTER_ROUTE_GONE', 409,
  'The dead letter\'s route no longer exists: create it again (same app and path) to redrive, or purge the dead letter.',
  (app: string, route: string) => `Route ${route} of app "${app}" no longer exists; create it again to redrive this dead letter`);
/** A dead letter is redriven once; its new call becomes a dead letter of its own if it fails. */
export const deadLetterRedriven = define('FRESCO_DEADLETTER_REDRIVEN', 409,
  'The dead letter was already redriven; its `redrive_call_id` is the new call.',
  (id: string, callId: string) => `Dead letter ${id} was already redriven as call ${callId}`);
/** A replay needs a finished call with kept input whose route still exists; `why` says which is missing. */
export const callNotReplayable = define('FRESCO_CALL_NOT_REPLAYABLE', 409,
  'The call cannot be replayed: it has not finished, its input was not kept (sync calls of routes without keep_input), or its route was deleted.',
  (id: string, why: string) => `Call ${id} cannot be replayed: ${why}`);

/** Start-up configuration problem; the message names the option. Not an answer, so not registered. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// --- Route versions and aliases (docs/api.md, "Versions and aliases") -----------------------------

export const routeVersionNotFound = define('FRESCO_ROUTE_VERSION_NOT_FOUND', 404,
  'The route has no version with that number (published versions: GET .../routes/{route}/@versions).',
  (path: string, version: number | string, field?: string) => `${field ? `${field}: ` : ''}Route ${path} has no version ${version}`);
export const routeAliasNotFound = define('FRESCO_ROUTE_ALIAS_NOT_FOUND', 404,
  'The route has no alias with that name (its aliases: GET .../routes/{route}/@aliases).',
  (path: string, alias: string, field?: string) => `${field ? `${field}: ` : ''}Route ${path} has no alias "${alias}"`);
export const routeAliasExists = define('FRESCO_ROUTE_ALIAS_EXISTS', 409,
  'The route (or, in the Qinling API, the project) already has an alias with that name.',
  (alias: string) => `An alias named "${alias}" exists already`);
export const routeVersionInUse = define('FRESCO_ROUTE_VERSION_IN_USE', 409,
  'A version that an alias points at or a trigger runs cannot be deleted; move or delete them first.',
  (path: string, version: number, users: { aliases: string[]; triggers: string[] }) =>
    `Version ${version} of route ${path} is ${usersOf(users)}; move or delete them first`);
export const routeAliasInUse = define('FRESCO_ROUTE_ALIAS_IN_USE', 409,
  'An alias that a trigger runs through cannot be deleted; point the trigger elsewhere or delete it first.',
  (path: string, alias: string, triggers: string[]) =>
    `Alias "${alias}" of route ${path} is run by trigger(s) ${quoted(triggers)}; point them elsewhere or delete them first`);

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
// "the target of alias(es) "prod" and the version trigger(s) "nightly" run".
function usersOf(u: { aliases: string[]; triggers: string[] }): string {
  const parts = [];
  if (u.aliases.length) parts.push(`the target of alias(es) ${quoted(u.aliases)}`);
  if (u.triggers.length) parts.push(`run by trigger(s) ${quoted(u.triggers)}`);
  return parts.join(' and ');
}

// --- Quotas and back-pressure (docs/api.md, "Quotas") ---------------------------------------------

/** A run over one of the project's limits; `Retry-After` says when to try again. */
export const quotaExceeded = define('FRESCO_QUOTA_EXCEEDED', 429,
  'A run was refused: the project is over one of its quotas (the message names it: running_calls, queued_calls or calls_per_second); '
  + 'try again after `Retry-After` seconds. Async calls over running_calls are never refused: they wait in the queue.',
  (limit: 'running_calls' | 'queued_calls' | 'calls_per_second', value: number, retryAfterS: number) => ({
    message: `Quota exceeded: ${limit} is ${value} for this project; try again in ${retryAfterS} s`,
    headers: { 'Retry-After': String(retryAfterS) },
  }));
