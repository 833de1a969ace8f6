import assert from 'node:assert/strict';
import request from 'supertest';
import { keystoneAuth } from '../../../src/auth/keystone-middleware';
import { buildAuthFromOptions } from '../../../src/auth';
import { createPolicy } from '../../../src/auth/policy';
import { waitFor } from '../../helpers/wait';
import { thingsApp } from '../../unit/auth/things-app';
import { issueToken, keystone, OsEnv, revokeToken, serviceOptions } from './keystone-env';

// The middleware and policy against the real Keystone (test/services/openstack/keystone-up.sh):
// real tokens for demo (member), viewer (reader in demo), alt (member in other), admin.

describe('Keystone auth against the real Keystone', function () {
  let env: OsEnv;
  const tokens: Record<string, string> = {};
  let demoProject: string;
  let altProject: string;

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    for (const who of ['DEMO', 'ALT', 'READER', 'ADMIN']) tokens[who] = await issueToken(env, who);
    demoProject = env.OS_DEMO_PROJECT_ID;
    altProject = env.OS_ALT_PROJECT_ID;
  });

  function setup(extra: Record<string, unknown> = {}, now?: () => number) {
    const auth = keystoneAuth({ ...serviceOptions(env), ...extra }, { now });
    return { auth, app: thingsApp(auth, createPolicy()).callback() };
  }

  it('accepts a member token: 200 with its project, user and roles', async () => {
    const { app } = setup();
    const res = await request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.DEMO).expect(200);
    assert.equal(res.body.identity.projectId, demoProject);
    assert.equal(res.body.identity.userId, env.OS_DEMO_USER_ID);
    assert.equal(res.body.identity.userName, 'demo');
    assert.deepEqual([...res.body.identity.roles].sort(), ['member', 'reader']);
    await request(app).post(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.DEMO).expect(200);
    await request(app).post(`/v1/r/${demoProject}/myapp`).set('X-Auth-Token', tokens.DEMO).expect(200);
  });

  it('answers 403 FRESCO_PROJECT_FORBIDDEN to another project\'s member on demo\'s path', async () => {
    const { app } = setup();
    const res = await request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.ALT).expect(403);
    assert.equal(res.body.error.code, 'FRESCO_PROJECT_FORBIDDEN');
    await request(app).get(`/v1/${altProject}/things`).set('X-Auth-Token', tokens.ALT).expect(200);
  });

  it('lets a reader read but not write or run (403 FRESCO_POLICY_FORBIDDEN)', async () => {
    const { app } = setup();
    await request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.READER).expect(200);
    const post = await request(app).post(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.READER).expect(403);
    assert.equal(post.body.error.code, 'FRESCO_POLICY_FORBIDDEN');
    assert.match(post.body.error.message, /fresco:app:create/);
    await request(app).post(`/v1/r/${demoProject}/myapp`).set('X-Auth-Token', tokens.READER).expect(403);
  });

  it('lets admin act on any project', async () => {
    const { app } = setup();
    for (const project of [demoProject, altProject, 'a-project-nobody-has']) {
      await request(app).post(`/v1/${project}/things`).set('X-Auth-Token', tokens.ADMIN).expect(200);
    }
  });

  it('answers 401 with WWW-Authenticate for a missing, garbage or unscoped token', async () => {
    const { app } = setup({ wwwAuthenticateUri: env.KEYSTONE_URL });
    const challenge = `Keystone uri="${env.KEYSTONE_URL}"`;
    const unscoped = await issueToken(env, 'DEMO', false);
    for (const token of [undefined, 'garbage', `${tokens.DEMO.slice(0, -4)}AAAA`, unscoped]) {
      const req = request(app).get(`/v1/${demoProject}/things`);
      const res = await (token ? req.set('X-Auth-Token', token) : req).expect(401);
      assert.equal(res.headers['www-authenticate'], challenge);
      assert.equal(res.body.error.code, 'FRESCO_AUTH_REQUIRED');
    }
  });

  it('rejects a revoked token once its cache entry expires (token_cache_time 1 s)', async () => {
    let clock = Date.now();
    const { app } = setup({ tokenCacheTime: 1 }, () => clock);
    const token = await issueToken(env, 'DEMO');
    const get = () => request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', token);
    await get().expect(200);
    await revokeToken(env, token);
    await get().expect(200); // still cached: what keystonemiddleware does too
    clock += 900;
    await get().expect(200); // within token_cache_time
    clock += 200;
    await get().expect(401);
  });

  it('rejects a token at once after revocation when caching is off (token_cache_time 0)', async () => {
    const { app } = setup({ tokenCacheTime: 0 });
    const token = await issueToken(env, 'DEMO');
    await request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', token).expect(200);
    await revokeToken(env, token);
    await request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', token).expect(401);
  });

  it('rejects a token whose expires_at has passed, even while Keystone still vouches for it', async () => {
    let t = Date.now();
    const { app, auth } = setup({}, () => t);
    const get = () => request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', tokens.DEMO);
    await get().expect(200);
    t += 3601 * 1000; // Keystone's default token life is 3600 s
    const res = await get().expect(401);
    assert.equal(res.body.error.message, 'The token has expired');
    assert.equal(auth.client.calls.validate, 2);
  });

  it('validates a token once for 100 requests (50 concurrent, then 50 in a row)', async () => {
    const { app, auth } = setup();
    const token = await issueToken(env, 'DEMO');
    const get = () => request(app).get(`/v1/${demoProject}/things`).set('X-Auth-Token', token).expect(200);
    await Promise.all(Array.from({ length: 50 }, get));
    for (let i = 0; i < 50; i++) await get();
    assert.deepEqual(auth.client.calls, { issue: 1, validate: 1 });
  });
  it('wired by buildAuthFromOptions: ignores forged identity headers, X-Openstack-Request-Id on 401', async () => {
    const auth = buildAuthFromOptions({ strategy: 'keystone', keystone: serviceOptions(env), policyFile: 'etc/fresco/policy.yaml' });
    const app = thingsApp(auth.authenticate, auth.authorizer).callback();
    const forged = { 'X-Identity-Status': 'Confirmed', 'X-Roles': 'admin', 'X-User-Id': 'root', 'X-Project-Id': altProject,
      'X-Is-Admin-Project': 'True', 'X-Service-Roles': 'admin' };
    const res = await request(app).post(`/v1/${demoProject}/things`).set(forged).set('X-Auth-Token', tokens.READER).expect(403);
    assert.equal(res.body.error.code, 'FRESCO_POLICY_FORBIDDEN');
    const ok = await request(app).get(`/v1/${demoProject}/things`).set(forged).set('X-Auth-Token', tokens.READER).expect(200);
    assert.deepEqual(ok.body.identity.roles, ['reader']);
    assert.equal(ok.body.identity.userId, env.OS_READER_USER_ID);
    for (const h of Object.keys(forged)) assert.equal(ok.body.headers[h.toLowerCase()], undefined, h);
    const denied = await request(app).get(`/v1/${demoProject}/things`).set(forged).expect(401);
    assert.match(denied.headers['x-openstack-request-id'], /^req-/);
    assert.equal(denied.body.error.request_id, denied.headers['x-openstack-request-id']);
    assert.equal(denied.headers['www-authenticate'], `Keystone uri="${env.OS_AUTH_URL}"`);
    assert.deepEqual(auth.keystone!.calls, { issue: 1, validate: 1 }); // one service token, one validation: reader's token cached
  });
});
