// PostgreSQL error codes the stores turn into domain errors.

/** True when `err` is a unique-constraint violation, optionally on the named constraint/index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || Boolean(e.message?.includes(constraint));
}

/** True when `err` is a foreign-key or RESTRICT violation (a referenced row is missing or still referenced). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '23503' || code === '23001';
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03']);

/** True when `err` says the database cannot be reached right now (down, restarting, pool exhausted). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string };
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return e.name === 'KnexTimeoutError'
    || /Connection terminated|Connection ended unexpectedly|the database system is (starting up|shutting down)/.test(e.message ?? '');
}
