import type Router from '@koa/router';
import { z } from 'zod';
import { notificationFilterSchema, swiftFilterSchema } from '../events/filters';
import { createSchema as appCreate, updateSchema as appUpdate } from '../services/app-service';
import { listSchema as callQuery } from '../services/call-service';
import { listSchema as deadLetterQuery, purgeSchema as deadLetterPurge, redriveSchema as deadLetterRedrive } from '../services/dead-letter-service';
import type { RouteService } from '../services/route-service';
import { versionSchemas } from '../services/route-version-service';
import { updateSchema as quotaUpdate } from '../services/quota-service';
import { createSchema as triggerCreate, updateSchema as triggerUpdate } from '../services/trigger-service';
import { runtimeCreateSchema } from '../runtimes/runtime-service';
import type { FrescoState } from './context';
import { answers, errorWire } from './wire-schemas';

// The OpenAPI 3.1 document served at GET /api: request bodies and query parameters come from the
// very zod schemas that validate them (with this deployment's limits), answers from wire-schemas.ts.
// test/unit/api/openapi.test.ts checks that its paths and methods are exactly what the router serves.

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'options' | 'trace';
type Json = Record<string, unknown>;

interface Operation {
  methods: Method[];
  path: string;
  tag: string;
  summary: string;
  /** Needs a Keystone token (or X-Project-Id in noauth mode). */
  auth?: boolean;
  body?: Json;
  query?: z.ZodObject;
  /** The success answer: status, JSON schema or a content type with a description. */
  ok: { status: number; schema?: z.ZodType; type?: string; description: string };
}

/** JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of a zod schema, as a client sends it. */
function schemaOf(s: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const wrapped = (key: string, s: z.ZodType): Json =>
  ({ type: 'object', properties: { [key]: schemaOf(s) }, required: [key], additionalProperties: false });
const wrappedOrFlat = (key: string, s: z.ZodType): Json => ({ oneOf: [wrapped(key, s), schemaOf(s)] });

const PARAMS: Record<string, string> = {
  project_id: 'Keystone project id; must be the token\'s project unless the caller is an admin',
  app: 'app name',
  route: 'route path without its leading "/"; may hold further "/" (img/resize)',
  id: 'call, trigger or dead letter id',
  trigger_id: 'alarm trigger id',
  secret: 'the secret in the trigger\'s callback_url',
  file: 'a file of the built web console',
  name: 'runtime name (or, under .../@aliases, the alias name)',
  number: 'version number (1, 2, 3...)',
};

function operations(routes: Pick<RouteService, 'createSchema' | 'updateSchema'>): Operation[] {
  const P = '/v1/{project_id}';
  const trig = (t: Json) => ({ ...t, description: 'filter by type: swift as components.schemas.SwiftFilter, '
    + 'notification as NotificationFilter; alarm and schedule triggers take {}. schedule (cron) and timezone: schedule only. '
    + 'version (a published route version; 0: the route as it is now) or alias (looked up at each firing), not both' });
  return [
    { methods: ['get'], path: '/', tag: 'meta', summary: 'Version document', ok: { status: 200, schema: answers.versions, description: 'API versions' } },
    { methods: ['get'], path: '/api', tag: 'meta', summary: 'This OpenAPI document', ok: { status: 200, type: 'application/json', description: 'OpenAPI 3.1' } },
    { methods: ['get'], path: '/healthcheck', tag: 'meta', summary: 'Health: 200 when the database answers, else 503', ok: { status: 200, schema: answers.health, description: 'healthy' } },
    { methods: ['get'], path: '/metrics', tag: 'meta', summary: 'Prometheus metrics', ok: { status: 200, type: 'text/plain', description: 'Prometheus text format' } },
    { methods: ['get'], path: '/v1/engines', tag: 'engines', auth: true, summary: 'The cluster\'s engines: state, load, last heartbeat (admin only)', ok: { status: 200, schema: answers.engines, description: 'the engines' } },
    { methods: ['get'], path: `${P}/apps`, tag: 'apps', auth: true, summary: 'List apps', ok: { status: 200, schema: answers.apps, description: 'the project\'s apps' } },
    { methods: ['post'], path: `${P}/apps`, tag: 'apps', auth: true, summary: 'Create an app (409 if the name exists)', body: wrapped('app', appCreate), ok: { status: 200, schema: answers.app, description: 'created' } },
    { methods: ['get'], path: `${P}/apps/{app}`, tag: 'apps', auth: true, summary: 'Show an app', ok: { status: 200, schema: answers.app, description: 'the app' } },
    { methods: ['put'], path: `${P}/apps/{app}`, tag: 'apps', auth: true, summary: 'Update an app (the name cannot change)', body: wrappedOrFlat('app', appUpdate), ok: { status: 200, schema: answers.app, description: 'updated' } },
    { methods: ['delete'], path: `${P}/apps/{app}`, tag: 'apps', auth: true, summary: 'Delete an app (409 while it has routes)', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    { methods: ['get'], path: `${P}/apps/{app}/routes`, tag: 'routes', auth: true, summary: 'List an app\'s routes', ok: { status: 200, schema: answers.routes, description: 'the routes' } },
    { methods: ['post'], path: `${P}/apps/{app}/routes`, tag: 'routes', auth: true, summary: 'Create a route: an image, or runtime, entry and code (base64 in JSON, or multipart/form-data with a route field and a file or package part; docs/runtimes.md)', body: wrapped('route', routes.createSchema), ok: { status: 200, schema: answers.route, description: 'created' } },
    { methods: ['get'], path: `${P}/apps/{app}/routes/{route}`, tag: 'routes', auth: true, summary: 'Show a route; with ?download=true, a function from code\'s package (its raw bytes, docs/runtimes.md)', ok: { status: 200, schema: answers.route, description: 'the route' } },
    { methods: ['put'], path: `${P}/apps/{app}/routes/{route}`, tag: 'routes', auth: true, summary: 'Update a route (the path cannot change)', body: wrappedOrFlat('route', routes.updateSchema), ok: { status: 200, schema: answers.route, description: 'updated' } },
    { methods: ['delete'], path: `${P}/apps/{app}/routes/{route}`, tag: 'routes', auth: true, summary: 'Delete a route', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    ...versionOperations(P),
    { methods: ['get'], path: '/v1/runtimes', tag: 'runtimes', auth: true, summary: 'List the runtimes functions from code may name (docs/runtimes.md)', ok: { status: 200, schema: answers.runtimes, description: 'the runtimes' } },
    { methods: ['post'], path: '/v1/runtimes', tag: 'runtimes', auth: true, summary: 'Register a runtime (admin; 409 if the name exists)', body: wrapped('runtime', runtimeCreateSchema), ok: { status: 201, schema: answers.runtime, description: 'created' } },
    { methods: ['get'], path: '/v1/runtimes/{name}', tag: 'runtimes', auth: true, summary: 'Show a runtime', ok: { status: 200, schema: answers.runtime, description: 'the runtime' } },
    { methods: ['delete'], path: '/v1/runtimes/{name}', tag: 'runtimes', auth: true, summary: 'Remove a runtime (admin; 409 while routes use it)', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    { methods: ['post'], path: '/v1/r/{project_id}/{app}/{route}', tag: 'runs', auth: true, summary: 'Run a route (private or public); the body goes to the function. Async routes answer 202 with a Location header. A Fresco-Version: <number> or Fresco-Alias: <name> header runs that published version; Fresco-Priority: <0-9> sets an async call\'s priority', body: { description: 'any bytes' }, ok: { status: 200, schema: answers.result, description: 'sync: the output; async: 202 {call_id, message}' } },
    { methods: ['get', 'put', 'post', 'delete', 'patch', 'options', 'trace'], path: '/r/{app}/{route}', tag: 'runs', summary: 'Run a public route without a token (403 for a private one): the answer is the function\'s own (status, headers and body for http and json formats; stdout for default). Fresco-Version or Fresco-Alias picks a published version', body: { description: 'any bytes' }, ok: { status: 200, type: '*/*', description: 'the function\'s answer; async routes: 202 {call_id, message}' } },
    { methods: ['get'], path: `${P}/calls`, tag: 'calls', auth: true, summary: 'List calls, newest first; pass next as marker for the next page', query: callQuery, ok: { status: 200, schema: answers.calls, description: 'a page of calls' } },
    { methods: ['get'], path: `${P}/calls/{id}`, tag: 'calls', auth: true, summary: 'Show a call', ok: { status: 200, schema: answers.call, description: 'the call' } },
    { methods: ['get'], path: `${P}/calls/{id}/lineage`, tag: 'calls', auth: true, summary: 'The chain a call belongs to (docs/api.md, "Chaining"): its root and every call chained from it, with parent links', ok: { status: 200, schema: answers.lineage, description: 'the lineage' } },
    { methods: ['delete'], path: `${P}/calls/{id}`, tag: 'calls', auth: true, summary: 'Cancel a queued or running call', ok: { status: 200, schema: answers.call, description: 'the call after cancelling' } },
    { methods: ['post'], path: `${P}/calls/{id}/replay`, tag: 'calls', auth: true, summary: 'Run a finished call again with its kept input (async and trigger calls), as a new async call linked by replay_of; 409 FRESCO_CALL_NOT_REPLAYABLE otherwise', ok: { status: 202, schema: answers.replayed, description: 'the new call' } },
    { methods: ['get'], path: `${P}/calls/{id}/log`, tag: 'calls', auth: true, summary: 'The function\'s stderr for this call (X-Fresco-Log-Truncated: true when capped). With ?follow=true the log streams (chunked) as written until the call ends; X-Fresco-Log-Follow: live (tailed in this process) or final (the stored log, once the call ended)', ok: { status: 200, type: 'text/plain', description: 'the log' } },
    { methods: ['get'], path: `${P}/triggers`, tag: 'triggers', auth: true, summary: 'List triggers', ok: { status: 200, schema: answers.triggers, description: 'the triggers' } },
    { methods: ['post'], path: `${P}/triggers`, tag: 'triggers', auth: true, summary: 'Create a trigger', body: trig(wrapped('trigger', triggerCreate)), ok: { status: 201, schema: answers.trigger, description: 'created' } },
    { methods: ['get'], path: `${P}/triggers/{id}`, tag: 'triggers', auth: true, summary: 'Show a trigger', ok: { status: 200, schema: answers.trigger, description: 'the trigger' } },
    { methods: ['put'], path: `${P}/triggers/{id}`, tag: 'triggers', auth: true, summary: 'Update a trigger (the type cannot change)', body: trig(wrappedOrFlat('trigger', triggerUpdate)), ok: { status: 200, schema: answers.trigger, description: 'updated' } },
    { methods: ['delete'], path: `${P}/triggers/{id}`, tag: 'triggers', auth: true, summary: 'Delete a trigger', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    { methods: ['get'], path: `${P}/deadletters`, tag: 'deadletters', auth: true, summary: 'List dead letters (failed async calls and events), newest first; pass next as marker for the next page', query: deadLetterQuery, ok: { status: 200, schema: answers.deadLetters, description: 'a page of dead letters' } },
    { methods: ['get'], path: `${P}/deadletters/{id}`, tag: 'deadletters', auth: true, summary: 'Show a dead letter with its kept input', ok: { status: 200, schema: answers.deadLetter, description: 'the dead letter' } },
    { methods: ['delete'], path: `${P}/deadletters/{id}`, tag: 'deadletters', auth: true, summary: 'Delete a dead letter', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    { methods: ['post'], path: `${P}/deadletters/{id}/redrive`, tag: 'deadletters', auth: true, summary: 'Redrive a dead letter: a new async call with its input, linked by redrive_of (409 when its route is gone or it was redriven)', ok: { status: 202, schema: answers.redriven, description: 'the new call' } },
    { methods: ['post'], path: `${P}/deadletters/redrive`, tag: 'deadletters', auth: true, summary: 'Redrive the dead letters not redriven yet that match the filters (or all: true), oldest first, up to limit (default 100)', body: schemaOf(deadLetterRedrive), ok: { status: 200, schema: answers.redrivenMany, description: 'each item\'s new call or error' } },
    { methods: ['post'], path: `${P}/deadletters/purge`, tag: 'deadletters', auth: true, summary: 'Delete the dead letters that match the filters and older_than (seconds), or all: true', body: schemaOf(deadLetterPurge), ok: { status: 200, schema: answers.purged, description: 'how many were deleted' } },
    { methods: ['get'], path: `${P}/quotas`, tag: 'quotas', auth: true, summary: 'Show the project\'s quotas: the limits in force (0: unlimited), what an admin set, the defaults', ok: { status: 200, schema: answers.quota, description: 'the quotas' } },
    { methods: ['put'], path: `${P}/quotas`, tag: 'quotas', auth: true, summary: 'Set some of the project\'s limits (admins only); null puts one back to the default, a limit not sent keeps its value', body: wrappedOrFlat('quota', quotaUpdate), ok: { status: 200, schema: answers.quota, description: 'the quotas now' } },
    { methods: ['delete'], path: `${P}/quotas`, tag: 'quotas', auth: true, summary: 'Put every limit of the project back to the configured defaults (admins only)', ok: { status: 200, schema: answers.quota, description: 'the quotas now' } },
    { methods: ['post'], path: '/alarms/{trigger_id}/{secret}', tag: 'triggers', summary: 'Aodh alarm action (the trigger\'s callback_url); answers 202 at once', body: { description: 'the Aodh alarm notification' }, ok: { status: 202, schema: answers.accepted, description: 'accepted' } },
    { methods: ['get'], path: '/console', tag: 'console', summary: 'The web console at /console/ (docs/console.md; /console redirects there); it uses this API with the user\'s token', ok: { status: 200, type: 'text/html', description: 'the console' } },
    { methods: ['get'], path: '/console/{file}', tag: 'console', summary: 'A script or style sheet of the web console', ok: { status: 200, type: '*/*', description: 'the file' } },
    { methods: ['post'], path: '/console/keystone/auth/tokens', tag: 'console', summary: 'The console\'s login: the body of Keystone\'s POST /v3/auth/tokens (password, token or application_credential), forwarded to the configured Keystone; Keystone\'s answer (status, X-Subject-Token, token body) as it is. 404 FRESCO_CONSOLE_NO_KEYSTONE with auth_strategy = noauth', body: { type: 'object', properties: { auth: { type: 'object' } }, required: ['auth'] }, ok: { status: 201, type: 'application/json', description: 'Keystone\'s token body; the token is in X-Subject-Token' } },
  ];
}

// Route versions and aliases (docs/api.md, "Versions and aliases").
function versionOperations(P: string): Operation[] {
  const V = `${P}/apps/{app}/routes/{route}/@versions`;
  const A = `${P}/apps/{app}/routes/{route}/@aliases`;
  const tag = 'versions';
  return [
    { methods: ['get'], path: V, tag, auth: true, summary: 'List a route\'s published versions, oldest first', ok: { status: 200, schema: answers.route_versions, description: 'the versions' } },
    { methods: ['post'], path: V, tag, auth: true, summary: 'Publish the route as it is now as its next version (1, 2, 3...): image or code, config (with the app\'s), memory, timeout... frozen', body: wrappedOrFlat('version', versionSchemas.publish), ok: { status: 201, schema: answers.route_version, description: 'published' } },
    { methods: ['get'], path: `${V}/{number}`, tag, auth: true, summary: 'Show a version', ok: { status: 200, schema: answers.route_version, description: 'the version' } },
    { methods: ['delete'], path: `${V}/{number}`, tag, auth: true, summary: 'Delete a version (409 FRESCO_ROUTE_VERSION_IN_USE while an alias points at it)', ok: { status: 200, schema: answers.message, description: 'deleted' } },
    { methods: ['get'], path: A, tag, auth: true, summary: 'List a route\'s aliases', ok: { status: 200, schema: answers.route_aliases, description: 'the aliases' } },
    { methods: ['post'], path: A, tag, auth: true, summary: 'Name a version (0: the route as it is now); runs pick it with the Fresco-Alias header', body: wrappedOrFlat('alias', versionSchemas.alias), ok: { status: 201, schema: answers.route_alias, description: 'created' } },
    { methods: ['get'], path: `${A}/{name}`, tag, auth: true, summary: 'Show an alias', ok: { status: 200, schema: answers.route_alias, description: 'the alias' } },
    { methods: ['patch'], path: `${A}/{name}`, tag, auth: true, summary: 'Move an alias to another version, or change its description', body: wrappedOrFlat('alias', versionSchemas.aliasPatch), ok: { status: 200, schema: answers.route_alias, description: 'updated' } },
    { methods: ['delete'], path: `${A}/{name}`, tag, auth: true, summary: 'Delete an alias', ok: { status: 200, schema: answers.message, description: 'deleted' } },
  ];
}

function pathParams(path: string): Json[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) =>
    ({ name, in: 'path', required: true, description: PARAMS[name] ?? name, schema: { type: 'string' } }));
}

function queryParams(q: z.ZodObject): Json[] {
  const s = schemaOf(q) as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties).map(([name, schema]) =>
    ({ name, in: 'query', required: s.required?.includes(name) ?? false, schema }));
}

function operationObject(op: Operation, method: Method): Json {
  const content = op.ok.schema ? { 'application/json': { schema: schemaOf(op.ok.schema, 'output') } }
    : { [op.ok.type ?? 'application/json']: {} };
  const body = op.body && (op.body.type || op.body.oneOf
    ? { required: true, content: { 'application/json': { schema: op.body } } }
    : { required: false, description: op.body.description, content: { '*/*': {} } });
  return {
    tags: [op.tag], summary: op.summary, operationId: `${method}${op.path.replace(/[{}]/g, '').replace(/\W+(\w)/g, (_m, c: string) => c.toUpperCase())}`,
    parameters: [...pathParams(op.path), ...(op.query ? queryParams(op.query) : [])],
    ...(body ? { requestBody: body } : {}),
    ...(op.auth ? { security: [{ keystone: [] }, { noauth: [] }] } : {}),
    responses: {
      [op.ok.status]: { description: op.ok.description, content },
      default: { description: 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
}

/** The OpenAPI 3.1 document of this deployment's API (route limits as configured). */
export function openApiDocument(routes: Pick<RouteService, 'createSchema' | 'updateSchema'>, version: string, publicUrl: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations(routes)) {
    for (const m of op.methods) (paths[op.path] ??= {})[m] = operationObject(op, m);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fresco API', version,
      description: 'Functions-as-a-Service for OpenStack: Picasso v1 apps and routes, runs, calls and triggers. '
        + 'docs/api.md in the repository explains it; docs/errors.md lists every error code.',
    },
    servers: [{ url: publicUrl }],
    paths,
    components: {
      schemas: {
        Error: schemaOf(errorWire, 'output'),
        SwiftFilter: schemaOf(swiftFilterSchema),
        NotificationFilter: schemaOf(notificationFilterSchema),
      },
      securitySchemes: {
        keystone: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'a Keystone token (auth_strategy = keystone)' },
        noauth: { type: 'apiKey', in: 'header', name: 'X-Project-Id', description: 'auth_strategy = noauth: no token; optional' },
      },
    },
  };
}

/** GET /api: the OpenAPI document, built on first request. */
export function openApiRoute(router: Router<FrescoState>,
  deps: { routes: Pick<RouteService, 'createSchema' | 'updateSchema'>; version: string; publicUrl: string }): void {
  let doc: Json | undefined;
  router.get('/api', (ctx) => {
    doc ??= openApiDocument(deps.routes, deps.version, deps.publicUrl);
    ctx.body = doc;
  });
}
