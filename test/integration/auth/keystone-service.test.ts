import assert from 'node:assert/strict';
import request from 'supertest';
import { KeystoneClient } from '../../../src/auth/keystone-client';
import { keystoneAuth } from '../../../src/auth/keystone-middleware';
import { resolveKeystoneOptions } from '../../../src/auth/keystone-options';
import { KeystoneUnavailableError } from '../../../src/auth/keystone-token';
import { createPolicy } from '../../../src/auth/policy';
import { thingsApp } from '../../unit/auth/things-app';
import { closedPort, issueToken, keystone, keystoneRelay, OsEnv, revokeToken, serviceOptions } from './keystone-env';

// Fresco's service token and Keystone outages, against the real Keystone: renewal, re-auth
// after a 401, a service user without rights, and Keystone becoming unreachable.

describe('Keystone service token and outages (real Keystone)', function () {
  let env: OsEnv;
  let demoToken: string;

  before(async function () {
    this.timeout(600_000);
    env = await keystone();
    demoToken = await issueToken(env, 'DEMO');
  });

  it('renews the service token before it expires (injected clock)', async () => {
    let t = Date.now();
    const client = new KeystoneClient(resolveKeystoneOptions(serviceOptions(env)), () => t);
    const first = await client.serviceToken();
    await client.validate(demoToken);
    assert.deepEqual(client.calls, { issue: 1, validate: 1 });
    t += 3600_000 - 400_000; // 400 s left of an hour: more than 10 % of its life, not yet
    await client.validate(demoToken);
    assert.equal(client.calls.issue, 1);
    t += 100_000; // 300 s left: under 10 % of its life (360 s)
    const info = await client.validate(demoToken);
    assert.equal(info.userName, 'demo');
    assert.equal(client.calls.issue, 2);
    assert.notEqual(await client.serviceToken(), first);
  });

  it('re-acquires the service token once when Keystone answers 401 to it (revoked)', async () => {
    const client = new KeystoneClient(resolveKeystoneOptions(serviceOptions(env)));
    const revoked = await client.serviceToken();
    await revokeToken(env, revoked);
    const info = await client.validate(demoToken);
    assert.equal(info.projectId, env.OS_DEMO_PROJECT_ID);
    assert.deepEqual(client.calls, { issue: 2, validate: 2 });
    assert.notEqual(await client.serviceToken(), revoked);
  });

  it('answers 503 when the service user may not validate tokens or its password is wrong', async () => {
    const notService = { ...serviceOptions(env), username: env.OS_ALT_USERNAME, password: env.OS_ALT_PASSWORD,
      projectName: env.OS_ALT_PROJECT_NAME };
    const wrongPassword = { ...serviceOptions(env), password: 'not-the-password' };
    for (const options of [notService, wrongPassword]) {
      const app = thingsApp(keystoneAuth(options), createPolicy()).callback();
      const res = await request(app).get(`/v1/${env.OS_DEMO_PROJECT_ID}/things`).set('X-Auth-Token', demoToken).expect(503);
      assert.equal(res.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
    }
  });

  it('keeps cached tokens working while Keystone is unreachable; unknown tokens get 503 at once', async () => {
    const relay = await keystoneRelay(env);
    const auth = keystoneAuth({ ...serviceOptions(env), authUrl: relay.authUrl, timeoutMs: 2000 });
    const app = thingsApp(auth, createPolicy()).callback();
    const path = `/v1/${env.OS_DEMO_PROJECT_ID}/things`;
    await request(app).get(path).set('X-Auth-Token', demoToken).expect(200);
    const unknown = await issueToken(env, 'DEMO');
    await relay.cut();
    await request(app).get(path).set('X-Auth-Token', demoToken).expect(200);
    // ECONNREFUSED, not a timeout: the refusal was answered at once, without waiting out timeoutMs.
    const res = await request(app).get(path).set('X-Auth-Token', unknown).expect(503);
    assert.equal(res.body.error.code, 'FRESCO_AUTH_UNAVAILABLE');
    assert.match(res.body.error.message, /did not answer \(ECONNREFUSED\)/);
    assert.ok(!res.text.includes(unknown));
  });

  it('answers 503 at once when Keystone was never reachable (closed port)', async () => {
    const port = await closedPort();
    const client = new KeystoneClient(resolveKeystoneOptions({ ...serviceOptions(env), authUrl: `http://127.0.0.1:${port}/v3` }));
    await assert.rejects(client.validate(demoToken),
      (err: Error) => err instanceof KeystoneUnavailableError && /ECONNREFUSED/.test(err.message));
    assert.deepEqual(client.calls, { issue: 1, validate: 0 });
  });
});
