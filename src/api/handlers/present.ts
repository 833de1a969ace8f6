import type { App, Route } from '../../domain/models';
import { DEFAULT_PRIORITY } from '../../domain/priority';
import { DEFAULT_RETRY, type RetryPolicy } from '../../domain/retry';

// Domain objects as the Picasso v1 wire shows them (snake_case, ISO 8601 UTC times).

/** The App of docs/api.md (Apps). */
export function presentApp(app: App) {
  return {
    id: app.id, name: app.name, description: app.description, config: app.config, project_id: app.projectId,
    created_at: app.createdAt.toISOString(), updated_at: app.updatedAt.toISOString(),
  };
}

/** A route's retry policy as the wire shows it (docs/api.md, "Retries"). */
function retryFields(p: RetryPolicy) {
  return { retries: p.retries, retry_delay: p.delay, retry_backoff: p.backoff, retry_max_delay: p.maxDelay, retry_on: p.on };
}

/** The Route of docs/api.md (Routes). */
export function presentRoute(r: Route) {
  return {
    id: r.id, app_name: r.appName, project_id: r.projectId, path: r.path, image: r.image, type: r.type,
    format: r.format, memory: r.memory, timeout: r.timeout, idle_timeout: r.idleTimeout,
    max_concurrency: r.maxConcurrency, headers: r.headers, config: r.config, is_public: r.isPublic, min_hot: r.minHot ?? 0, priority: r.priority ?? DEFAULT_PRIORITY,
    keep_input: r.keepInput ?? false,
    // A function from code (docs/runtimes.md); image routes show none of these.
    ...(r.runtime ? {
      runtime: r.runtime, entry: r.entry ?? '', calling: r.calling ?? 'lambda',
      code: { digest: r.codeDigest ?? '', file: r.codeFile ?? null },
    } : {}),
    ...retryFields(r.retry ?? DEFAULT_RETRY),
    on_success: r.onSuccess ?? null, on_failure: r.onFailure ?? null,
    created_at: r.createdAt.toISOString(), updated_at: r.updatedAt.toISOString(),
  };
}
