// Ending sessions for a governance event (person disabled or signed out everywhere, password
// recovery, MFA reset, merge, org authorisation ended, app disabled, session expired). One
// mechanism, in the caller's transaction: the sessions go, the grants they rest on are revoked with
// every code and token they issued (refresh answers invalid_grant, introspection inactive and
// userinfo 401 from the next request on any node), and one outbox row per app and session is
// written for the delivery worker (delivery.ts) to tell the app over the back channel.
import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { payloadStore, type SessionRow } from '../oidc/payload-store.ts';
import { backchannelTargets } from '../clients/backchannel.ts';
import { outboxStore, type NewOutboxRow } from './store.ts';

type Trx = Transaction<Database>;

/** Why sessions end; the audit record and every logout delivery carry it. */
export type EndReason =
  | 'person.disable'
  | 'person.logout'
  | 'person.merge'
  | 'password.reset'
  | 'password.change'
  | 'mfa.reset'
  | 'session.end'
  | 'grant.revoke'
  | 'account.cancel'
  | 'account.erase'
  | 'session.expire'
  | 'client.disable'
  | 'org.authorization.revoke'
  | 'org.authorization.relinquish'
  | 'org.authorization.expire'
  | 'org.suspend'
  | 'org.legal_rep.change'
  | 'org.entity.switch'
  | 'real_name.downgrade';

export interface Ended {
  eventId: string;
  sessions: number;
  grants: number;
  /** logouts queued for delivery (apps with a back-channel logout URI) */
  queued: number;
}

/** A sign-in at an app to end: its grant, and whom and which session to tell. */
export interface AppSignIn {
  clientId: string;
  sub: string;
  sid: string | null;
  grantId: string | null;
}

function signInsOf(sessions: SessionRow[], keepOffline: boolean): AppSignIn[] {
  return sessions.flatMap((s) =>
    Object.entries(s.authorizations)
      .filter(([, a]) => !(keepOffline && a.persistsLogout))
      .map(([clientId, a]) => ({ clientId, sub: s.accountId, sid: a.sid ?? null, grantId: a.grantId ?? null })),
  );
}

/**
 * Ends the given sessions and sign-ins: the core of every function below. Outbox rows go to apps
 * that have a back-channel logout URI, one per (app, person, session), or one without a session
 * id where the app holds only a grant (offline access).
 */
export async function endSignIns(
  app: AppContext,
  trx: Trx,
  what: { sessionIds: string[]; signIns: AppSignIn[] },
  reason: EndReason,
  actor: string,
): Promise<Ended> {
  const eventId = crypto.randomUUID();
  const grantIds = [...new Set(what.signIns.map((s) => s.grantId).filter((g): g is string => Boolean(g)))];
  await payloadStore.deleteSessions(trx, what.sessionIds);
  await payloadStore.revokeGrants(trx, grantIds);

  const targets = await backchannelTargets(trx, what.signIns.map((s) => s.clientId));
  const withSid = new Set(what.signIns.filter((s) => s.sid).map((s) => `${s.clientId}\n${s.sub}`));
  const seen = new Set<string>();
  const rows: NewOutboxRow[] = [];
  for (const s of what.signIns) {
    if (!targets.has(s.clientId)) continue;
    if (!s.sid && withSid.has(`${s.clientId}\n${s.sub}`)) continue; // the app hears of it per session
    const key = `${s.clientId}\n${s.sub}\n${s.sid ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ event_id: eventId, reason, client_id: s.clientId, sub: s.sub, sid: s.sid });
  }
  await outboxStore.insert(trx, rows);
  await app.audit.append(
    {
      event: 'session.end',
      outcome: 'success',
      actor,
      detail: { reason, event_id: eventId, sessions: what.sessionIds.length, grants: grantIds.length, apps: [...new Set(rows.map((r) => r.client_id))] },
    },
    trx,
  );
  return { eventId, sessions: what.sessionIds.length, grants: grantIds.length, queued: rows.length };
}

/** Every session and grant of a person (offline access included: the person's right has ended). */
export async function endPersonSessions(app: AppContext, trx: Trx, sub: string, reason: EndReason, actor: string): Promise<Ended> {
  const sessions = await payloadStore.sessionsOf(trx, sub);
  const grants = await payloadStore.grantsOf(trx, { accountId: sub });
  const signIns = [
    ...signInsOf(sessions, false),
    ...grants.filter((g) => g.clientId).map((g) => ({ clientId: g.clientId!, sub, sid: null, grantId: g.id })),
  ];
  return endSignIns(app, trx, { sessionIds: sessions.map((s) => s.id), signIns }, reason, actor);
}

/** Some sessions (one the person ends, or expired ones); offline grants outlive them, as at logout. */
export async function endSessions(app: AppContext, trx: Trx, sessions: SessionRow[], reason: EndReason, actor: string): Promise<Ended> {
  return endSignIns(app, trx, { sessionIds: sessions.map((s) => s.id), signIns: signInsOf(sessions, true) }, reason, actor);
}

/** Every grant of an app (it was disabled): its users' sessions there end, theirs elsewhere stay. */
export async function endClientGrants(app: AppContext, trx: Trx, clientId: string, reason: EndReason, actor: string): Promise<Ended> {
  const grants = await payloadStore.grantsOf(trx, { clientId });
  const grantIds = new Set(grants.map((g) => g.id));
  const sessions = await payloadStore.sessionsHoldingGrants(trx, [...grantIds]);
  const fromSessions = signInsOf(sessions, false).filter((s) => s.clientId === clientId);
  const signIns = [...fromSessions, ...grants.filter((g) => g.accountId).map((g) => ({ clientId, sub: g.accountId!, sid: null, grantId: g.id }))];
  return endSignIns(app, trx, { sessionIds: [], signIns }, reason, actor);
}

/**
 * One person's grants at one app (the person revoked the app's access): every token they issued
 * dies and the app is told for each session it was signed in from; the person's sessions stay.
 */
export async function endPersonClientGrants(app: AppContext, trx: Trx, sub: string, clientId: string, reason: EndReason, actor: string): Promise<Ended> {
  const sessions = await payloadStore.sessionsOf(trx, sub);
  const grants = (await payloadStore.grantsOf(trx, { accountId: sub })).filter((g) => g.clientId === clientId);
  const signIns = [
    ...signInsOf(sessions, false).filter((s) => s.clientId === clientId),
    ...grants.map((g) => ({ clientId, sub, sid: null, grantId: g.id })),
  ];
  return endSignIns(app, trx, { sessionIds: [], signIns }, reason, actor);
}
