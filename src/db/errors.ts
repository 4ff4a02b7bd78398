// Tells "the database is unreachable or restarting" apart from real bugs, so callers can answer
// 503 (try again) instead of 500.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; severity?: string } | undefined;
  if (!e) return false;
  // FATAL ends the session: the server is shutting down, refusing connections to this database, ...
  if (e.severity === 'FATAL' || e.severity === 'PANIC') return true;
  if (e.code && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(e.message ?? '');
}

/** A unique constraint refused the row (SQLSTATE 23505): usually someone else created it first. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null | undefined)?.code === '23505';
}
