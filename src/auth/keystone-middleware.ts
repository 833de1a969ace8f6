import type { IncomingHttpHeaders } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { Identity } from '../domain/identity';
import { authRequired, authUnavailable } from '../errors';
import { tokenOf } from './credential-headers';
import { KeystoneClient } from './keystone-client';
import { KeystoneAuthOptions, resolveKeystoneOptions, ResolvedKeystoneOptions } from './keystone-options';
import { KeystoneUnavailableError, TokenInfo, TokenInvalidError } from './keystone-token';
import { Cacheable, TokenCache } from './token-cache';

// Authentication middleware, modelled on keystonemiddleware's auth_token (docs/openstack.md, Keystone).
//
// Contract, for every request it is mounted on:
// - Incoming identity headers (X-Identity-Status, X-Roles, X-Project-Id, X-User-Id, X-Service-*,
//   ...) are deleted from ctx.req.headers first: nothing a client sends about who it is is trusted,
//   and nothing downstream (handlers, functions' HEADER_* env) can see a forged one.
// - X-Auth-Token (or X-Storage-Token, as Swift clients send) is validated against Keystone, or
//   taken from the cache (≤ tokenCacheTime, never past the token's expires_at).
// - Success: ctx.state.identity = a fresh Identity {projectId, userId, userName, roles}; next().
// - Missing, invalid, expired, revoked or non-project-scoped token: throws UnauthorizedError
//   (401 FRESCO_AUTH_REQUIRED) with `WWW-Authenticate: Keystone uri="<wwwAuthenticateUri>"`.
// - Keystone down, slow (timeoutMs) or answering oddly for a token not in the cache: throws
//   ServiceUnavailableError (503 FRESCO_AUTH_UNAVAILABLE). Cached tokens keep working.
// It throws FrescoErrors only; the error middleware mounted before it renders them with err.headers.

/** The cached outcome of one validation: the token's facts, or why it was refused. */
export type TokenVerdict = { info: TokenInfo } | { invalid: string };

/** What the middleware needs of a Keystone client (KeystoneClient; a fake in unit tests). */
export type TokenValidator = Pick<KeystoneClient, 'validate' | 'calls'>;

/** The middleware, with its Keystone client (call counters) and cache exposed for tests and metrics. */
export type KeystoneAuthMiddleware = Middleware & { client: TokenValidator; cache: TokenCache<TokenVerdict> };

/** Replaceable parts; by default a real KeystoneClient and the wall clock. */
export interface KeystoneAuthDeps {
  client?: TokenValidator;
  now?: () => number;
}

const IDENTITY_HEADERS = new Set([
  'x-identity-status', 'x-service-identity-status', 'x-domain-id', 'x-domain-name',
  'x-project-id', 'x-project-name', 'x-project-domain-id', 'x-project-domain-name',
  'x-user-id', 'x-user-name', 'x-user-domain-id', 'x-user-domain-name', 'x-roles', 'x-is-admin-project',
  'openstack-system-scope', 'x-service-catalog', 'x-tenant-id', 'x-tenant-name', 'x-tenant', 'x-user', 'x-role',
]);

/** True for a header keystonemiddleware would set (x-service-* too, except the X-Service-Token input). */
export function isIdentityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return IDENTITY_HEADERS.has(n) || (n.startsWith('x-service-') && n !== 'x-service-token');
}

/** Deletes every identity header from `headers` in place. */
export function stripIdentityHeaders(headers: IncomingHttpHeaders): void {
  for (const name of Object.keys(headers)) if (isIdentityHeader(name)) delete headers[name];
}

function userToken(ctx: Context): string {
  return tokenOf((name) => ctx.get(name));
}

/** The Identity handlers see; a new object per request so a handler cannot alter the cache. */
function identityOf(info: TokenInfo & { projectId: string }): Identity {
  return { projectId: info.projectId, userId: info.userId, userName: info.userName, roles: [...info.roles] };
}

async function validateForCache(client: TokenValidator, token: string, o: ResolvedKeystoneOptions,
  now: () => number): Promise<Cacheable<TokenVerdict>> {
  const refusedUntil = now() + o.negativeCacheTime * 1000;
  try {
    const info = await client.validate(token);
    // Keystone's clock and ours may differ; a token already past its expiry is never served.
    if (info.expiresAt <= now()) return { value: { invalid: 'The token has expired' }, until: refusedUntil };
    return { value: { info }, until: Math.min(now() + o.tokenCacheTime * 1000, info.expiresAt) };
  } catch (err) {
    if (err instanceof TokenInvalidError) return { value: { invalid: err.message }, until: refusedUntil };
    throw err;
  }
}

function unavailable(err: unknown): unknown {
  if (!(err instanceof KeystoneUnavailableError)) return err;
  return authUnavailable(err.message);
}

/** Koa middleware validating X-Auth-Token with Keystone (contract above); options' defaults in KeystoneAuthOptions. */
export function keystoneAuth(options: KeystoneAuthOptions, deps: KeystoneAuthDeps = {}): KeystoneAuthMiddleware {
  const o = resolveKeystoneOptions(options);
  const now = deps.now ?? Date.now;
  const client = deps.client ?? new KeystoneClient(o, now);
  const cache = new TokenCache<TokenVerdict>({ max: o.tokenCacheSize, now });
  const challenge = `Keystone uri="${o.wwwAuthenticateUri}"`;

  const middleware: Middleware = async (ctx, next) => {
    stripIdentityHeaders(ctx.req.headers);
    const token = userToken(ctx);
    if (!token) throw authRequired('This request needs a Keystone token in the X-Auth-Token header', challenge);
    let verdict: TokenVerdict;
    try {
      verdict = await cache.getOrLoad(token, () => validateForCache(client, token, o, now));
    } catch (err) {
      throw unavailable(err);
    }
    if ('invalid' in verdict) throw authRequired(verdict.invalid, challenge);
    const { info } = verdict;
    if (info.projectId === undefined) {
      throw authRequired(`Fresco needs a project-scoped token; this one is ${info.scope}`, challenge);
    }
    ctx.state.identity = identityOf({ ...info, projectId: info.projectId });
    await next();
  };
  return Object.assign(middleware, { client, cache });
}

/**
 * auth_strategy = noauth (laptops, tests): every caller is trusted. identity.projectId is the
 * X-Project-Id header ('' when absent: the project in the path then decides, since
 * checkProject/authorize allow any project for a noauth identity); roles admin, member,
 * reader; noauth: true. Other identity headers are stripped as in keystone mode.
 */
export function noauthMiddleware(): Middleware {
  return async (ctx, next) => {
    const projectId = ctx.get('X-Project-Id').trim();
    stripIdentityHeaders(ctx.req.headers);
    const identity: Identity = { projectId, roles: ['admin', 'member', 'reader'], noauth: true };
    ctx.state.identity = identity;
    await next();
  };
}
