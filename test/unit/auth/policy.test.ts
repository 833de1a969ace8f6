import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { ConfigError, FrescoError } from '../../../src/errors';
import type { Identity } from '../../../src/domain/identity';
import { ACTIONS, checkProject, createPolicy, DEFAULT_RULES } from '../../../src/auth/policy';
import { parseRule } from '../../../src/auth/policy-rules';

const ROOT = path.resolve(__dirname, '../../..');
const DEMO = 'p-demo';
const reader: Identity = { projectId: DEMO, userId: 'u-viewer', roles: ['reader'] };
const member: Identity = { projectId: DEMO, userId: 'u-demo', roles: ['member', 'reader'] };
const alt: Identity = { projectId: 'p-other', userId: 'u-alt', roles: ['member', 'reader'] };
const admin: Identity = { projectId: 'p-admin', userId: 'u-admin', roles: ['admin', 'member', 'reader'] };
const noauth: Identity = { projectId: '', roles: ['admin', 'member', 'reader'], noauth: true };

function writeTmp(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fresco-policy-')), 'policy.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function codeOf(fn: () => void): string | undefined {
  try { fn(); return undefined; } catch (err) { return (err as FrescoError).code ?? (err as Error).message; }
}

describe('policy rules (parse)', () => {
  it('parses and/or/not with parentheses, @, ! and empty rules', () => {
    assert.deepEqual(parseRule(''), { kind: 'always' });
    assert.deepEqual(parseRule('!'), { kind: 'never' });
    assert.deepEqual(parseRule('not (role:A or role:b) and project_id:%(project_id)s'), {
      kind: 'and', items: [
        { kind: 'not', item: { kind: 'or', items: [{ kind: 'role', role: 'a' }, { kind: 'role', role: 'b' }] } },
        { kind: 'field', key: 'project_id', targetKey: 'project_id' },
      ] });
  });

  for (const bad of ['role:', 'role:a or', '(role:a', 'role:a)', 'and role:a', 'reader', 'role:a role:b']) {
    it(`rejects "${bad}"`, () => assert.throws(() => parseRule(bad)));
  }
});

// Runtimes belong to the deployment: only admins register or remove them (docs/runtimes.md).
const ADMIN_ONLY = ['fresco:runtime:create', 'fresco:runtime:delete', 'fresco:all_projects', 'fresco:quota:update', 'fresco:quota:delete'];

describe('policy (built-in rules)', () => {
  const policy = createPolicy();
  const run = (who: Identity, action: string, project = DEMO) => codeOf(() => policy.authorize(who, action, project));

  it('defines every action the API enforces', () => {
    for (const action of ACTIONS) assert.ok(policy.rules[action], action);
    assert.equal(ACTIONS.length, 45);
  });

  it('lets a reader read its project but not write, run or cancel (FRESCO_POLICY_FORBIDDEN)', () => {
    assert.equal(run(reader, 'fresco:app:list'), undefined);
    assert.equal(run(reader, 'fresco:call:get'), undefined);
    for (const action of ['fresco:app:create', 'fresco:route:update', 'fresco:trigger:delete', 'fresco:route:run', 'fresco:call:cancel']) {
      assert.equal(run(reader, action), 'FRESCO_POLICY_FORBIDDEN', action);
    }
  });

  it('lets a member do everything in its own project and nothing in another', () => {
    for (const action of ACTIONS.filter((a) => a !== 'fresco:engine:list' && !ADMIN_ONLY.includes(a))) assert.equal(run(member, action), undefined, action);
    assert.equal(run(alt, 'fresco:app:list'), 'FRESCO_PROJECT_FORBIDDEN');
    assert.equal(run(alt, 'fresco:route:run'), 'FRESCO_PROJECT_FORBIDDEN');
  });

  it('shows the cluster\'s engines to admins only', () => {
    for (const who of [reader, member]) assert.equal(run(who, 'fresco:engine:list', who.projectId), 'FRESCO_POLICY_FORBIDDEN');
    assert.equal(run(admin, 'fresco:engine:list', admin.projectId), undefined);
  });

  it('lets every project read runtimes and only admins register or remove them', () => {
    assert.equal(run(reader, 'fresco:runtime:list'), undefined);
    assert.equal(run(member, 'fresco:runtime:get'), undefined);
    for (const action of ADMIN_ONLY) {
      assert.equal(run(member, action), 'FRESCO_POLICY_FORBIDDEN', action);
      assert.equal(run(admin, action), undefined, action);
    }
  });

  it('lets admin and noauth do everything in any project', () => {
    for (const action of ACTIONS) {
      assert.equal(run(admin, action), undefined, action);
      assert.equal(run(noauth, action, 'p-anything'), undefined, action);
    }
  });

  it('still denies a member of another project whose roles include no admin, even via enforce alone', () => {
    assert.equal(codeOf(() => policy.enforce('fresco:app:create', alt, { projectId: DEMO })), 'FRESCO_POLICY_FORBIDDEN');
    assert.equal(policy.allowed('fresco:app:get', member, { projectId: DEMO }), true);
  });

  it('refuses a request without identity (401) and an unknown action (programming error)', () => {
    assert.equal(codeOf(() => policy.authorize(undefined, 'fresco:app:list', DEMO)), 'FRESCO_AUTH_REQUIRED');
    assert.throws(() => policy.enforce('fresco:nope', admin, { projectId: DEMO }), /no rule for action fresco:nope/);
  });

  it('checkProject: same project, admin or noauth', () => {
    assert.doesNotThrow(() => checkProject(member, DEMO));
    assert.doesNotThrow(() => checkProject(admin, DEMO));
    assert.doesNotThrow(() => checkProject(noauth, DEMO));
    assert.equal(codeOf(() => checkProject(alt, DEMO)), 'FRESCO_PROJECT_FORBIDDEN');
  });
});

describe('policy file', () => {
  it('etc/fresco/policy.yaml holds exactly the built-in rules', () => {
    const shipped = yaml.load(fs.readFileSync(path.join(ROOT, 'etc/fresco/policy.yaml'), 'utf8'));
    assert.deepEqual(shipped, { ...DEFAULT_RULES });
    assert.doesNotThrow(() => createPolicy(path.join(ROOT, 'etc/fresco/policy.yaml')));
  });

  it('overrides rule by rule and keeps the other defaults', () => {
    const file = writeTmp('"fresco:app:create": "rule:admin_required"\n"fresco:app:list": "@"\n"my_rule": "role:auditor"\n');
    const policy = createPolicy(file);
    assert.equal(codeOf(() => policy.authorize(member, 'fresco:app:create', DEMO)), 'FRESCO_POLICY_FORBIDDEN');
    assert.equal(codeOf(() => policy.authorize(alt, 'fresco:app:list', 'p-other')), undefined);
    assert.equal(codeOf(() => policy.authorize(member, 'fresco:route:create', DEMO)), undefined);
    assert.equal(policy.rules['fresco:route:create'], DEFAULT_RULES['fresco:route:create']);
  });

  it('uses the built-in rules when the file does not exist, or is empty', () => {
    assert.deepEqual(createPolicy('/nonexistent/policy.yaml').rules, DEFAULT_RULES);
    assert.deepEqual(createPolicy(writeTmp('# nothing\n')).rules, DEFAULT_RULES);
  });

  it('lets admin_required redefine who crosses projects', () => {
    const policy = createPolicy(writeTmp('"admin_required": "role:admin and project_id:p-admin"\n'));
    assert.equal(codeOf(() => policy.authorize(admin, 'fresco:app:delete', DEMO)), undefined);
    const elsewhere = { ...admin, projectId: 'p-x' };
    assert.equal(codeOf(() => policy.authorize(elsewhere, 'fresco:app:delete', DEMO)), 'FRESCO_PROJECT_FORBIDDEN');
  });

  const broken: Array<[string, string, RegExp]> = [
    ['syntax', '"fresco:app:list": "role:reader or"\n', /rule "fresco:app:list": the rule ends/],
    ['undefined reference', '"fresco:app:get": "rule:nobody"\n', /rule "fresco:app:get": refers to undefined rule:nobody/],
    ['cycle', '"a": "rule:b"\n"b": "rule:a"\n', /rule "a": refers to itself through a → b → a/],
    ['not a string', '"fresco:app:get": [1, 2]\n', /rule "fresco:app:get": the rule must be a string/],
    ['not a mapping', '- role:admin\n', /expected a mapping/],
    ['not YAML', '"a": "b\n', /not valid YAML/],
  ];
  for (const [what, text, message] of broken) {
    it(`fails at start naming the file and the rule: ${what}`, () => {
      const file = writeTmp(text);
      assert.throws(() => createPolicy(file), (err: Error) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, new RegExp(`^policy file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
