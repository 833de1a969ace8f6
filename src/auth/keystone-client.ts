import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { log } from '../log';
import { withDeadline } from '../timing';
import type { ResolvedKeystoneOptions } from './keystone-options';
import { CatalogEntry, KeystoneUnavailableError, parseCatalog, parseTokenBody, TokenInfo, TokenInvalidError } from './keystone-token';

// Talks to Keystone v3 for the auth middleware: Fresco's own service token (password auth,
// renewed before it expires) and validation of user tokens with it. The same client, built with
// `catalog`, is the identity that keeps code packages in Swift ([swift]): its token's catalog
// names the object-store endpoint. Never logs a token: axios
// errors carry request headers, so only their code and status are logged.

interface ServiceToken { token: string; expiresAt: number; issuedAt: number; projectId?: string; catalog: CatalogEntry[] }

/** A service token with what it was scoped to and, for a client built with `catalog`, its service catalog. */
export interface ServiceSession { token: string; projectId: string; catalog: CatalogEntry[] }

/** Keystone HTTP requests made so far (every attempt, whatever its outcome); tests assert caching with it. */
export interface KeystoneCallCounts { issue: number; validate: number }

/** Renew when less than this share of the token's life, or RENEW_MIN_MS, remains (keystoneauth uses 120 s). */
const RENEW_SHARE = 0.1;
const RENEW_MIN_MS = 60_000;

/** Keystone v3 client: validate(userToken) → TokenInfo; throws TokenInvalidError or KeystoneUnavailableError. */
export class KeystoneClient {
  /** Requests sent to Keystone, by kind. */
  readonly calls: KeystoneCallCounts = { issue: 0, validate: 0 };

  private readonly http: AxiosInstance;
  private service?: ServiceToken;
  private pendingService?: Promise<ServiceToken>;

  /** `now` (ms) is injectable so tests can move time past renewals and expiries; `catalog` asks for
   *  the service catalog with the service token (serviceSession), which token validation never needs. */
  constructor(private readonly opts: ResolvedKeystoneOptions, private readonly now: () => number = Date.now,
    private readonly extra: { catalog?: boolean; userAgent?: string; section?: string } = {}) {
    // Loaded here, not at import: a Fresco without Keystone (noauth) never pays axios's memory.
    const axios = (require('axios') as typeof import('axios')).default;
    this.http = axios.create({
      baseURL: opts.authUrl, timeout: opts.timeoutMs, maxRedirects: 0, validateStatus: () => true,
      headers: { Accept: 'application/json', 'User-Agent': extra.userAgent ?? 'fresco-keystone-auth' },
    });
  }

  /** Validates `userToken` within timeoutMs; throws TokenInvalidError (401 for the caller) or KeystoneUnavailableError. */
  validate(userToken: string): Promise<TokenInfo> {
    const ms = this.opts.timeoutMs;
    return withDeadline(this.validateOnce(userToken), ms,
      () => new KeystoneUnavailableError(`Keystone token validation took longer than ${ms} ms`));
  }

  /** The Keystone URL clients are sent to (`[keystone_authtoken] www_authenticate_uri`, default auth_url). */
  get wwwAuthenticateUri(): string {
    return this.opts.wwwAuthenticateUri;
  }

  /**
   * Forwards a user's own POST /v3/auth/tokens body (the console's login, which a browser cannot
   * send to a Keystone without CORS headers) and returns Keystone's answer as it is: status, the
   * issued token (X-Subject-Token) and the token body. Adds no credential of Fresco's; never logs
   * the body. Throws KeystoneUnavailableError when Keystone does not answer within timeoutMs.
   */
  async login(body: unknown): Promise<{ status: number; token?: string; body: unknown }> {
    const res = await this.send({ method: 'POST', url: '/auth/tokens?nocatalog', data: body });
    const token = res.headers['x-subject-token'];
    return { status: res.status, token: typeof token === 'string' ? token : undefined, body: res.data };
  }

  /** Fresco's current service token, acquiring or renewing it first when needed. */
  async serviceToken(): Promise<string> {
    return (await this.current()).token;
  }

  /** The current service token, its project and (built with `catalog`) its catalog; throws KeystoneUnavailableError. */
  async serviceSession(): Promise<ServiceSession> {
    const t = await this.current();
    return { token: t.token, projectId: t.projectId ?? '', catalog: t.catalog };
  }

  /** Drops `token` when it is still the current service token (another service answered 401 to it). */
  forgetServiceToken(token: string): void {
    if (this.service?.token === token) this.service = undefined;
  }

  private async current(): Promise<ServiceToken> {
    const current = this.service;
    if (current && !this.needsRenewal(current)) return current;
    this.pendingService ??= this.issue().finally(() => { this.pendingService = undefined; });
    try {
      this.service = await this.pendingService;
    } catch (err) {
      // A renewal that fails while the old token still lives is not worth failing a request for.
      if (current && current.expiresAt > this.now()) return current;
      throw err;
    }
    return this.service;
  }

  private needsRenewal(t: ServiceToken): boolean {
    const left = t.expiresAt - this.now();
    return left < Math.max(RENEW_MIN_MS, (t.expiresAt - t.issuedAt) * RENEW_SHARE);
  }

  private async validateOnce(userToken: string): Promise<TokenInfo> {
    let serviceToken = await this.serviceToken();
    let res = await this.check(userToken, serviceToken);
    if (res.status === 401) {
      // Keystone no longer accepts our token (revoked, keys rotated, restarted): re-authenticate once.
      this.forgetServiceToken(serviceToken);
      serviceToken = await this.serviceToken();
      res = await this.check(userToken, serviceToken);
    }
    return this.interpret(res);
  }

  private check(userToken: string, serviceToken: string): Promise<AxiosResponse> {
    this.calls.validate++;
    return this.send({
      method: 'GET', url: '/auth/tokens?nocatalog',
      headers: { 'X-Auth-Token': serviceToken, 'X-Subject-Token': userToken },
    });
  }

  private interpret(res: AxiosResponse): TokenInfo {
    if (res.status === 200) return parseTokenBody(res.data);
    // 401 after a fresh service token can only be about the subject (keystonemiddleware: NotFound → invalid).
    if (res.status === 404 || res.status === 401) {
      throw new TokenInvalidError('The token is invalid, expired or revoked');
    }
    if (res.status === 403) {
      log.error({ status: 403, user: this.opts.username },
        'Keystone refuses to let Fresco validate tokens: give the service user the service or admin role');
    } else {
      log.warn({ status: res.status }, 'Keystone answered a token validation with an unexpected status');
    }
    throw new KeystoneUnavailableError(`Keystone answered the token validation with HTTP ${res.status}`);
  }

  private async issue(): Promise<ServiceToken> {
    this.calls.issue++;
    const o = this.opts;
    const res = await this.send({
      method: 'POST', url: this.extra.catalog ? '/auth/tokens' : '/auth/tokens?nocatalog',
      data: { auth: {
        identity: { methods: ['password'],
          password: { user: { name: o.username, domain: { name: o.userDomainName }, password: o.password } } },
        scope: { project: { name: o.projectName, domain: { name: o.projectDomainName } } },
      } },
    });
    const token = res.headers['x-subject-token'];
    if ((res.status !== 201 && res.status !== 200) || typeof token !== 'string') {
      log.error({ status: res.status, user: o.username, project: o.projectName },
        `Keystone refused Fresco's service credentials; check [${this.extra.section ?? 'keystone_authtoken'}]`);
      throw new KeystoneUnavailableError(`Keystone refused Fresco's service user (HTTP ${res.status})`);
    }
    const info = parseTokenBody(res.data);
    return {
      token, expiresAt: info.expiresAt, issuedAt: info.issuedAt ?? this.now(), projectId: info.projectId,
      catalog: this.extra.catalog ? parseCatalog(res.data) : [],
    };
  }

  /** One request with a hard deadline; network failures become KeystoneUnavailableError. */
  private async send(req: AxiosRequestConfig): Promise<AxiosResponse> {
    try {
      return await this.http.request({ ...req, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      log.warn({ code, url: this.opts.authUrl }, 'Keystone did not answer');
      throw new KeystoneUnavailableError(`Keystone at ${this.opts.authUrl} did not answer (${code})`);
    }
  }
}
