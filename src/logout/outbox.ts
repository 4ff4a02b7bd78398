// What the outbox holds, for operators (`yitong outbox list`, later the admin API).
import type { AppContext } from '../context.ts';
import { outboxStore } from './store.ts';
import type { OutboxStatus } from './tables.ts';

type Row = Awaited<ReturnType<typeof outboxStore.list>>[number];

/** One delivery as operators see it. */
export function outboxView(r: Row) {
  return {
    id: r.id,
    event_id: r.event_id,
    reason: r.reason,
    client_id: r.client_id,
    sub: r.sub,
    has_sid: r.sid !== null,
    status: r.status,
    attempts: r.attempts,
    next_attempt_at: r.status === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
    last_status: r.last_status,
    last_error: r.last_error,
    created_at: new Date(r.created_at).toISOString(),
    finished_at: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

/** A page of deliveries, newest first (`clientIds` null: every app's). */
export async function pageOutbox(app: AppContext, filter: { status?: OutboxStatus; clientIds: string[] | null }, before: number | null, limit: number) {
  return (await outboxStore.page(app.db, filter, before, limit)).map(outboxView);
}

export const outboxEntry = async (app: AppContext, id: number) => {
  const r = await outboxStore.byId(app.db, id);
  return r ? outboxView(r) : undefined;
};

/** "Retry now": the delivery is due at once (a failed one gets one more try); audited. */
export async function retryDelivery(app: AppContext, id: number, actor: string): Promise<boolean> {
  const ok = await outboxStore.retryNow(app.db, id);
  if (ok) await app.audit.append({ event: 'logout.retry', outcome: 'success', actor, detail: { outbox_id: id } });
  return ok;
}

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
