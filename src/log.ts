import pino from 'pino';

// The one logger. Secrets never reach it: tokens and passwords are redacted by key wherever
// they appear in a logged object.
const redact = [
  'token', '*.token', 'password', '*.password', 'headers["x-auth-token"]', '*.headers["x-auth-token"]',
  'headers["x-subject-token"]', '*.headers["x-subject-token"]', 'headers.authorization', '*.headers.authorization',
];

// HTTP client errors (axios) carry the whole request — headers with tokens, bodies with passwords —
// in enumerable properties that pino's error serializer would copy: keep only what explains it.
const HTTP_ERROR_BAGGAGE = ['config', 'request', 'response', 'options', 'headers'];

/** pino's error serializer without request/response baggage, the HTTP status kept. */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const status = (err as { response?: { status?: number } }).response?.status;
  for (const key of HTTP_ERROR_BAGGAGE) delete out[key];
  if (status !== undefined) out.status = status;
  return out;
}

/** The root logger; level from FRESCO_LOG_LEVEL (default info, "silent" in tests). */
export function createLogger(destination?: pino.DestinationStream): pino.Logger {
  return pino({
    level: process.env.FRESCO_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    redact: { paths: redact, censor: '***' },
    serializers: { err: serializeError },
    base: { pid: process.pid },
  }, destination as pino.DestinationStream);
}

export const log = createLogger();

export type Logger = typeof log;
