// "安全记录": the person's own recent security events, read from the audit log by actor (the
// person's sub; an index serves it). Nobody else's records: only rows whose actor is this person.
import type { AppContext } from '../context.ts';
import type { AuditRecord } from '../audit/service.ts';
import type { AuditEventName } from '../audit/events.ts';
import { clientStore } from '../clients/store.ts';
import { maskNetwork } from './devices.ts';

/** What a person is shown of their own records (protocol noise such as token issuance is left out). */
export const ACTIVITY_EVENTS = [
  'login.success',
  'login.failure',
  'login.lockout',
  'logout.success',
  'password.change',
  'password.upgrade',
  'password.reset',
  'email.change',
  'phone.change',
  'email.change.code',
  'session.end',
  'grant.revoke',
  'consent.grant',
  'account.export',
  'account.cancel.request',
  'account.cancel.withdraw',
  'mfa.verify',
  'mfa.recovery.use',
  'mfa.recovery.generate',
  'mfa.totp.enrol',
  'mfa.totp.disable',
  'mfa.passkey.register',
  'mfa.passkey.remove',
  'mfa.sms.enable',
  'mfa.sms.disable',
] as const satisfies readonly AuditEventName[];

export interface ActivityView {
  at: Date;
  event: string;
  outcome: string;
  /** why sessions ended, for session.end */
  reason: string | null;
  app: string | null;
  network: { kind: string; masked: string } | null;
}

export async function listActivity(app: AppContext, sub: string, limit = 50): Promise<ActivityView[]> {
  const records = await app.audit.list({ actor: sub, events: ACTIVITY_EVENTS, limit });
  return viewsOf(app, records);
}

export async function viewsOf(app: AppContext, records: AuditRecord[]): Promise<ActivityView[]> {
  const names = new Map((await clientStore.byIds(app.db, [...new Set(records.map((r) => r.clientId).filter((c): c is string => Boolean(c)))])).map((c) => [c.client_id, c.name]));
  return records.map((r) => ({
    at: r.at,
    event: r.event,
    outcome: r.outcome,
    reason: typeof r.detail.reason === 'string' ? r.detail.reason : null,
    app: r.clientId ? (names.get(r.clientId) ?? r.clientId) : null,
    network: maskNetwork(r.ip),
  }));
}
