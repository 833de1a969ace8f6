import Router from '@koa/router';
import type { FrescoState } from '../context';
import type { Metrics } from '../metrics';

// Unauthenticated endpoints: the version document, health and metrics.

export interface MetaDeps {
  publicUrl: string;
  version: string;
  metrics: Metrics;
  /** Resolves when the database answers; throws otherwise. */
  checkHealth: () => Promise<void>;
}

/** How callers authenticate, as the version document tells clients (the console's login uses it). */
export interface AuthInfo {
  strategy: 'keystone' | 'noauth';
  /** Keystone's URL for clients, as in the 401 answers' `WWW-Authenticate: Keystone uri=...`. */
  www_authenticate_uri?: string;
}

/** GET /, GET /healthcheck, GET /metrics. */
export function metaRoutes(router: Router<FrescoState>, deps: MetaDeps & { auth: AuthInfo }): void {
  router.get('/', (ctx) => {
    ctx.body = {
      versions: [{
        id: 'v1', status: 'CURRENT', updated: '2026-11-28T00:00:00Z',
        links: [{ rel: 'self', href: `${deps.publicUrl}/v1/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.functions-v1+json' }],
      }],
      name: 'fresco',
      version: deps.version,
      auth: deps.auth,
    };
  });
  router.get('/healthcheck', async (ctx) => {
    try {
      await deps.checkHealth();
      ctx.body = { status: 'ok' };
    } catch (err) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: (err as Error).message };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
