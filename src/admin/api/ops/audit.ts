// The audit log (read, exported and verified by audit administrators only: nobody else reads it in
// bulk), the logout outbox (deliveries and retry), and /me. Every call is itself audited.
import { z } from 'zod';
import type { AuditRecord } from '../../../audit/service.ts';
import { pageOutbox, outboxEntry, retryDelivery } from '../../../logout/outbox.ts';
import { clientStore } from '../../../clients/store.ts';
import { AdminError, notFound, op, type CsvAnswer } from '../op.ts';
import { Cursor, DateParam, decodeCursor, Limit, nextCursor, page, Timestamp } from '../schemas.ts';
import { ROLES } from '../../roles.ts';
import { AUDIT_EVENTS } from '../../../audit/events.ts';

const AuditView = z
  .object({
    seq: z.int(),
    at: Timestamp,
    event: z.string(),
    outcome: z.string(),
    actor: z.string().nullable(),
    client_id: z.string().nullable(),
    ip: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });

const auditView = (r: AuditRecord) => ({ seq: r.seq, at: r.at.toISOString(), event: r.event, outcome: r.outcome, actor: r.actor, client_id: r.clientId, ip: r.ip, detail: r.detail, hash: r.hash });

const filters = {
  event: z.enum(AUDIT_EVENTS).optional(),
  outcome: z.enum(['success', 'failure', 'denied', 'info']).optional(),
  actor: z.string().max(256).optional(),
  target: z.string().min(1).max(256).optional().describe('what the record is about: a person (sub), an org (USCC) or a client (client_id)'),
  since: DateParam.optional().describe('from (inclusive): YYYY-MM-DD (China Standard Time) or an RFC 3339 date-time'),
  until: DateParam.optional().describe('until (exclusive)'),
};

/** At most this many records per CSV export (narrow the filter for more). */
export const EXPORT_MAX = 100_000;
const CSV_HEADER = ['seq', 'at', 'event', 'outcome', 'actor', 'client_id', 'ip', 'detail', 'hash'];

const OutboxView = z
  .object({
    id: z.int(),
    event_id: z.string(),
    reason: z.string(),
    client_id: z.string(),
    sub: z.string(),
    has_sid: z.boolean(),
    status: z.string(),
    attempts: z.int(),
    next_attempt_at: Timestamp.nullable(),
    last_status: z.int().nullable(),
    last_error: z.string().nullable(),
    created_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .meta({ id: 'Delivery' });

/** The apps whose deliveries the caller sees: every app's (null), or its departments' apps. */
const visibleClients = async (c: Parameters<Parameters<typeof op>[0]['run']>[0]) => (c.access.all ? null : clientStore.idsOfDepartments(c.app.db, c.access.departments));

export const auditOps = [
  op({
    id: 'audit.list',
    method: 'get',
    path: '/audit',
    tag: 'audit',
    summary: 'Audit records, newest first',
    roles: ['audit'],
    query: z.strictObject({ ...filters, limit: Limit, cursor: Cursor }),
    response: page(AuditView),
    async run(c, { query }) {
      const before = decodeCursor(query.cursor, z.int().positive());
      const rows = await c.app.audit.list({ event: query.event, outcome: query.outcome, actor: query.actor, target: query.target, since: query.since, until: query.until, limit: query.limit, beforeSeq: before ?? undefined });
      return { items: rows.map(auditView), next_cursor: nextCursor(rows, query.limit, (r) => r.seq) };
    },
  }),

  op({
    id: 'audit.export',
    method: 'get',
    path: '/audit/export.csv',
    tag: 'audit',
    summary: `Audit records as CSV (UTF-8 with BOM), newest first, at most ${EXPORT_MAX}`,
    roles: ['audit'],
    query: z.strictObject(filters),
    response: AuditView,
    csv: true,
    async run(c, { query }): Promise<CsvAnswer> {
      const app = c.app;
      async function* rows() {
        let before: number | undefined;
        for (let sent = 0; sent < EXPORT_MAX; ) {
          const batch = await app.audit.list({ ...query, limit: Math.min(1000, EXPORT_MAX - sent), beforeSeq: before });
          for (const r of batch) yield [String(r.seq), r.at.toISOString(), r.event, r.outcome, r.actor ?? '', r.clientId ?? '', r.ip ?? '', JSON.stringify(r.detail), r.hash];
          sent += batch.length;
          if (batch.length < 1000) return;
          before = batch[batch.length - 1].seq;
        }
      }
      return { csv: true, filename: `yitong-audit-${new Date().toISOString().slice(0, 10)}.csv`, header: CSV_HEADER, rows: rows() };
    },
  }),

  op({
    id: 'audit.verify',
    method: 'get',
    path: '/audit/verify',
    tag: 'audit',
    summary: 'Verify the audit chain (hashes, gaps, head)',
    roles: ['audit'],
    response: z.object({
      ok: z.boolean(),
      records: z.int(),
      first_bad: z.object({ seq: z.int(), reason: z.string() }).nullable(),
    }),
    async run(c) {
      const r = await c.app.audit.verify();
      return { ok: r.ok, records: r.records, first_bad: r.ok ? null : r.firstBad };
    },
  }),

  op({
    id: 'outbox.list',
    method: 'get',
    path: '/outbox',
    tag: 'outbox',
    summary: 'Back-channel logout deliveries, newest first (a department administrator sees its apps’)',
    roles: ['system', 'security', 'department'],
    query: z.strictObject({ status: z.enum(['pending', 'failed', 'delivered']).optional(), limit: Limit, cursor: Cursor }),
    response: page(OutboxView),
    async run(c, { query }) {
      const before = decodeCursor(query.cursor, z.int().positive());
      const rows = await pageOutbox(c.app, { status: query.status, clientIds: await visibleClients(c) }, before, query.limit);
      return { items: rows, next_cursor: nextCursor(rows, query.limit, (r) => r.id) };
    },
  }),

  op({
    id: 'outbox.retry',
    method: 'post',
    path: '/outbox/{delivery_id}/retry',
    tag: 'outbox',
    summary: 'Retry a pending or failed delivery now (a failed one gets one more attempt)',
    roles: ['system', 'security', 'department'],
    params: z.strictObject({ delivery_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
    response: OutboxView,
    errors: [404, 409],
    async run(c, { params }) {
      c.target = { type: 'delivery', id: String(params.delivery_id) };
      const entry = await outboxEntry(c.app, params.delivery_id);
      const clients = await visibleClients(c);
      if (!entry || (clients && !clients.includes(entry.client_id))) throw notFound();
      if (!(await retryDelivery(c.app, params.delivery_id, c.principal.actor))) throw new AdminError('admin.delivery_done', 'conflict');
      return (await outboxEntry(c.app, params.delivery_id))!;
    },
  }),

  op({
    id: 'me.get',
    method: 'get',
    path: '/me',
    tag: 'me',
    summary: 'Who is calling, with which roles',
    roles: ROLES,
    response: z.object({
      actor: z.string(),
      kind: z.enum(['person', 'client']),
      client_id: z.string(),
      roles: z.array(z.object({ role: z.string(), department: z.string().nullable() })),
    }),
    run: async (c) => ({ actor: c.principal.actor, kind: c.principal.kind, client_id: c.principal.clientId, roles: c.principal.grants }),
  }),
];
