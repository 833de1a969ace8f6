import assert from 'node:assert/strict';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import type { FrescoState } from '../../../src/api/context';
import { answerError, errorHandler } from '../../../src/api/middleware/errors';
import { requestId } from '../../../src/api/middleware/request-id';
import { callFailed, engineBusy, routeNotFound } from '../../../src/errors';

// The one place an error becomes an answer: registered failures keep their code, status and
// headers; Koa's own 4xx map by status; anything else is a 503 (database away) or a hidden 500.

function app(): Koa<FrescoState> {
  const k = new Koa<FrescoState>();
  k.silent = true;
  const router = new Router<FrescoState>();
  router.get('/route', () => { throw routeNotFound('a', '/p'); });
  router.get('/busy', () => { throw engineBusy('/hot'); });
  router.get('/teapot', (ctx) => ctx.throw(418, 'short and stout'));
  router.get('/large', (ctx) => ctx.throw(413, 'too big'));
  router.get('/json', () => { throw Object.assign(new SyntaxError('Unexpected token'), { status: 400, expose: true }); });
  router.get('/db', () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); });
  router.get('/bug', () => { throw new Error('secret detail'); });
  router.get('/call', (ctx) => answerError(ctx, callFailed(undefined, 3), { call_id: 'c-1' }));
  k.use(requestId());
  k.use(errorHandler());
  k.use(router.routes());
  k.use(router.allowedMethods({ throw: true }));
  return k;
}

const get = (path: string) => request(app().callback()).get(path);

describe('api: error answers', () => {
  it('answers a registered failure with its code, status, message, headers and the request id', async () => {
    const res = await get('/route');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { error: {
      message: 'Route /p not found in app "a"', code: 'FRESCO_ROUTE_NOT_FOUND', request_id: res.headers['x-openstack-request-id'],
    } });
    const busy = await get('/busy');
    assert.deepEqual([busy.status, busy.headers['retry-after'], busy.body.error.code], [503, '1', 'FRESCO_ENGINE_BUSY']);
  });

  it('maps Koa\'s 4xx by status and keeps an unmapped status under FRESCO_REQUEST_INVALID', async () => {
    assert.deepEqual((await get('/large')).body.error.code, 'FRESCO_REQUEST_TOO_LARGE');
    assert.equal((await get('/large')).body.error.message, 'body: request body is larger than this deployment accepts');
    const json = await get('/json');
    assert.deepEqual([json.status, json.body.error.code, json.body.error.message],
      [400, 'FRESCO_REQUEST_MALFORMED', 'body: invalid JSON (Unexpected token)']);
    const teapot = await get('/teapot');
    assert.deepEqual([teapot.status, teapot.body.error.code, teapot.body.error.message],
      [418, 'FRESCO_REQUEST_INVALID', 'short and stout']);
    const nothing = await get('/nothing');
    assert.deepEqual([nothing.status, nothing.body.error.code, nothing.body.error.message],
      [404, 'FRESCO_NOT_FOUND', 'No resource at GET /nothing']);
    const method = await request(app().callback()).post('/route');
    assert.deepEqual([method.status, method.body.error.code], [405, 'FRESCO_METHOD_NOT_ALLOWED']);
  });

  it('answers 503 while the database is away and hides anything unexpected behind a 500', async () => {
    const db = await get('/db');
    assert.deepEqual([db.status, db.body.error.code], [503, 'FRESCO_DATABASE_UNAVAILABLE']);
    const bug = await get('/bug');
    assert.deepEqual([bug.status, bug.body.error.code, bug.body.error.message], [500, 'FRESCO_INTERNAL_ERROR', 'Internal error']);
  });

  it('puts a failed call\'s call_id beside the error, from the caller rather than the error object', async () => {
    const res = await get('/call');
    assert.equal(res.status, 502);
    assert.deepEqual(res.body, {
      error: { message: 'The function failed (exit code 3)', code: 'FRESCO_CALL_FAILED', request_id: res.headers['x-openstack-request-id'] },
      call_id: 'c-1',
    });
  });
});
