import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { KeystoneUnavailableError, parseKeystoneTime, parseTokenBody } from '../../../src/auth/keystone-token';
import { fixture } from '../events/fixtures';

// The real Keystone answers captured in test/fixtures, parsed as the client parses them.

describe('Keystone token bodies (fixtures)', () => {
  it('reads a member token: project, user, lower-case roles, times', () => {
    const info = parseTokenBody(fixture('keystone-token-validate.json'));
    assert.equal(info.scope, 'project');
    assert.equal(info.projectName, 'demo');
    assert.equal(info.userName, 'demo');
    assert.match(info.projectId!, /^[0-9a-f]{32}$/);
    assert.deepEqual([...info.roles].sort(), ['member', 'reader']);
    assert.equal(info.expiresAt, Date.parse('2026-11-28T18:42:00Z'));
    assert.equal(info.issuedAt, Date.parse('2026-11-28T17:42:00Z'));
  });

  it('reads the reader, alt, admin and service tokens with their implied roles', () => {
    assert.deepEqual(parseTokenBody(fixture('keystone-token-validate-reader.json')).roles, ['reader']);
    const alt = parseTokenBody(fixture('keystone-token-validate-alt.json'));
    assert.equal(alt.projectName, 'other');
    assert.deepEqual([...parseTokenBody(fixture('keystone-token-validate-admin.json')).roles].sort(),
      ['admin', 'member', 'reader']);
    assert.ok(parseTokenBody(fixture('keystone-token-validate-service.json')).roles.includes('service'));
    assert.equal(parseTokenBody(fixture('keystone-token-validate-nocatalog.json')).scope, 'project');
  });

  it('lower-cases role names and recognises other scopes', () => {
    const body = fixture<{ token: Record<string, unknown> }>('keystone-token-validate.json');
    const { project, ...rest } = body.token;
    assert.ok(project);
    const system = parseTokenBody({ token: { ...rest, system: { all: true }, roles: [{ name: 'Admin' }] } });
    assert.equal(system.scope, 'system');
    assert.equal(system.projectId, undefined);
    assert.deepEqual(system.roles, ['admin']);
    assert.equal(parseTokenBody({ token: { ...rest, roles: undefined } }).scope, 'unscoped');
  });

  it('treats an error body or a token without user or expiry as Keystone misbehaving', () => {
    for (const body of [fixture('keystone-token-validate-revoked.json'), {}, { token: { user: {} } }, null]) {
      assert.throws(() => parseTokenBody(body), KeystoneUnavailableError);
    }
  });

  it('reads zone-less Keystone times as UTC, whatever TZ the process runs in', () => {
    assert.equal(parseKeystoneTime('2026-11-28T18:42:00.000000'), Date.parse('2026-11-28T18:42:00Z'));
    assert.equal(parseKeystoneTime('2026-11-28 18:42:00'), Date.parse('2026-11-28T18:42:00Z'));
    assert.equal(parseKeystoneTime('2026-11-28T18:42:00+02:00'), Date.parse('2026-11-28T16:42:00Z'));
    assert.ok(Number.isNaN(parseKeystoneTime('tomorrow')));
    // TZ is read once per process: a child under a far zone parses an application credential's token.
    const src = path.join(__dirname, '../../../src/auth/keystone-token.ts');
    const script = `const { parseTokenBody } = require(${JSON.stringify(src)});
      const t = parseTokenBody({ token: { user: { id: 'u' }, expires_at: '2026-11-28T18:42:00.000000', issued_at: '2026-11-28T17:42:00.000000' } });
      process.stdout.write(JSON.stringify([t.expiresAt, t.issuedAt, new Date(2026, 10, 28).getTimezoneOffset()]));`;
    for (const tz of ['Asia/Tokyo', 'America/Los_Angeles']) {
      const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { env: { ...process.env, TZ: tz } });
      const [expiresAt, issuedAt, offset] = JSON.parse(out.toString()) as number[];
      assert.notEqual(offset, 0, `${tz} is not UTC in the child`);
      assert.equal(expiresAt, Date.parse('2026-11-28T18:42:00Z'), tz);
      assert.equal(issuedAt, Date.parse('2026-11-28T17:42:00Z'), tz);
    }
  });
});
