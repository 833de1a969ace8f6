import pino from 'pino';

// The one logger. Secrets never reach it: tokens and passwords are redacted by key wherever
// they appear in a logged object.
const redact = [
  'token', '*.token', 'password', '*.password', 'headers["x-auth-token"]', '*.headers["x-auth-token"]',
  'headers["x-subject-token"]', '*.headers["x-subject-token"]', 'headers.authorization', '*.headers.authorization',
];

/** The root logger; level from FRESCO_LOG_LEVEL (default info, "silent" in tests). */
export const log = pino({
  level: process.env.FRESCO_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  redact: { paths: redact, censor: '***' },
  base: { pid: process.pid },
});

export type Logger = typeof log;
