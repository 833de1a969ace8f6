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
// The fixture's token expired in the past of some clocks: give it a future expiry.
const FRESH = { token: { ...TOKEN_BODY.token, expires_at: new Date(Date.now() + 3600_000).toISOString() } };

function serviceTokenIssued(): void {
  nock(HOST).post('/v3/auth/tokens').query(true).reply(201, FRESH, { 'X-Subject-Token': 'service-token' });
}

describe('KeystoneClient with a misbehaving Keystone (nock)', () => {
  afterEach(() => nock.cleanAll());

  it('normalises auth_url to .../v3 and requires the service credentials', () => {
    assert.equal(resolveKeystoneOptions({ ...OPTIONS, authUrl: HOST }).authUrl, `${HOST}/v3`);
    assert.equal(resolveKeystoneOptions(OPTIONS).authUrl, `${HOST}/v3`);
    assert.equal(resolveKeystoneOptions(OPTIONS).tokenCacheTime, 300);
    assert.throws(() => resolveKeystoneOptions({ ...OPTIONS, password: '' }), /password is required/);
  });

  it('gives up on a validation that hangs after timeoutMs', async () => {
    serviceTokenIssued();
    nock(HOST).get('/v3/auth/tokens').query(true).delay(5000).reply(200, FRESH);
    const client = new KeystoneClient(resolveKeystoneOptions(OPTIONS));
    const started = Date.now();
    await assert.rejects(client.validate('user-token'), KeystoneUnavailableError);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
  });

  it('gives up on a service token request that hangs, and the middleware answers 503 quickly', async () => {
    nock(HOST).post('/v3/auth/tokens').query(true).delay(5000).reply(201, FRESH, { 'X-Subject-Token': 's' });
    const app = thingsApp(keystoneAuth(OPTIONS), createPolicy()).callback();
    const started = Date.now();
    const res = await request(app).get('/v1/p/things').set('X-Auth-Token', 'user-token').expect(503);
    assert.ok(Date.now() - started < 1500);
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
