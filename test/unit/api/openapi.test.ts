import assert from 'node:assert/strict';
import supertest from 'supertest';
import { presentCall } from '../../../src/api/handlers/calls';
import { presentApp, presentRoute } from '../../../src/api/handlers/present';
import { presentTrigger } from '../../../src/api/handlers/triggers';
import { presentDeadLetter } from '../../../src/api/handlers/dead-letters';
import { appWire, callWire, deadLetterWire, routeWire, triggerWire } from '../../../src/api/wire-schemas';
import type { DeadLetter } from '../../../src/domain/dead-letter';
import type { App, Call, Route, Trigger } from '../../../src/domain/models';
import { openDb, type Db } from '../../../src/store/db';
import { buildTestApi, testConfig } from '../../helpers/api';

// GET /api serves an OpenAPI document whose paths and methods are exactly what the Koa router
// serves, and whose answer schemas have the presenters' fields.

const DOC_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'trace', 'head'];

/** "/v1/:project_id/apps/:app/routes/*route" → "/v1/{project_id}/apps/{app}/routes/{route}". */
function openApiPath(koaPath: string): string {
  return koaPath.replace(/[:*](\w+)/g, '{$1}');
}

/** method path pairs the router answers (HEAD is implied by GET, as koa-router does it). */
function served(layers: Array<{ path: string | RegExp; methods: string[] }>): string[] {
  const out = new Set<string>();
  for (const layer of layers) {
    // The Qinling-compatible API (docs/qinling.md) is another API, not in Fresco's document.
    if (String(layer.path).startsWith('/qinling')) continue;
    const methods = layer.methods.map((m) => m.toLowerCase()).filter((m) => DOC_METHODS.includes(m));
    for (const m of methods) {
      if (m === 'head' && methods.includes('get')) continue;
      out.add(`${m} ${openApiPath(String(layer.path))}`);
    }
  }
  return [...out].sort();
}

function documented(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`)).sort();
}

describe('OpenAPI document (GET /api)', () => {
  let db: Db;
  let api: ReturnType<typeof buildTestApi>;
  let doc: { openapi: string; paths: Record<string, Record<string, any>> };

  before(async () => {
    db = openDb({ connection: 'postgresql://127.0.0.1:1/never-connected' }); // the API answers /api without it
    api = buildTestApi(db, testConfig({ FRESCO_MAX_TIMEOUT: '120' }));
    const res = await supertest(api.callback()).get('/api').expect(200).expect('Content-Type', /json/);
    doc = res.body;
  });
  after(async () => { await db.destroy(); });

  it('is OpenAPI 3.1', () => {
    assert.equal(doc.openapi, '3.1.0');
  });

  it('documents exactly the paths and methods the router serves', () => {
    const routes = served((api as unknown as { router: { stack: unknown } }).router.stack as never);
    assert.ok(routes.length > 20, `router layers read: ${routes.length}`);
    assert.deepEqual(documented(doc), routes);
  });

  it('takes request bodies and query parameters from the zod schemas, with the configured limits', () => {
    const create = doc.paths['/v1/{project_id}/apps/{app}/routes'].post.requestBody.content['application/json'].schema;
    const route = create.properties.route;
    // image, or runtime + entry + code for a function from code (docs/runtimes.md): neither is required alone.
    assert.deepEqual(route.required.sort(), ['path']);
    assert.ok(route.properties.image && route.properties.runtime && route.properties.code);
    assert.equal(route.additionalProperties, false, 'unknown fields are rejected');
    assert.equal(route.properties.timeout.maximum, 120);
    assert.deepEqual(route.properties.format.enum, ['default', 'http', 'json']);
    const query = doc.paths['/v1/{project_id}/calls'].get.parameters.map((p: { name: string }) => p.name);
    assert.ok(query.includes('status') && query.includes('marker'), query.join());
  });

  it('describes the answers with the fields the presenters write', () => {
    const t = new Date();
    const keys = (o: object) => Object.keys(o).sort();
    const shape = (s: { shape: object }) => Object.keys(s.shape).sort();
    const app: App = { id: 'i', projectId: 'p', name: 'a', description: '', config: {}, createdAt: t, updatedAt: t };
    assert.deepEqual(keys(presentApp(app)), shape(appWire));
    const route = { id: 'i', projectId: 'p', appName: 'a', path: '/x', image: 'i', type: 'sync', format: 'default', memory: 128,
      timeout: 30, idleTimeout: 30, maxConcurrency: 1, headers: {}, config: {}, isPublic: false, createdAt: t, updatedAt: t };
    const required = (s: { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }) =>
      Object.keys(s.shape).filter((k) => !s.shape[k].safeParse(undefined).success).sort();
    assert.deepEqual(keys(presentRoute(route as unknown as Route)), required(routeWire as never));
    const codeRoute = { ...route, image: '', format: 'json', runtime: 'python3', entry: 'hello.main', calling: 'lambda', codeDigest: 'd', codeFile: 'hello.py' };
    assert.deepEqual(keys(presentRoute(codeRoute as unknown as Route)), shape(routeWire));
    const call = { id: 'c', projectId: 'p', app: 'a', route: '/x', status: 'queued', trigger: 'http', createdAt: t,
      resultTruncated: false, logTruncated: false, attempts: 0 };
    assert.deepEqual(keys(presentCall(call as unknown as Call)), shape(callWire));
    const trigger = { id: 't', projectId: 'p', name: 'n', type: 'swift', app: 'a', route: '/x', filter: {}, enabled: true,
      createdAt: t, updatedAt: t };
    assert.deepEqual(keys(presentTrigger(trigger as unknown as Trigger, 'http://h')), shape(triggerWire));
    const dead: DeadLetter = { id: 'd', projectId: 'p', kind: 'call', app: 'a', route: '/x', trigger: 'async', reason: 'error',
      attempts: 1, input: { method: 'POST', url: '', requestPath: '/x', headers: {}, body: Buffer.from('x') }, createdAt: t };
    assert.deepEqual(keys(presentDeadLetter(dead, true)), shape(deadLetterWire));
    assert.deepEqual(keys(presentDeadLetter(dead)), shape(deadLetterWire).filter((k) => k !== 'input'));
  });
});
