import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import request from 'supertest';
import type { FrescoState } from '../../../src/api/context';
import { consoleRoutes, ConsoleDeps, defaultConsoleDir } from '../../../src/api/handlers/console';
import { errorHandler } from '../../../src/api/middleware/errors';
import { requestId } from '../../../src/api/middleware/request-id';

// The console's routes alone: files only from the built folder, a clear 404 when it is not built,
// and the login forwarder's contract with a stand-in Keystone client.

function appWith(deps: Partial<ConsoleDeps>) {
  const router = new Router<FrescoState>();
  consoleRoutes(router, { maxBodySize: 10_000, ...deps });
  const app = new Koa<FrescoState>();
  app.silent = true;
  app.use(requestId());
  app.use(errorHandler());
  app.use(router.routes());
  return app.callback();
}

describe('console routes', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-console-unit-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers 404 FRESCO_CONSOLE_NOT_BUILT naming the missing file when the console is not built', async () => {
    const res = await request(appWith({ consoleDir: dir })).get('/console/').expect(404);
    assert.equal(res.body.error.code, 'FRESCO_CONSOLE_NOT_BUILT');
    assert.match(res.body.error.message, /index\.html.*npm run build/);
  });

  it('serves the built files only, and redirects /console to /console/', async () => {
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(dir, 'app-ABCDEF12.js'), 'x');
    fs.writeFileSync(path.join(dir, '.secret.js'), 'no');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'no');
    const app = appWith({ consoleDir: dir });
    await request(app).get('/console').expect(302).expect('Location', '/console/');
    await request(app).get('/console/').expect(200).expect('Cache-Control', 'no-cache').expect('Content-Type', /html/);
    await request(app).get('/console/app-ABCDEF12.js').expect(200).expect('Cache-Control', /immutable/);
    for (const p of ['/console/.secret.js', '/console/notes.txt', '/console/..%2F..%2Fetc%2Fpasswd', '/console/missing.js']) {
      await request(app).get(p).expect(404);
    }
  });

  it('forwards a login body to Keystone and answers its status, token and body; 503 when Keystone is away', async () => {
    const seen: unknown[] = [];
    const keystone = {
      wwwAuthenticateUri: 'http://keystone',
      login: async (body: unknown) => { seen.push(body); return { status: 201, token: 'tok', body: { token: { x: 1 } } }; },
    };
    const auth = { identity: { methods: ['password'], password: { user: { name: 'u', password: 'p' } } } };
    const res = await request(appWith({ keystone })).post('/console/keystone/auth/tokens').send({ auth }).expect(201);
    assert.equal(res.headers['x-subject-token'], 'tok');
    assert.deepEqual(res.body, { token: { x: 1 } });
    assert.deepEqual(seen, [{ auth }]);
    const away = { wwwAuthenticateUri: 'http://keystone', login: async () => { throw new Error('Keystone at http://keystone did not answer'); } };
    const down = await request(appWith({ keystone: away })).post('/console/keystone/auth/tokens').send({ auth }).expect(503);
    assert.equal(down.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
    const bad = await request(appWith({ keystone })).post('/console/keystone/auth/tokens').send({ nope: 1 }).expect(400);
    assert.match(bad.body.error.message, /^auth\.identity\.methods: required/);
    assert.equal(seen.length, 1, 'a bad body never reaches Keystone');
  });

  it('finds dist/console of the checkout whether it runs from the sources or from dist', () => {
    assert.equal(defaultConsoleDir(), path.resolve(__dirname, '../../../dist/console'));
    assert.equal(defaultConsoleDir('/opt/fresco/src/api/handlers'), '/opt/fresco/dist/console');
    assert.equal(defaultConsoleDir('/opt/fresco/dist/src/api/handlers'), '/opt/fresco/dist/console');
  });
});
