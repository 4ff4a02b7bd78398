// Schemas shared by the admin operations: identifiers, pagination, errors, dates. Each is a zod
// schema that validates requests (or shapes responses) and becomes JSON Schema in the OpenAPI
// document.
import { z } from 'zod';
import { AdminError } from './op.ts';

export const Sub = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/).describe('a person’s stable opaque id (the OIDC sub)');
export const ClientId = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/);
export const DepartmentCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
export const Uuid = z.uuid();
export const Uscc = z.string().regex(/^[0-9A-Za-z]{18}$/).describe('unified social credit code');
export const SessionId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).describe('the session’s stable uid (never its cookie value)');
export const Timestamp = z.string().describe('RFC 3339 date-time');

export const Limit = z.coerce.number().int().min(1).max(200).default(50).describe('page size');
export const Cursor = z.string().max(512).regex(/^[A-Za-z0-9_-]*$/).optional().describe('next_cursor of the previous page');

/** A page of items with the cursor of the next page (null on the last page). */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const ErrorBody = z
  .object({
    error: z.string().describe('stable error code (doubles as the message key)'),
    message: z.string().describe('the message in the language asked for (?lang= or Accept-Language; zh-CN by default)'),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

/** A date (YYYY-MM-DD, China Standard Time midnight) or an RFC 3339 date-time. */
export const DateParam = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00+08:00` : v));

export const Ended = z.object({
  sessions_ended: z.int(),
  grants_revoked: z.int(),
  logouts_queued: z.int().describe('back-channel logouts queued for the apps (see /outbox)'),
});
export const endedOf = (e: { sessions: number; grants: number; queued: number }) => ({ sessions_ended: e.sessions, grants_revoked: e.grants, logouts_queued: e.queued });

export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** The cursor's keyset, or a 400 for a cursor this API did not make. */
export function decodeCursor<T extends z.ZodType>(raw: string | undefined, shape: T): z.output<T> | null {
  if (!raw) return null;
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString()));
    if (parsed.success) return parsed.data;
  } catch {}
  throw new AdminError('admin.invalid_request', 'invalid_input', [{ path: 'cursor', message: 'not a cursor of this list' }]);
}

/** The next page's cursor: the last item's keyset when the page is full. */
export function nextCursor<R>(rows: R[], limit: number, key: (last: R) => unknown): string | null {
  return rows.length === limit ? encodeCursor(key(rows[rows.length - 1])) : null;
}

export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
