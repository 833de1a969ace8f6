import fs from 'node:fs';
import yaml from 'js-yaml';
import type { Authorizer, Identity } from '../domain/identity';
import { authRequired, ConfigError, policyForbidden, projectForbidden } from '../errors';
import { log } from '../log';
import { evaluate, parseRule, referencedRules, RuleInput, RuleNode } from './policy-rules';

// Who may do what: oslo.policy-style rules, built in below and overridable rule by rule from the
// operator's policy.yaml ([oslo_policy] policy_file). etc/fresco/policy.yaml holds the same
// defaults (a unit test keeps them equal). Roles: reader reads, member also writes and runs in
// its own project, admin does everything in every project.

const RESOURCES = ['app', 'route', 'call', 'trigger'];
const READS = ['list', 'get'];
const WRITES = ['create', 'update', 'delete'];

/** Every action the API enforces. */
export const ACTIONS: readonly string[] = [
  ...RESOURCES.flatMap((r) => [...READS, ...WRITES].map((v) => `fresco:${r}:${v}`)),
  'fresco:route:run', 'fresco:call:cancel', 'fresco:engine:list',
  'fresco:runtime:list', 'fresco:runtime:get', 'fresco:runtime:create', 'fresco:runtime:delete',
  'fresco:deadletter:list', 'fresco:deadletter:get', 'fresco:deadletter:redrive', 'fresco:deadletter:delete',
  'fresco:call:replay',
  'fresco:all_projects',
  'fresco:route:version:list', 'fresco:route:version:get', 'fresco:route:version:create', 'fresco:route:version:delete',
  'fresco:route:alias:list', 'fresco:route:alias:get', 'fresco:route:alias:create', 'fresco:route:alias:update',
  'fresco:route:alias:delete',
  'fresco:quota:get', 'fresco:quota:update', 'fresco:quota:delete',
];

function builtInRules(): Record<string, string> {
  const rules: Record<string, string> = {
    admin_required: 'role:admin',
    // Member counts as reader even where Keystone has no implied roles (before Rocky).
    project_reader: '(role:reader or role:member) and project_id:%(project_id)s',
    project_member: 'role:member and project_id:%(project_id)s',
    admin_or_reader: 'rule:admin_required or rule:project_reader',
    admin_or_member: 'rule:admin_required or rule:project_member',
  };
  for (const r of RESOURCES) {
    for (const v of READS) rules[`fresco:${r}:${v}`] = 'rule:admin_or_reader';
    for (const v of WRITES) rules[`fresco:${r}:${v}`] = 'rule:admin_or_member';
  }
  rules['fresco:route:run'] = 'rule:admin_or_member';
  rules['fresco:call:cancel'] = 'rule:admin_or_member';
  // The cluster's engines (hosts, load): operators only.
  rules['fresco:engine:list'] = 'rule:admin_required';
  // Runtimes are the deployment's (docs/runtimes.md): every project reads them, admins change them.
  rules['fresco:runtime:list'] = 'rule:admin_or_reader';
  rules['fresco:runtime:get'] = 'rule:admin_or_reader';
  rules['fresco:runtime:create'] = 'rule:admin_required';
  rules['fresco:runtime:delete'] = 'rule:admin_required';
  // Dead letters (docs/api.md): readers see them, members redrive (runs a call) and purge them.
  rules['fresco:deadletter:list'] = 'rule:admin_or_reader';
  rules['fresco:deadletter:get'] = 'rule:admin_or_reader';
  rules['fresco:deadletter:redrive'] = 'rule:admin_or_member';
  rules['fresco:deadletter:delete'] = 'rule:admin_or_member';
  // POST .../calls/{id}/replay runs the function again, as a run does.
  rules['fresco:call:replay'] = 'rule:admin_or_member';
  // Lists of every project's objects (the Qinling API's ?all_projects=true): admins only.
  rules['fresco:all_projects'] = 'rule:admin_required';
  // Route versions and aliases (docs/api.md, "Versions and aliases"): as the routes themselves.
  for (const r of ['version', 'alias']) {
    for (const v of READS) rules[`fresco:route:${r}:${v}`] = 'rule:admin_or_reader';
    for (const v of r === 'version' ? ['create', 'delete'] : WRITES) rules[`fresco:route:${r}:${v}`] = 'rule:admin_or_member';
  }
  // Quotas (docs/api.md, "Quotas"): the project reads its own, only admins set or remove them.
  rules['fresco:quota:get'] = 'rule:admin_or_reader';
  rules['fresco:quota:update'] = 'rule:admin_required';
  rules['fresco:quota:delete'] = 'rule:admin_required';
  return rules;
}

/** The built-in rules (name → rule text), the same as etc/fresco/policy.yaml ships. */
export const DEFAULT_RULES: Readonly<Record<string, string>> = Object.freeze(builtInRules());

/** Where a project-scoped action points: the project in the request's path. */
export interface PolicyTarget { projectId: string }

/** The policy handlers use; also the domain's Authorizer. */
export interface Policy extends Authorizer {
  /** Throws ForbiddenError FRESCO_POLICY_FORBIDDEN unless `action`'s rule passes; Error for an unknown action. */
  enforce(action: string, identity: Identity, target: PolicyTarget): void;
  /** Whether `action`'s rule passes (no throw, e.g. to filter listings). */
  allowed(action: string, identity: Identity, target: PolicyTarget): boolean;
  /** The effective rule texts after the operator's overrides. */
  readonly rules: Readonly<Record<string, string>>;
}

/** Reads the operator's overrides; a missing file means none. Throws ConfigError naming the file. */
function readOverrides(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      log.info({ file }, 'policy file not found; using the built-in policy rules');
      return {};
    }
    throw new ConfigError(`policy file ${file}: cannot be read (${(err as Error).message})`);
  }
  // Only comments (or nothing): no overrides; this YAML parser refuses an empty document.
  if (!/^\s*[^#\s]/m.test(text)) return {};
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ConfigError(`policy file ${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`policy file ${file}: expected a mapping of rule name to rule text`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new ConfigError(`policy file ${file}: rule "${name}": the rule must be a string`);
    out[name] = value;
  }
  return out;
}

/** Parses every rule and checks rule:NAME references exist and do not loop; throws ConfigError. */
function compile(texts: Record<string, string>, source: string): Map<string, RuleNode> {
  const rules = new Map<string, RuleNode>();
  for (const [name, text] of Object.entries(texts)) {
    try {
      rules.set(name, parseRule(text));
    } catch (err) {
      throw new ConfigError(`${source}: rule "${name}": ${(err as Error).message} in "${text}"`);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new ConfigError(`${source}: rule "${name}": refers to itself through ${[...path, name].join(' → ')}`);
    }
    state.set(name, 'visiting');
    for (const ref of referencedRules(rules.get(name)!)) {
      if (!rules.has(ref)) throw new ConfigError(`${source}: rule "${name}": refers to undefined rule:${ref}`);
      visit(ref, [...path, name]);
    }
    state.set(name, 'done');
  };
  for (const name of rules.keys()) visit(name, []);
  return rules;
}

function inputOf(identity: Identity, target: PolicyTarget): RuleInput {
  return {
    creds: { project_id: identity.projectId, user_id: identity.userId, user_name: identity.userName, roles: identity.roles },
    target: { project_id: target.projectId },
  };
}

/** Throws ForbiddenError FRESCO_PROJECT_FORBIDDEN unless the identity is noauth, admin (`isAdmin`) or scoped to `projectId`. */
export function checkProject(identity: Identity, projectId: string, isAdmin = identity.roles.includes('admin')): void {
  if (identity.noauth || isAdmin || identity.projectId === projectId) return;
  throw projectForbidden(identity.projectId, projectId);
}

/** Builds the policy: built-in rules, overridden rule by rule by `file` when given; throws ConfigError for a bad file. */
export function createPolicy(file?: string): Policy {
  const texts = { ...DEFAULT_RULES, ...(file ? readOverrides(file) : {}) };
  const rules = compile(texts, file ? `policy file ${file}` : 'built-in policy');
  const allowed = (action: string, identity: Identity, target: PolicyTarget): boolean => {
    const rule = rules.get(action);
    if (!rule) throw new Error(`policy: no rule for action ${action}`);
    return evaluate(rule, inputOf(identity, target), rules);
  };
  const enforce = (action: string, identity: Identity, target: PolicyTarget): void => {
    if (allowed(action, identity, target)) return;
    throw policyForbidden(action, target.projectId, identity.roles);
  };
  const isAdmin = (identity: Identity, projectId: string): boolean =>
    evaluate(rules.get('admin_required') ?? { kind: 'role', role: 'admin' }, inputOf(identity, { projectId }), rules);
  return {
    rules: Object.freeze(texts), allowed, enforce,
    authorize(identity, action, projectId) {
      if (!identity) throw authRequired('This request needs a Keystone token in the X-Auth-Token header');
      if (!rules.has(action)) throw new Error(`policy: no rule for action ${action}`);
      // auth_strategy = noauth: every caller is trusted, whatever the operator's rules say.
      if (identity.noauth) return;
      checkProject(identity, projectId, isAdmin(identity, projectId));
      enforce(action, identity, { projectId });
    },
  };
}

/**
 * The domain's Authorizer (src/domain/identity.ts): built-in rules overridden by `policyFile`.
 * authorize() throws ForbiddenError FRESCO_PROJECT_FORBIDDEN (another project, not admin) or
 * FRESCO_POLICY_FORBIDDEN (the rule denies); noauth identities are always allowed. A bad file
 * throws ConfigError naming the file and the rule, at start.
 */
export function createAuthorizer(policyFile?: string): Authorizer {
  return createPolicy(policyFile);
}
