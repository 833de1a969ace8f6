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
