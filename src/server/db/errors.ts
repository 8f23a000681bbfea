/** Recognising database errors a caller can cause, on both engines (pg and PGlite carry the same fields). */
type DatabaseErrorLike = { code?: unknown; constraint?: unknown };

/** The name of the unique constraint or index `error` violated, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  const e = error as DatabaseErrorLike | null;
  if (e && e.code === '23505') return typeof e.constraint === 'string' ? e.constraint : '';
  return undefined;
}
