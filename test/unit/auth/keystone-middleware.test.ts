import assert from 'node:assert/strict';
import request from 'supertest';
import { keystoneAuth, noauthMiddleware, isIdentityHeader } from '../../../src/auth/keystone-middleware';
import { KeystoneUnavailableError, parseTokenBody, TokenInfo, TokenInvalidError } from '../../../src/auth/keystone-token';
import { createPolicy } from '../../../src/auth/policy';
import { fixture } from '../events/fixtures';
import { thingsApp } from './things-app';

// The middleware's contract with a fake Keystone client (the real one is exercised in
// test/integration/auth). Token bodies are the captured fixtures.

const OPTIONS = { authUrl: 'http://keystone.test:5000/v3', username: 'fresco', password: 'x', timeoutMs: 500 };
const member = parseTokenBody(fixture('keystone-token-validate.json'));
const DEMO = member.projectId!;

/** A client whose answers the test scripts: token → TokenInfo | 'invalid' | 'down'. */
function fakeClient(answers: Record<string, TokenInfo | 'invalid' | 'down'>) {
  const calls = { issue: 0, validate: 0 };
  return {
    calls,
    async validate(token: string): Promise<TokenInfo> {
      calls.validate++;
      const a = answers[token];
      if (a === 'down') throw new KeystoneUnavailableError('Keystone at http://keystone.test did not answer (ECONNREFUSED)');
      if (a === undefined || a === 'invalid') throw new TokenInvalidError('The token is invalid, expired or revoked');
      return a;
    },
  };
}

describe('keystoneAuth middleware (fake Keystone)', () => {
  let t: number;
  const now = () => t;
  beforeEach(() => { t = member.issuedAt! + 1000; });

  function setup(answers: Record<string, TokenInfo | 'invalid' | 'down'>, extra = {}) {
    const client = fakeClient(answers);
    const auth = keystoneAuth({ ...OPTIONS, ...extra }, { client, now });
    return { client, auth, app: thingsApp(auth, createPolicy()).callback() };
  }

  it('sets the identity from the token and strips every forged identity header', async () => {
    const { app } = setup({ good: member });
    const res = await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', ' good ')
      .set('X-Roles', 'admin').set('X-Project-Id', 'p-forged').set('X-User-Id', 'u-forged')
      .set('X-Identity-Status', 'Confirmed').set('X-Service-Roles', 'admin').set('X-Is-Admin-Project', 'True')
      .set('X-Tenant-Id', 'p-forged').set('OpenStack-System-Scope', 'all').set('X-Other', 'kept')
      .expect(200);
    assert.deepEqual(res.body.identity, { projectId: DEMO, userId: member.userId, userName: 'demo', roles: member.roles });
    const left = Object.keys(res.body.headers).filter(isIdentityHeader);
    assert.deepEqual(left, []);
    assert.equal(res.body.headers['x-other'], 'kept');
  });

  it('answers 401 with WWW-Authenticate for a missing or invalid token, and caches the refusal briefly', async () => {
    const { app, client } = setup({}, { wwwAuthenticateUri: 'https://keystone.example.com' });
    const missing = await request(app).get(`/v1/${DEMO}/things`).expect(401);
    assert.equal(missing.headers['www-authenticate'], 'Keystone uri="https://keystone.example.com"');
    assert.equal(missing.body.error.code, 'FRESCO_AUTH_REQUIRED');
    for (let i = 0; i < 3; i++) {
      const bad = await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'garbage').expect(401);
      assert.equal(bad.headers['www-authenticate'], 'Keystone uri="https://keystone.example.com"');
    }
    assert.equal(client.calls.validate, 1);
    t += 10_001;
    await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'garbage').expect(401);
    assert.equal(client.calls.validate, 2);
  });

  it('uses auth_url in WWW-Authenticate when www_authenticate_uri is unset', async () => {
    const { app } = setup({});
    const res = await request(app).get(`/v1/${DEMO}/things`).expect(401);
    assert.equal(res.headers['www-authenticate'], `Keystone uri="${OPTIONS.authUrl}"`);
  });

  it('caches a valid token for token_cache_time and never past expires_at', async () => {
    const { app, client } = setup({ good: member }, { tokenCacheTime: 300 });
    const get = () => request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'good');
    await get().expect(200);
    t += 299_000;
    await get().expect(200);
    assert.equal(client.calls.validate, 1);
    t += 1000;
    await get().expect(200);
    assert.equal(client.calls.validate, 2);
    t = member.expiresAt - 1;
    await get().expect(200);
    t = member.expiresAt;
    const expired = await get().expect(401);
    assert.equal(expired.body.error.message, 'The token has expired');
  });

  it('answers 503 FRESCO_AUTH_UNAVAILABLE for an unknown token while Keystone is down; cached ones keep working', async () => {
    const answers: Record<string, TokenInfo | 'down'> = { good: member, other: member };
    const { app } = setup(answers);
    await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'good').expect(200);
    answers.good = 'down';
    answers.other = 'down';
    await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'good').expect(200);
    const res = await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'other').expect(503);
    assert.equal(res.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
    assert.match(res.body.error.message, /Keystone.*did not answer/);
  });

  it('refuses a token that is not scoped to a project', async () => {
    const { projectId: _p, ...unscoped } = member;
    const { app } = setup({ u: { ...unscoped, scope: 'unscoped' } });
    const res = await request(app).get(`/v1/${DEMO}/things`).set('X-Auth-Token', 'u').expect(401);
    assert.match(res.body.error.message, /project-scoped token; this one is unscoped/);
  });

  it('hands each request its own identity object', async () => {
    const { auth } = setup({ good: member });
    const seen: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const ctx = { req: { headers: {} }, get: (h: string) => (h === 'X-Auth-Token' ? 'good' : ''), state: {} as Record<string, unknown> };
      await auth(ctx as never, async () => { seen.push(ctx.state.identity); });
    }
    assert.notEqual(seen[0], seen[1]);
    assert.deepEqual(seen[0], seen[1]);
  });
});

describe('noauthMiddleware', () => {
  const app = thingsApp(noauthMiddleware(), createPolicy()).callback();

  it('trusts X-Project-Id, gives every role, allows any project in the path', async () => {
    const res = await request(app).post('/v1/p1/things').set('X-Project-Id', 'p1').set('X-Roles', 'reader').expect(200);
    assert.deepEqual(res.body.identity, { projectId: 'p1', roles: ['admin', 'member', 'reader'], noauth: true });
    assert.equal(res.body.headers['x-roles'], undefined);
    const bare = await request(app).delete('/v1/p2/things').expect(200);
    assert.equal(bare.body.identity.projectId, '');
  });
});
