import './nock-node20';
import assert from 'node:assert/strict';
import nock from 'nock';
import request from 'supertest';
import { KeystoneClient } from '../../../src/auth/keystone-client';
import { keystoneAuth } from '../../../src/auth/keystone-middleware';
import { resolveKeystoneOptions } from '../../../src/auth/keystone-options';
import { KeystoneUnavailableError } from '../../../src/auth/keystone-token';
import { createPolicy } from '../../../src/auth/policy';
import { fixture } from '../events/fixtures';
import { thingsApp } from './things-app';

// What the real Keystone cannot be made to do: hang, or answer 502. nock stands in for it, on a
// host name of its own so that no real Keystone traffic is touched.

const HOST = 'http://keystone.nock.test:5000';
const OPTIONS = { authUrl: `${HOST}/v3/`, username: 'fresco', password: 'secret', timeoutMs: 300 };
const TOKEN_BODY = fixture<{ token: { project: { id: string } } }>('keystone-token-validate.json');
// The fixture's token was issued (and expired) in the past: give it this hour's lifetime, or the
// client would see a days-long token near its end and renew it on every call.
const FRESH = { token: { ...TOKEN_BODY.token, issued_at: new Date().toISOString(),
  expires_at: new Date(Date.now() + 3600_000).toISOString() } };

function serviceTokenIssued(): void {
  nock(HOST).post('/v3/auth/tokens').query(true).reply(201, FRESH, { 'X-Subject-Token': 'service-token' });
}

describe('KeystoneClient with a misbehaving Keystone (nock)', () => {
  // nock intercepts every socket of this process while active: only while these tests run (it
  // held back the in-process fake Docker containers of later test files).
  before(() => { if (!nock.isActive()) nock.activate(); });
  afterEach(() => nock.cleanAll());
  after(() => nock.restore());

  it('normalises auth_url to .../v3 and requires the service credentials', () => {
    assert.equal(resolveKeystoneOptions({ ...OPTIONS, authUrl: HOST }).authUrl, `${HOST}/v3`);
    assert.equal(resolveKeystoneOptions(OPTIONS).authUrl, `${HOST}/v3`);
    assert.equal(resolveKeystoneOptions(OPTIONS).tokenCacheTime, 300);
    assert.throws(() => resolveKeystoneOptions({ ...OPTIONS, password: '' }), /password is required/);
  });

  it('gives up on a validation that hangs after timeoutMs', async () => {
    serviceTokenIssued();
    // Keystone would answer after a minute: the client gives up at timeoutMs (a client that waited
    // would run into mocha's timeout) and says why.
    nock(HOST).get('/v3/auth/tokens').query(true).delay(60_000).reply(200, FRESH);
    const client = new KeystoneClient(resolveKeystoneOptions(OPTIONS));
    await assert.rejects(client.validate('user-token'),
      (err: Error) => err instanceof KeystoneUnavailableError && /300 ms/.test(err.message));
  });

  it('gives up on a service token request that hangs, and the middleware answers 503 quickly', async () => {
    nock(HOST).post('/v3/auth/tokens').query(true).delay(60_000).reply(201, FRESH, { 'X-Subject-Token': 's' });
    const app = thingsApp(keystoneAuth(OPTIONS), createPolicy()).callback();
    const res = await request(app).get('/v1/p/things').set('X-Auth-Token', 'user-token').expect(503);
    assert.equal(res.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
  });

  it('treats a 502 from Keystone as unavailable (503), not as an invalid token, and caches nothing', async () => {
    serviceTokenIssued();
    nock(HOST).get('/v3/auth/tokens').query(true).reply(502, '<html>Bad Gateway</html>');
    nock(HOST).get('/v3/auth/tokens').query(true).reply(200, FRESH);
    const auth = keystoneAuth(OPTIONS);
    const app = thingsApp(auth, createPolicy()).callback();
    const project = FRESH.token.project.id;
    const res = await request(app).get(`/v1/${project}/things`).set('X-Auth-Token', 'user-token').expect(503);
    assert.equal(res.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
    assert.match(res.body.error.message, /HTTP 502/);
    await request(app).get(`/v1/${project}/things`).set('X-Auth-Token', 'user-token').expect(200);
    assert.deepEqual(auth.client.calls, { issue: 1, validate: 2 });
  });

  it('treats a 200 whose body is not a token as unavailable', async () => {
    serviceTokenIssued();
    nock(HOST).get('/v3/auth/tokens').query(true).reply(200, 'not json');
    const client = new KeystoneClient(resolveKeystoneOptions(OPTIONS));
    await assert.rejects(client.validate('user-token'), /token body Fresco cannot read/);
  });
});
