import type { Middleware } from 'koa';
import type { Config } from '../config/config';
import type { Authorizer } from '../domain/identity';
import { ConfigError } from '../errors';
import { KeystoneClient } from './keystone-client';
import { keystoneAuth, KeystoneAuthMiddleware, noauthMiddleware } from './keystone-middleware';
import { KeystoneAuthOptions, resolveKeystoneOptions } from './keystone-options';
import { createAuthorizer } from './policy';

// The auth module's front door for the composition root (src/main.ts):
//   const auth = buildAuthFromConfig(config);            // or buildAuthFromOptions({...})
//   → { authenticate (Koa middleware), authorizer (domain Authorizer), keystone? (client, counters) }

export { CREDENTIAL_HEADERS, credentialTest, isCredentialHeader, TOKEN_HEADERS, tokenOf } from './credential-headers';
export { KeystoneClient } from './keystone-client';
export { isIdentityHeader, keystoneAuth, noauthMiddleware, stripIdentityHeaders } from './keystone-middleware';
export type { KeystoneAuthMiddleware } from './keystone-middleware';
export type { KeystoneAuthOptions } from './keystone-options';
export { resolveKeystoneOptions } from './keystone-options';
export type { ServiceSession } from './keystone-client';
export { endpointOf, parseCatalog } from './keystone-token';
export type { CatalogEntry } from './keystone-token';
export { KeystoneUnavailableError, TokenInvalidError } from './keystone-token';
export type { TokenInfo } from './keystone-token';
export { ACTIONS, checkProject, createAuthorizer, createPolicy, DEFAULT_RULES } from './policy';
export type { Policy } from './policy';
export { TokenCache, tokenKey } from './token-cache';

/** What buildAuthFromOptions needs. */
export interface AuthOptions {
  strategy: 'keystone' | 'noauth';
  /** Required when strategy = keystone. */
  keystone?: KeystoneAuthOptions;
  /** The operator's policy overrides ([oslo_policy] policy_file); missing file: built-in rules. */
  policyFile?: string;
  /** Injectable clock (ms) for the Keystone client and the token cache; tests only. */
  now?: () => number;
}

/** The middleware, the authorizer and (keystone only) the Keystone client. */
export interface Auth {
  authenticate: Middleware;
  authorizer: Authorizer;
  keystone?: KeystoneClient;
}

/**
 * Builds authentication and authorization for the configured strategy. Throws ConfigError at
 * start for a bad policy file (naming the file and the rule) or missing keystone options.
 */
export function buildAuthFromOptions(opts: AuthOptions, authorizer: Authorizer = createAuthorizer(opts.policyFile)): Auth {
  if (opts.strategy === 'noauth') return { authenticate: noauthMiddleware(), authorizer };
  if (opts.strategy !== 'keystone') throw new ConfigError(`auth_strategy must be keystone or noauth, not ${String(opts.strategy)}`);
  if (!opts.keystone) throw new ConfigError('auth_strategy = keystone needs the [keystone_authtoken] options');
  let resolved;
  try {
    resolved = resolveKeystoneOptions(opts.keystone);
  } catch (err) {
    throw new ConfigError(`[keystone_authtoken]: ${(err as Error).message}`);
  }
  const keystone = new KeystoneClient(resolved, opts.now);
  const authenticate: KeystoneAuthMiddleware = keystoneAuth(opts.keystone, { client: keystone, now: opts.now });
  return { authenticate, authorizer, keystone };
}

/** Maps the lead's Config ([keystone_authtoken], [oslo_policy], auth_strategy) onto AuthOptions. */
export function authOptionsFromConfig(config: Pick<Config, 'DEFAULT' | 'keystone_authtoken' | 'oslo_policy'>): AuthOptions {
  const ks = config.keystone_authtoken;
  return {
    strategy: config.DEFAULT.auth_strategy,
    policyFile: config.oslo_policy.policy_file,
    keystone: config.DEFAULT.auth_strategy === 'keystone' ? {
      authUrl: ks.auth_url ?? '', wwwAuthenticateUri: ks.www_authenticate_uri,
      username: ks.username ?? '', password: ks.password ?? '',
      projectName: ks.project_name, userDomainName: ks.user_domain_name, projectDomainName: ks.project_domain_name,
      tokenCacheTime: ks.token_cache_time, timeoutMs: ks.http_connect_timeout * 1000,
    } : undefined,
  };
}

/** buildAuthFromOptions(authOptionsFromConfig(config)), with the process's `authorizer` when it has one. */
export function buildAuthFromConfig(config: Pick<Config, 'DEFAULT' | 'keystone_authtoken' | 'oslo_policy'>,
  authorizer?: Authorizer): Auth {
  return buildAuthFromOptions(authOptionsFromConfig(config), authorizer);
}
