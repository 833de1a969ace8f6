import { z } from 'zod';
import { CALL_KINDS, CALL_STATUSES, CALL_TRIGGERS } from '../domain/call';
import { DEAD_LETTER_KINDS } from '../domain/dead-letter';

// What the API answers with, as zod schemas, for the OpenAPI document (GET /api). The presenters
// in handlers/ produce these shapes; test/unit/api/openapi.test.ts checks that they agree.

const time = z.iso.datetime().describe('ISO 8601, UTC');
const nullableTime = time.nullable();
const stringMap = z.record(z.string(), z.string());

/** An app (Picasso v1). */
export const appWire = z.object({
  id: z.string(), name: z.string(), description: z.string(), config: stringMap.describe('environment of every route'),
  project_id: z.string(), created_at: time, updated_at: time,
});

/** A route (Picasso v1). */
export const routeWire = z.object({
  id: z.string(), app_name: z.string(), project_id: z.string(),
  path: z.string().describe('starts with "/"'), image: z.string(),
  type: z.enum(['sync', 'async']), format: z.enum(['default', 'http', 'json']),
  memory: z.int().describe('MiB'), timeout: z.int().describe('seconds'), idle_timeout: z.int().describe('seconds'),
  max_concurrency: z.int(), headers: z.record(z.string(), z.array(z.string())).describe('added to /r answers'),
  config: stringMap.describe('environment; wins over the app config'), is_public: z.boolean(),
  min_hot: z.int().describe('hot containers each engine keeps for the route even when idle (http/json formats)'),
  priority: z.int().min(0).max(9).describe('async calls: 0 (lowest) to 9 (highest), served highest first; a run may override it (Fresco-Priority)'),
  keep_input: z.boolean().describe('sync calls keep their input (credentials stripped) so that they can be replayed; async calls always do'),
  retries: z.int().describe('further attempts of a failed async call'), retry_delay: z.number().describe('seconds before the first retry'),
  retry_backoff: z.number().describe('factor of each further wait'), retry_max_delay: z.number().describe('seconds, longest wait'),
  retry_on: z.array(z.enum(['error', 'timeout'])).describe('outcomes retried'),
  on_success: z.string().nullable().describe('chaining: the route ("/path" or "app/path") whose async call gets a successful call\'s output'),
  on_failure: z.string().nullable().describe('chaining: the route whose async call gets a description of a failed call'),
  runtime: z.string().optional().describe('functions from code only (docs/runtimes.md): the runtime\'s name'),
  entry: z.string().optional().describe('functions from code only: "module.function"'),
  calling: z.enum(['lambda', 'qinling']).optional().describe('functions from code only: how the function is called'),
  code: z.object({ digest: z.string().describe('sha256 of the package'), file: z.string().nullable().describe('a single file\'s name; null for a zip') })
    .optional().describe('functions from code only; GET ...?download=true returns the package'),
  created_at: time, updated_at: time,
});

/** A runtime (docs/runtimes.md). */
export const runtimeWire = z.object({
  id: z.string(), name: z.string(), image: z.string(), description: z.string(), status: z.enum(['available']),
  created_at: time, updated_at: time,
});

const callStatus = z.enum(CALL_STATUSES);

/** A call record. */
export const callWire = z.object({
  id: z.string(), project_id: z.string(), app: z.string(), route: z.string(), status: callStatus,
  trigger: z.enum(CALL_TRIGGERS),
  trigger_id: z.string().nullable(),
  cold: z.boolean().nullable().describe('false for a hot container; null before it ran'),
  kind: z.enum(CALL_KINDS).nullable(),
  created_at: time, started_at: nullableTime, completed_at: nullableTime,
  duration_ms: z.number().nullable(), exit_code: z.int().nullable(), error: z.string().nullable(),
  result: z.string().nullable().describe('the output, capped'), truncated: z.boolean().describe('result was capped'),
  log_truncated: z.boolean(), attempts: z.int(),
  progress: z.int().min(0).max(100).nullable().describe('0-100 as last reported by the function (FRESCO_PROGRESS on stderr); null if never'),
  progress_message: z.string().nullable().describe('the message of the last progress line'),
  parent_call_id: z.string().nullable().describe('chaining: the call this one follows'),
  root_call_id: z.string().nullable().describe('chaining: the first call of its chain (its own id when not chained)'),
  depth: z.int().describe('chaining: links from the root (0: not chained)'),
  chain_error: z.string().nullable().describe('chaining: why the call that should have followed this one was not started'),
  redrive_of: z.string().nullable().describe('the dead letter this call redrives'),
  replay_of: z.string().nullable().describe('the finished call this one replays'),
  route_version: z.int().nullable().describe('the published route version it ran; null: the route as it was'),
  priority: z.int().min(0).max(9).describe('0 (lowest) to 9 (highest): queued async calls are served highest first'),
});

/** A published route version (docs/api.md, "Versions and aliases"): what the route ran, frozen. */
export const routeVersionWire = z.object({
  id: z.string(), number: z.int().describe('1, 2, 3... per route'), description: z.string(), project_id: z.string(),
  app_name: z.string(), path: z.string(), image: z.string(), type: z.enum(['sync', 'async']),
  format: z.enum(['default', 'http', 'json']), memory: z.int(), timeout: z.int(), idle_timeout: z.int(), max_concurrency: z.int(),
  headers: z.record(z.string(), z.array(z.string())), config: stringMap.describe('the app\'s config with the route\'s over it, frozen'),
  runtime: z.string().optional(), entry: z.string().optional(), calling: z.enum(['lambda', 'qinling']).optional(),
  code: z.object({ digest: z.string(), file: z.string().nullable() }).optional(),
  retries: z.int(), retry_delay: z.number(), retry_backoff: z.number(), retry_max_delay: z.number(),
  retry_on: z.array(z.enum(['error', 'timeout'])), created_at: time,
});

/** An alias of a route: a name for one of its versions (0: the route as it is now). */
export const routeAliasWire = z.object({
  id: z.string(), name: z.string(), version: z.int(), description: z.string(), project_id: z.string(), app_name: z.string(),
  path: z.string(), created_at: time, updated_at: time,
});

/** A trigger. */
export const triggerWire = z.object({
  id: z.string(), project_id: z.string(), name: z.string(),
  type: z.enum(['swift', 'notification', 'alarm', 'schedule']), app: z.string(), route: z.string(),
  filter: z.record(z.string(), z.unknown()), schedule: z.string().nullable(), timezone: z.string().nullable(),
  version: z.int().nullable().describe('the published route version each firing runs; null: see alias, else the route as it is now'),
  alias: z.string().nullable().describe('the alias of the route whose version each firing runs, looked up at the firing'),
  callback_url: z.string().nullable().describe('alarm triggers: the URL to put in Aodh alarm_actions'),
  enabled: z.boolean(), last_fired_at: nullableTime, created_at: time, updated_at: time,
});

/** A dead letter (docs/api.md, "Dead letters"). */
export const deadLetterWire = z.object({
  id: z.string(), project_id: z.string(),
  kind: z.enum(DEAD_LETTER_KINDS).describe('call: an async call whose last attempt failed; event: an event whose call could not be created'),
  call_id: z.string().nullable().describe('the failed call (kind call)'), app: z.string(), route: z.string(),
  trigger: z.enum(CALL_TRIGGERS), trigger_id: z.string().nullable(),
  reason: z.string().describe('error, timeout, lost (its engines stopped answering) or not_created (event)'),
  error_code: z.string().nullable(), error: z.string().nullable(), attempts: z.int(),
  input_size: z.int().describe('bytes of the kept body'), content_type: z.string().nullable(),
  created_at: time, redriven_at: nullableTime, redrive_call_id: z.string().nullable().describe('the call its redrive created'),
  input: z.object({
    method: z.string(), headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).describe('without credentials'),
    body: z.string(), body_encoding: z.enum(['utf8', 'base64']),
  }).optional().describe('show only: what a redrive runs with'),
});

const redriveResult = z.object({
  id: z.string(), call_id: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().describe('why this one was not redriven'),
});

/** An engine of the cluster (GET /v1/engines). */
export const engineWire = z.object({
  id: z.string(), host: z.string(), url: z.string().describe('its call hop'),
  state: z.enum(['up', 'draining', 'down']).describe('down: not renewed within [cluster] engine_timeout'),
  running_calls: z.number(), hot_containers: z.number(), memory_used_mb: z.number(), memory_budget_mb: z.number(),
  call_slots: z.number(), hot_routes: z.number().describe('routes with warm containers there'),
  started_at: time, last_heartbeat: nullableTime,
});

const limits = {
  running_calls: z.int().describe('calls of the project running at once; 0: unlimited'),
  queued_calls: z.int().describe('async calls of the project waiting in the queue; 0: unlimited'),
  calls_per_second: z.int().describe('runs a second at each API process; 0: unlimited'),
};

/** A project's quotas (docs/api.md, "Quotas"): the limits in force, what an admin set (null: the default), the defaults. */
const quotaWire = z.object({
  project_id: z.string(), ...limits,
  overrides: z.object({
    running_calls: z.int().nullable(), queued_calls: z.int().nullable(), calls_per_second: z.int().nullable(),
  }).describe('what an admin set; null: the configured default'),
  defaults: z.object(limits).describe('[DEFAULT] quota_* of the configuration'),
});

/** Every error answer. */
export const errorWire = z.object({
  error: z.object({
    message: z.string(), code: z.string().describe('FRESCO_*, listed in docs/errors.md'), request_id: z.string(),
  }),
  call_id: z.string().optional().describe('when a run failed: the call that recorded it'),
});

const message = z.string();

/** Envelopes of the answers, by name. */
export const answers = {
  app: z.object({ app: appWire, message }),
  apps: z.object({ apps: z.array(appWire), message }),
  route: z.object({ route: routeWire, message }),
  routes: z.object({ routes: z.array(routeWire), message }),
  runtime: z.object({ runtime: runtimeWire, message: message.optional() }),
  runtimes: z.object({ runtimes: z.array(runtimeWire) }),
  call: z.object({ call: callWire, message: message.optional() }),
  calls: z.object({ calls: z.array(callWire), next: z.string().nullable().describe('marker of the next page') }),
  lineage: z.object({ lineage: z.object({
    root_call_id: z.string(), calls: z.array(callWire).describe('the root first, then the chained calls by depth'),
  }) }),
  trigger: z.object({ trigger: triggerWire, message: message.optional() }),
  triggers: z.object({ triggers: z.array(triggerWire) }),
  message: z.object({ message }),
  engines: z.object({ engines: z.array(engineWire) }),
  deadLetter: z.object({ deadletter: deadLetterWire }),
  deadLetters: z.object({ deadletters: z.array(deadLetterWire), next: z.string().nullable().describe('marker of the next page') }),
  redriven: z.object({ deadletter: deadLetterWire, call: callWire, call_id: z.string(), message }),
  redrivenMany: z.object({ results: z.array(redriveResult), redriven: z.int(), more: z.boolean().describe('more matched than limit'), message }),
  purged: z.object({ purged: z.int(), message }),
  replayed: z.object({ call: callWire, call_id: z.string(), message }),
  route_version: z.object({ version: routeVersionWire, message: message.optional() }),
  route_versions: z.object({ versions: z.array(routeVersionWire) }),
  route_alias: z.object({ alias: routeAliasWire, message: message.optional() }),
  route_aliases: z.object({ aliases: z.array(routeAliasWire) }),
  result: z.object({ result: z.string().describe("the function's output"), call_id: z.string(), message }),
  accepted: z.object({ call_id: z.string(), message }),
  health: z.object({ status: z.enum(['ok', 'unavailable']), reason: z.string().optional() }),
  versions: z.object({
    versions: z.array(z.object({ id: z.string(), status: z.string(), updated: z.string(),
      links: z.array(z.object({ rel: z.string(), href: z.string() })),
      'media-types': z.array(z.object({ base: z.string(), type: z.string() })) })),
    name: z.string(), version: z.string(),
    auth: z.object({ strategy: z.enum(['keystone', 'noauth']), www_authenticate_uri: z.string().optional() }),
  }),
  quota: z.object({ quota: quotaWire, message: message.optional() }),
};
