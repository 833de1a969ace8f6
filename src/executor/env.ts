// The function contract's environment (docs/function-contract.md): route-level names, per-call names, headers,
// then config (route wins: the resolver already merged app then route config). Order matters
// because a later entry wins both in Docker's Env and in the launcher's header.
import type { ExecutorCall, RunnableRoute } from '../domain/executor';

/** NAME for a header or config key: upper case, '-' → '_'. */
export function envName(key: string): string {
  return key.toUpperCase().replace(/-/g, '_');
}

/** Variables that are the same for every call of the route (hot containers get only these). */
export function routeEnv(route: RunnableRoute): string[] {
  return [
    `APP_NAME=${route.appName}`,
    `ROUTE=${route.path}`,
    `FORMAT=${route.format}`,
    `MEMORY_MB=${route.memory}`,
    // A code route's runtime learns what to call and how (docs/runtimes.md).
    ...(route.code ? [`FRESCO_ENTRY=${route.code.entry}`, `FRESCO_CALLING=${route.code.calling}`] : []),
  ];
}

/** Config entries as KEY=value, keys normalised. */
export function configEnv(route: RunnableRoute): string[] {
  return Object.entries(route.config).map(([k, v]) => `${envName(k)}=${v}`);
}

/** The whole environment of one default-format call, in contract order. */
export function callEnv(req: ExecutorCall): string[] {
  const env = routeEnv(req.route);
  env.push(`METHOD=${req.method}`, `REQUEST_URL=${req.url}`, `CALL_ID=${req.id}`);
  if (req.attempt !== undefined) env.push(`FRESCO_ATTEMPT=${req.attempt}`);
  for (const [name, value] of Object.entries(req.headers)) {
    env.push(`HEADER_${envName(name)}=${Array.isArray(value) ? value.join(' ') : value}`);
  }
  // A NUL cannot travel in an environment; such an entry is dropped rather than truncated.
  return env.concat(configEnv(req.route)).filter((e) => !e.includes('\0'));
}

/** The launcher's stdin header for `env`: 8 hex digits of length, then NAME=value\0 entries. */
export function launcherHeader(env: string[]): Buffer {
  const payload = Buffer.from(env.join('\0') + '\0', 'utf8');
  const head = Buffer.from(payload.length.toString(16).padStart(8, '0'), 'latin1');
  return Buffer.concat([head, payload]);
}
