// "下载个人信息" (PIPL art. 45): what Yitong holds about the person, as one JSON document: the
// profile in full (it is their own), sign-in sessions, apps granted, organisations, links to
// departmental accounts, second factors (never their secrets), the cancellation request, and their own
// security events. Audited.
import type { AppContext } from '../context.ts';
import { payloadStore } from '../oidc/payload-store.ts';
import { legacyAccountStore } from '../legacy/account-store.ts';
import { entityOptions } from '../orgs/entity-options.ts';
import { personStore } from '../accounts/store.ts';
import type { SignedIn } from '../selfservice/portal.ts';
import { listApps } from './apps.ts';
import { listSessions } from './sessions.ts';
import { ACTIVITY_EVENTS } from './activity.ts';
import { cancellationStore } from './store.ts';
import { passkeyStore, recoveryStore, totpStore } from '../mfa/store.ts';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export async function exportPersonalData(app: AppContext, s: SignedIn, ip: string): Promise<Record<string, unknown>> {
  const p = s.person;
  const [row, sessions, apps, orgs, links, cancellation, records, totp, passkeys, recoveryLeft] = await Promise.all([
    personStore.byId(app.db, p.id),
    listSessions(app, s),
    listApps(app, s),
    entityOptions(app, p.id),
    legacyAccountStore.linksOf(app.db, p.id),
    cancellationStore.pendingFor(app.db, p.id),
    app.audit.list({ actor: p.sub, events: ACTIVITY_EVENTS, limit: 1000 }),
    totpStore.byPerson(app.db, p.id),
    passkeyStore.byPerson(app.db, p.id),
    recoveryStore.remaining(app.db, p.id),
  ]);
  const doc = {
    format: 'yitong-personal-data/1',
    exported_at: new Date().toISOString(),
    issuer: app.config.issuer,
    person: {
      sub: p.sub,
      id_type: p.idType,
      id_number: p.idNumber,
      name: p.name,
      gender: p.gender,
      birthdate: p.birthdate,
      phone_number: p.phone,
      phone_number_verified: p.phoneVerified,
      email: p.email,
      email_verified: p.emailVerified,
      real_name_level: p.realNameLevel,
      status: p.status,
      created_at: iso(row?.created_at),
      password_changed_at: iso(row?.password_changed_at),
    },
    sessions: sessions.map((x) => ({
      current: x.current,
      browser: x.device.browser,
      os: x.device.os,
      network: x.network?.masked ?? null,
      signed_in_at: iso(x.signedInAt),
      last_seen_at: iso(x.lastSeenAt),
      apps: x.apps,
    })),
    apps: apps.map((a) => ({ client_id: a.clientId, name: a.name, department: a.department, scopes: a.scopes, since: iso(a.since) })),
    organisations: [
      ...orgs.usable.map((o) => ({ uscc: o.org.uscc, name: o.org.name, role: o.role, valid_until: iso(o.validUntil), state: 'active' })),
      ...orgs.pending.map((o) => ({ uscc: o.org.uscc, name: o.org.name, role: o.authorization.role, valid_until: iso(o.authorization.validUntil), state: 'pending' })),
      ...orgs.unusable.map((o) => ({ uscc: o.org.uscc, name: o.org.name, role: o.authorization?.role ?? null, valid_until: iso(o.authorization?.validUntil), state: o.reason })),
    ],
    departmental_accounts: links.map((l) => ({ department: l.department_code, legacy_uid: l.legacy_uid, linked_at: iso(l.created_at) })),
    // what second factors exist, never their secrets
    second_factors: {
      authenticator_app: totp?.confirmed_at ? { since: iso(totp.confirmed_at) } : null,
      passkeys: passkeys.map((k) => ({ name: k.name, created_at: iso(k.created_at), last_used_at: iso(k.last_used_at) })),
      recovery_codes_left: recoveryLeft,
    },
    cancellation: cancellation ? { requested_at: iso(cancellation.requested_at), erasure_due_at: iso(cancellation.due_at) } : null,
    security_events: records.map((r) => ({ at: r.at.toISOString(), event: r.event, outcome: r.outcome, client_id: r.clientId, ip: r.ip, detail: r.detail })),
  };
  await app.audit.append({ event: 'account.export', outcome: 'success', actor: p.sub, ip, detail: { sessions: doc.sessions.length, apps: doc.apps.length, events: doc.security_events.length } });
  return doc;
}
