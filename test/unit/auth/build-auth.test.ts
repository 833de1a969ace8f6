import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { authOptionsFromConfig, buildAuthFromOptions, createAuthorizer } from '../../../src/auth';
import { ConfigError, ForbiddenError } from '../../../src/errors';
import { thingsApp } from './things-app';

// The module's front door: createAuthorizer (domain Authorizer) and buildAuthFromOptions (what
// main.ts calls), without Keystone.

function policyFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-policy-'));
  const file = path.join(dir, 'policy.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function codeOf(fn: () => void): string | undefined {
  try { fn(); } catch (err) { assert.ok(err instanceof ForbiddenError); return err.code; }
  return undefined;
}

describe('createAuthorizer', () => {
  const member = { projectId: 'p1', roles: ['member', 'reader'] };
  const reader = { projectId: 'p1', roles: ['reader'] };
  const admin = { projectId: 'adm', roles: ['admin', 'member', 'reader'] };

  it('answers FRESCO_PROJECT_FORBIDDEN for another project, FRESCO_POLICY_FORBIDDEN for a denied rule', () => {
    const a = createAuthorizer();
    assert.equal(codeOf(() => a.authorize(member, 'fresco:app:create', 'p1')), undefined);
    assert.equal(codeOf(() => a.authorize(member, 'fresco:app:list', 'p2')), 'FRESCO_PROJECT_FORBIDDEN');
    assert.equal(codeOf(() => a.authorize(reader, 'fresco:app:get', 'p1')), undefined);
    assert.equal(codeOf(() => a.authorize(reader, 'fresco:call:cancel', 'p1')), 'FRESCO_POLICY_FORBIDDEN');
    assert.equal(codeOf(() => a.authorize(admin, 'fresco:trigger:delete', 'p1')), undefined);
  });

  it('always allows noauth identities, even when the operator denies everything', () => {
    const a = createAuthorizer(policyFile('"fresco:app:create": "!"\n"admin_required": "!"\n'));
    const noauth = { projectId: '', roles: [], noauth: true };
    assert.doesNotThrow(() => a.authorize(noauth, 'fresco:app:create', 'any'));
    assert.equal(codeOf(() => a.authorize(admin, 'fresco:app:create', admin.projectId)), 'FRESCO_POLICY_FORBIDDEN');
  });

  it('fails at start with an Error naming the file and the rule', () => {
    const file = policyFile('"fresco:app:get": "role:reader or"\n');
    assert.throws(() => createAuthorizer(file), (err: Error) =>
      err instanceof ConfigError && err.message.includes(file) && err.message.includes('fresco:app:get'));
  });
});

describe('buildAuthFromOptions', () => {
  it('noauth: trusts X-Project-Id, allows everything, no Keystone client', async () => {
    const auth = buildAuthFromOptions({ strategy: 'noauth' });
    assert.equal(auth.keystone, undefined);
    const app = thingsApp(auth.authenticate, auth.authorizer).callback();
    const res = await request(app).post('/v1/p9/things').set('X-Project-Id', 'p9').set('X-Roles', 'reader').expect(200);
    assert.deepEqual(res.body.identity, { projectId: 'p9', roles: ['admin', 'member', 'reader'], noauth: true });
    assert.equal(res.body.headers['x-roles'], undefined);
    assert.match(res.headers['x-openstack-request-id'], /^req-/);
  });

  it('keystone: needs its options; a bad policy file stops it at start', () => {
    assert.throws(() => buildAuthFromOptions({ strategy: 'keystone' }), ConfigError);
    assert.throws(() => buildAuthFromOptions({ strategy: 'keystone', keystone: { authUrl: 'http://k/v3', username: 'f', password: '' } }),
      /password is required/);
    assert.throws(() => buildAuthFromOptions({ strategy: 'noauth', policyFile: policyFile('"x": "rule:nope"\n') }), /rule "x"/);
    const auth = buildAuthFromOptions({ strategy: 'keystone', keystone: { authUrl: 'http://k:5000', username: 'f', password: 's' } });
    assert.deepEqual(auth.keystone?.calls, { issue: 0, validate: 0 });
  });

  it('maps the lead\'s Config onto the options', () => {
    const o = authOptionsFromConfig({
      DEFAULT: { auth_strategy: 'keystone' } as never,
      oslo_policy: { policy_file: 'etc/fresco/policy.yaml' },
      keystone_authtoken: { auth_url: 'http://k/v3', username: 'fresco', password: 'pw', project_name: 'service',
        user_domain_name: 'Default', project_domain_name: 'Default', token_cache_time: 300, http_connect_timeout: 5 },
    });
    assert.equal(o.strategy, 'keystone');
    assert.equal(o.policyFile, 'etc/fresco/policy.yaml');
    assert.equal(o.keystone?.timeoutMs, 5000);
    assert.equal(o.keystone?.tokenCacheTime, 300);
  });
});
