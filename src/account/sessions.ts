// "登录设备": the person's live sign-in sessions (device, when, where from, which apps), and ending
// one of them or every other one through the logout service (apps told over the back channel).
import type { AppContext } from '../context.ts';
import { payloadStore, type SessionRow } from '../oidc/payload-store.ts';
import { clientStore } from '../clients/store.ts';
import { endSessions } from '../logout/service.ts';
import { AppError } from '../errors.ts';
import type { SignedIn } from '../selfservice/portal.ts';
import { parseUserAgent, type Device } from './devices.ts';
import { deviceStore } from './store.ts';

export interface SessionView {
  /** names the session in forms (an HMAC of its uid: the uid itself stays on the server) */
  handle: string;
  current: boolean;
  device: Device;
  /** `private 10.1.2.*`, `public 203.0.113.*`, ... or null when unknown */
  network: { kind: string; masked: string } | null;
  signedInAt: Date | null;
  lastSeenAt: Date | null;
  apps: string[];
}

const handleOf = (app: AppContext, uid: string) => app.keyring.blindIndex('account-session', uid).slice(0, 32);

export async function listSessions(app: AppContext, s: SignedIn): Promise<SessionView[]> {
  const [sessions, devices] = await Promise.all([payloadStore.listSessions(app.db, s.person.sub), deviceStore.byAccount(app.db, s.person.sub)]);
  const byUid = new Map(devices.map((d) => [d.session_uid, d]));
  const clientIds = [...new Set(sessions.flatMap((x) => Object.keys(x.authorizations)))];
  const names = new Map((await clientStore.byIds(app.db, clientIds)).map((c) => [c.client_id, c.name]));
  const views = sessions.map((x): SessionView => {
    const d = byUid.get(x.uid);
    const [kind, masked] = d?.network ? d.network.split(' ') : [];
    return {
      handle: handleOf(app, x.uid),
      current: x.uid === s.session.uid,
      device: d ? parseUserAgent(d.user_agent) : { browser: null, os: null },
      network: kind && masked ? { kind, masked } : null,
      signedInAt: x.loginTs ? new Date(x.loginTs * 1000) : null,
      lastSeenAt: d?.last_seen_at ?? null,
      apps: Object.keys(x.authorizations).map((id) => names.get(id) ?? id),
    };
  });
  // this session first, then the most recently signed in
  return views.sort((a, b) => Number(b.current) - Number(a.current));
}

async function end(app: AppContext, s: SignedIn, pick: (rows: SessionRow[]) => SessionRow[]): Promise<number> {
  return app.db.transaction().execute(async (trx) => {
    const rows = pick(await payloadStore.sessionsOf(trx, s.person.sub));
    if (!rows.length) return 0;
    await endSessions(app, trx, rows, 'session.end', s.person.sub);
    return rows.length;
  });
}

/** Ends one other session; the current one is ended by signing out. */
export async function endOneSession(app: AppContext, s: SignedIn, handle: string): Promise<void> {
  if (handle === handleOf(app, s.session.uid)) throw new AppError('account.session.current', 'invalid_input');
  const n = await end(app, s, (rows) => rows.filter((r) => r.uid !== s.session.uid && handleOf(app, r.uid) === handle));
  if (!n) throw new AppError('account.session.unknown', 'not_found');
}

export function endOtherSessions(app: AppContext, s: SignedIn): Promise<number> {
  return end(app, s, (rows) => rows.filter((r) => r.uid !== s.session.uid));
}

/** The handle of a session, when it belongs to the person (for the confirmation page). */
export async function findSession(app: AppContext, s: SignedIn, handle: string): Promise<SessionView | undefined> {
  return (await listSessions(app, s)).find((v) => v.handle === handle);
}
