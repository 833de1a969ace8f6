// The [keystone_authtoken] settings the auth code needs, as a plain object. The lead's config
// layer fills it from fresco.conf / FRESCO_KEYSTONE_*; nothing in src/auth reads files or env.

/** What the operator sets; everything optional has the default named beside it. */
export interface KeystoneAuthOptions {
  /** Keystone's identity URL, e.g. http://127.0.0.1:5000/v3 ("/v3" is appended when missing). */
  authUrl: string;
  /** The URL clients are sent to in `WWW-Authenticate: Keystone uri=...`; default authUrl. */
  wwwAuthenticateUri?: string;
  /** Fresco's service user (needs the `service` or `admin` role to validate tokens). */
  username: string;
  password: string;
  /** Default "service". */
  projectName?: string;
  /** Default "Default". */
  userDomainName?: string;
  /** Default "Default". */
  projectDomainName?: string;
  /** Seconds a validated token is cached, never past its expires_at; default 300; <= 0 disables. */
  tokenCacheTime?: number;
  /** Seconds an invalid token's rejection is remembered (spares Keystone from floods); default 10; 0 disables. */
  negativeCacheTime?: number;
  /** Most tokens kept in the cache; default 10000 (least recently used go first). */
  tokenCacheSize?: number;
  /** Deadline in ms for one validation, however many Keystone requests it takes; default 5000. */
  timeoutMs?: number;
}

/** The options with every default filled in. */
export type ResolvedKeystoneOptions = Required<KeystoneAuthOptions>;

/** Fills defaults and normalises authUrl to end in /v3 without a trailing slash; throws on a missing field. */
export function resolveKeystoneOptions(o: KeystoneAuthOptions): ResolvedKeystoneOptions {
  for (const name of ['authUrl', 'username', 'password'] as const) {
    if (!o[name]) throw new Error(`keystone auth: option ${name} is required`);
  }
  const trimmed = o.authUrl.replace(/\/+$/, '');
  return {
    authUrl: /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`,
    wwwAuthenticateUri: o.wwwAuthenticateUri || o.authUrl,
    username: o.username,
    password: o.password,
    projectName: o.projectName ?? 'service',
    userDomainName: o.userDomainName ?? 'Default',
    projectDomainName: o.projectDomainName ?? 'Default',
    tokenCacheTime: o.tokenCacheTime ?? 300,
    negativeCacheTime: o.negativeCacheTime ?? 10,
    tokenCacheSize: o.tokenCacheSize ?? 10_000,
    timeoutMs: o.timeoutMs ?? 5_000,
  };
}
