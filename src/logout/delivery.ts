// Delivers the logout outbox. Every node runs it; a row is claimed with a lease, so one node
// delivers it, and another takes over if that node dies mid-delivery. A connection error, timeout,
// 5xx or 429 is retried with exponential backoff and jitter for `retryHours` (24 h by default);
// another 4xx is final. Every attempt is an audit record.
import type { AppContext } from '../context.ts';
import { loadJwks, signingKeysVersion } from '../oidc/keys.ts';
import { backchannelTargets } from '../clients/backchannel.ts';
import { logger } from '../log.ts';
import { outboxStore, type OutboxRow } from './store.ts';
import { logoutToken, signingKeys, type SigningKeys } from './token.ts';
import { outboxAttempts } from './metrics.ts';

/** oidc-provider's own timeout for outgoing requests. */
const HTTP_TIMEOUT_MS = 2500;
const BATCH = 20;

export interface DeliveryOptions {
  /** first retry delay; doubles per attempt up to an hour */
  retryBaseMs: number;
  retryHours: number;
  leaseSeconds: number;
}

/** When to try again after `attempts` failed tries, or null once the retry period is over. */
export function nextAttempt(row: Pick<OutboxRow, 'attempts' | 'created_at'>, opts: DeliveryOptions, now = Date.now()): Date | null {
  const delay = Math.min(opts.retryBaseMs * 2 ** Math.max(0, row.attempts - 1), 3_600_000);
  const at = now + delay * (0.8 + Math.random() * 0.4);
  return at - row.created_at.getTime() > opts.retryHours * 3_600_000 ? null : new Date(at);
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string; final: boolean };

async function post(uri: string, token: string): Promise<Outcome> {
  try {
    const res = await fetch(uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status === 200 || res.status === 204) return { ok: true, status: res.status };
    const retry = res.status >= 500 || res.status === 429 || res.status === 408;
    return { ok: false, status: res.status, error: `HTTP ${res.status}`, final: !retry };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, status: null, error: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message), final: false };
  }
}

export function createDelivery(app: AppContext, opts: DeliveryOptions) {
  let keys: { version: string; keys: SigningKeys } | undefined;
  const currentKeys = async () => {
    const version = await signingKeysVersion(app);
    if (keys?.version !== version) keys = { version, keys: await signingKeys(await loadJwks(app)) };
    return keys.keys;
  };

  async function deliver(row: OutboxRow, target: { uri: string; alg: string } | undefined, keyset: SigningKeys): Promise<void> {
    const outcome: Outcome = target
      ? await post(target.uri, await logoutToken(keyset, { issuer: app.config.issuer, clientId: row.client_id, alg: target.alg, sub: row.sub, sid: row.sid }))
      : { ok: false, status: null, error: 'the app no longer has a back-channel logout URI', final: true };
    const retryAt = outcome.ok || outcome.final ? null : nextAttempt(row, opts);
    if (outcome.ok) await outboxStore.delivered(app.db, row.id, outcome.status);
    else await outboxStore.failed(app.db, row.id, outcome.status, outcome.error, retryAt);
    const state = outcome.ok ? 'delivered' : retryAt ? 'retry' : 'failed';
    outboxAttempts.inc({ outcome: state });
    if (!outcome.ok && !retryAt) logger.warn({ client: row.client_id, attempts: row.attempts, error: outcome.error }, 'back-channel logout given up');
    await app.audit.append({
      event: 'logout.backchannel',
      outcome: outcome.ok ? 'success' : 'failure',
      actor: row.sub,
      clientId: row.client_id,
      detail: {
        reason: row.reason,
        event_id: row.event_id,
        attempt: row.attempts,
        status: outcome.status,
        state,
        ...(outcome.ok ? {} : { error: outcome.error }),
        ...(retryAt ? { next_attempt_at: retryAt.toISOString() } : {}),
      },
    });
  }

  /** Claims and delivers due rows until none is left; returns how many attempts were made. */
  return async function deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await outboxStore.claimDue(app.db, BATCH, opts.leaseSeconds);
      if (!rows.length) return total;
      const [keyset, targets] = await Promise.all([currentKeys(), backchannelTargets(app.db, rows.map((r) => r.client_id))]);
      await Promise.all(rows.map((r) => deliver(r, targets.get(r.client_id), keyset)));
      total += rows.length;
    }
  };
}
