// Fresco's requests to Swift (docs/runtimes.md, "Where packages are kept"): as its own identity
// (the [swift] Keystone user, whose token and catalog the shared KeystoneClient keeps, renewed
// before expiry and once more on a 401) into that identity's account, or as a user with the user's
// own token into the user's project's account. Accounts are <proxy>/v1/<reseller_prefix><project>,
// the proxy taken from the catalog's object-store endpoint (as Ceilometer's Swift pollster does).
// Tokens are sent, never logged: only methods, paths and statuses are.
import type { ServiceSession } from '../auth/keystone-client';
import { endpointOf } from '../auth/keystone-token';
import { packageStoreUnavailable } from '../errors';
import { log } from '../log';

/** Where Swift is and how long a request may take ([swift]). */
export interface SwiftOptions {
  /** Catalog interface of the object-store endpoint (public, internal, admin). */
  interface: string;
  region?: string;
  /** Proxy URL used instead of the catalog's. */
  endpointOverride?: string;
  /** Default AUTH_. */
  resellerPrefix: string;
  timeoutMs: number;
}

/** The identity Fresco keeps packages as (a KeystoneClient built with its catalog). */
export interface SwiftIdentity {
  serviceSession(): Promise<ServiceSession>;
  forgetServiceToken(token: string): void;
}

/** A request's extras: headers (not the token) and a body. */
export interface SwiftRequest {
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Swift's proxy URL without the account: everything before /v1/ of an endpoint. */
export function proxyOf(endpoint: string): string {
  const at = endpoint.indexOf('/v1/');
  return (at >= 0 ? endpoint.slice(0, at) : endpoint).replace(/\/+$/, '');
}

/** `name` as one path segment of a Swift URL. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}

/** Talks to Swift; every failure to get an answer is FRESCO_PACKAGE_STORE_UNAVAILABLE (503). */
export class SwiftClient {
  constructor(private readonly identity: SwiftIdentity, private readonly opts: SwiftOptions) {}

  /** `method` on `path` (e.g. `/container/object`) of the identity's own account; re-authenticates once on a 401. */
  async service(method: string, path: string, req: SwiftRequest = {}): Promise<Response> {
    let session = await this.session();
    let res = await this.send(method, `${this.accountOf(session)}${path}`, session.token, req);
    if (res.status === 401) {
      // Keystone revoked or rotated the token before its expiry: a new one, once.
      this.identity.forgetServiceToken(session.token);
      session = await this.session();
      res = await this.send(method, `${this.accountOf(session)}${path}`, session.token, req);
    }
    return res;
  }

  /** `method` on `path` of `projectId`'s account with the user's own `token` (Swift decides what it may do). */
  async asUser(token: string, projectId: string, method: string, path: string, req: SwiftRequest = {}): Promise<Response> {
    const proxy = this.opts.endpointOverride ? proxyOf(this.opts.endpointOverride) : proxyOf(this.catalogUrl(await this.session()));
    return this.send(method, `${proxy}/v1/${this.opts.resellerPrefix}${projectId}${path}`, token, req);
  }

  /** The identity's account URL (the catalog's endpoint, or the override's proxy with its project). */
  private accountOf(session: ServiceSession): string {
    if (this.opts.endpointOverride) return `${proxyOf(this.opts.endpointOverride)}/v1/${this.opts.resellerPrefix}${session.projectId}`;
    return this.catalogUrl(session).replace(/\/+$/, '');
  }

  private catalogUrl(session: ServiceSession): string {
    const url = endpointOf(session.catalog, 'object-store', this.opts.interface, this.opts.region);
    if (!url) {
      throw packageStoreUnavailable(`the Keystone catalog has no ${this.opts.interface} object-store endpoint`
        + `${this.opts.region ? ` in region ${this.opts.region}` : ''} ([swift] interface, region_name, endpoint_override)`);
    }
    return url;
  }

  private async session(): Promise<ServiceSession> {
    try {
      return await this.identity.serviceSession();
    } catch (err) {
      throw packageStoreUnavailable(`Keystone gave no token for the [swift] identity (${(err as Error).message})`);
    }
  }

  private async send(method: string, url: string, token: string, req: SwiftRequest): Promise<Response> {
    try {
      return await fetch(url, {
        method, headers: { ...req.headers, 'X-Auth-Token': token }, body: req.body as unknown as BodyInit | undefined, redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      const where = new URL(url).origin;
      log.warn({ method, swift: where, cause }, 'Swift did not answer');
      throw packageStoreUnavailable(`Swift at ${where} did not answer ${method} (${cause})`);
    }
  }
}

/** Frees a response's connection when its body is not read. */
export async function drain(res: Response): Promise<void> {
  if (!res.bodyUsed) await res.body?.cancel().catch(() => undefined);
}
