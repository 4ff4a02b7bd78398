// What the outbox holds, for operators (`yitong outbox list`, later the admin API).
import type { AppContext } from '../context.ts';
import { outboxStore } from './store.ts';
import type { OutboxStatus } from './tables.ts';

export async function listOutbox(app: AppContext, opts: { status?: OutboxStatus; limit: number }) {
  const rows = await outboxStore.list(app.db, { status: opts.status, limit: Math.min(opts.limit, 1000) });
  return rows.map((r) => ({
    id: r.id,
    event_id: r.event_id,
    reason: r.reason,
    client_id: r.client_id,
    sub: r.sub,
    has_sid: r.sid !== null,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    last_status: r.last_status,
    last_error: r.last_error,
    created_at: r.created_at.toISOString(),
    finished_at: r.finished_at?.toISOString() ?? null,
  }));
}
