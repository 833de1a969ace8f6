// What Fresco keeps of a Keystone v3 token body ({"token": {...}}), and the two ways a
// validation can fail. Pure: no I/O, so the captured fixtures test it directly.

/** A validated token, reduced to what authorization needs. Times are ms since the epoch. */
export interface TokenInfo {
  /** Undefined for unscoped, domain- or system-scoped tokens. */
  projectId?: string;
  projectName?: string;
  userId: string;
  userName: string;
  userDomainId?: string;
  /** Lower case, as Keystone expanded the implied roles. */
  roles: string[];
  expiresAt: number;
  issuedAt?: number;
  /** Fresco's resources live in projects, so only 'project' scope is served. */
  scope: 'project' | 'domain' | 'system' | 'unscoped';
}

/** The subject token is malformed, expired, revoked or unknown to Keystone: the caller gets 401. */
export class TokenInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenInvalidError';
  }
}

/** Keystone could not give an answer (down, slow, 5xx, refused Fresco's own credentials): 503. */
export class KeystoneUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeystoneUnavailableError';
  }
}

interface Named { id?: unknown; name?: unknown; domain?: { id?: unknown } }
interface TokenBody {
  token?: {
    user?: Named; project?: Named; domain?: Named; system?: unknown;
    roles?: Array<{ name?: unknown }>; expires_at?: unknown; issued_at?: unknown;
  };
}

function scopeOf(t: NonNullable<TokenBody['token']>): TokenInfo['scope'] {
  if (t.project) return 'project';
  if (t.domain) return 'domain';
  if (t.system) return 'system';
  return 'unscoped';
}

/** Parses a token body; throws KeystoneUnavailableError when Keystone's answer lacks what every token has. */
export function parseTokenBody(body: unknown): TokenInfo {
  const t = (body as TokenBody | undefined)?.token;
  const expiresAt = parseKeystoneTime(t?.expires_at);
  if (!t || typeof t.user?.id !== 'string' || Number.isNaN(expiresAt)) {
    throw new KeystoneUnavailableError('Keystone answered with a token body Fresco cannot read');
  }
  const issuedAt = parseKeystoneTime(t.issued_at);
  return {
    projectId: typeof t.project?.id === 'string' ? t.project.id : undefined,
    projectName: typeof t.project?.name === 'string' ? t.project.name : undefined,
    userId: t.user.id,
    userName: typeof t.user.name === 'string' ? t.user.name : '',
    userDomainId: typeof t.user.domain?.id === 'string' ? t.user.domain.id : undefined,
    roles: (t.roles ?? []).map((r) => String(r.name ?? '').toLowerCase()).filter(Boolean),
    expiresAt,
    issuedAt: Number.isNaN(issuedAt) ? undefined : issuedAt,
    scope: scopeOf(t),
  };
}

// ISO 8601 with a date and a time but no `Z` or offset: Date.parse would read it in the local zone.
const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Keystone's times in ms since the epoch, NaN when unreadable. Keystone keeps UTC but writes some
 * (application credentials' `expires_at`) without a zone, so a zone-less time is read as UTC,
 * whatever the process's TZ.
 */
export function parseKeystoneTime(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  const s = value.trim().replace(' ', 'T');
  return Date.parse(ZONELESS.test(s) ? `${s}Z` : s);
}

/** One service of a token's catalog: its type (`object-store`) and endpoints. */
export interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region?: string; url: string }>;
}

/** The catalog of a token body (empty when Keystone sent none, `?nocatalog`). */
export function parseCatalog(body: unknown): CatalogEntry[] {
  const raw = (body as { token?: { catalog?: unknown } } | undefined)?.token?.catalog;
  if (!Array.isArray(raw)) return [];
  return raw.filter((s) => s && typeof s.type === 'string').map((s) => ({
    type: s.type as string,
    endpoints: (Array.isArray(s.endpoints) ? s.endpoints : [])
      .filter((e: { url?: unknown }) => e && typeof e.url === 'string')
      .map((e: { interface?: unknown; region_id?: unknown; region?: unknown; url: string }) => ({
        interface: String(e.interface ?? ''), url: e.url,
        region: typeof e.region_id === 'string' ? e.region_id : typeof e.region === 'string' ? e.region : undefined,
      })),
  }));
}

/** The URL of `type`'s endpoint on `iface` (in `region` when given), or undefined when the catalog has none. */
export function endpointOf(catalog: CatalogEntry[], type: string, iface: string, region?: string): string | undefined {
  for (const service of catalog.filter((s) => s.type === type)) {
    const e = service.endpoints.find((x) => x.interface === iface && (!region || x.region === region));
    if (e) return e.url;
  }
  return undefined;
}
