// Persons (security administrators; a department administrator reads the persons linked to its
// department and their legacy accounts there), their sessions, and the acts that end them.
import { z } from 'zod';
import type { AppContext } from '../../../context.ts';
import { personStore, type PersonRow } from '../../../accounts/store.ts';
import { openPerson, type Person } from '../../../accounts/person.ts';
import { logoutPersonBySub, setPersonStatusBySub } from '../../../accounts/lifecycle.ts';
import { unlockPersonBySub } from '../../../interactions/unlock.ts';
import { parseIdNumber } from '../../../identity/id-number.ts';
import { parseMobile } from '../../../identity/contact.ts';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '../../../identity/mask.ts';
import { legacyAccountStore } from '../../../legacy/account-store.ts';
import { payloadStore } from '../../../oidc/payload-store.ts';
import { endSessions } from '../../../logout/service.ts';
import { AdminError, notFound, op, type OpContext } from '../op.ts';
import { Ended, endedOf, iso, SessionId, Sub, Timestamp } from '../schemas.ts';

const PersonSummary = z
  .object({
    sub: Sub,
    name: z.string().describe('masked'),
    id_type: z.string(),
    id_number: z.string().nullable().describe('masked'),
    phone: z.string().nullable().describe('masked'),
    status: z.enum(['active', 'disabled']).or(z.string()),
    real_name_level: z.int(),
  })
  .meta({ id: 'PersonSummary' });

const PersonDetail = PersonSummary.extend({
  phone_verified: z.boolean(),
  email: z.string().nullable().describe('masked'),
  email_verified: z.boolean(),
  created_at: Timestamp,
}).meta({ id: 'PersonDetail' });

export const summary = (p: Person) => ({
  sub: p.sub,
  name: maskName(p.name),
  id_type: p.idType,
  id_number: p.idNumber ? maskIdNumber(p.idNumber) : null,
  phone: p.phone ? maskPhone(p.phone) : null,
  status: p.status,
  real_name_level: p.realNameLevel,
});

/** The person, when the caller's access reaches them (a department: linked to one of its departments). */
export async function visiblePerson(c: OpContext, sub: string): Promise<{ row: PersonRow; person: Person }> {
  c.target = { type: 'person', id: sub };
  const row = await personStore.bySub(c.app.db, sub);
  if (!row) throw notFound();
  if (!c.access.all && !(await legacyAccountStore.linkedPersons(c.app.db, [row.id], c.access.departments)).length) throw notFound();
  return { row, person: openPerson(c.app.keyring, row) };
}

async function search(app: AppContext, q: { id_number?: string; phone?: string; limit: number }): Promise<PersonRow[]> {
  if (Boolean(q.id_number) === Boolean(q.phone)) throw new AdminError('admin.search_one', 'invalid_input');
  if (q.id_number) {
    const id = parseIdNumber(q.id_number);
    if (!id.ok) throw new AdminError(id.error, 'invalid_input');
    const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndexes('resident_id', id.value));
    return row ? [row] : [];
  }
  const phone = parseMobile(q.phone);
  if (!phone.ok) throw new AdminError(phone.error, 'invalid_input');
  return personStore.listByContactIndex(app.db, 'phone_bidx', app.keyring.blindIndexes('phone', phone.value), q.limit);
}

const SubParams = z.strictObject({ sub: Sub });

const StatusResult = z.object({ sub: Sub, status: z.string(), changed: z.boolean() }).extend(Ended.partial().shape);

export const personOps = [
  op({
    id: 'persons.search',
    method: 'get',
    path: '/persons',
    tag: 'persons',
    summary: 'Find persons by exact ID number or mobile number (blind index; masked)',
    description: 'Exactly one of id_number and phone. A department administrator finds only persons linked to its department.',
    roles: ['security', 'department'],
    query: z.strictObject({
      id_number: z.string().max(64).optional(),
      phone: z.string().max(32).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ items: z.array(PersonSummary) }),
    async run(c, { query }) {
      let rows = await search(c.app, query);
      if (!c.access.all && rows.length) {
        const linked = new Set(await legacyAccountStore.linkedPersons(c.app.db, rows.map((r) => r.id), c.access.departments));
        rows = rows.filter((r) => linked.has(r.id));
      }
      c.target = { type: 'person', id: rows.length === 1 ? rows[0].sub : null };
      return { items: rows.map((r) => summary(openPerson(c.app.keyring, r))) };
    },
  }),

  op({
    id: 'persons.get',
    method: 'get',
    path: '/persons/{sub}',
    tag: 'persons',
    summary: 'A person (masked)',
    roles: ['security', 'department'],
    params: SubParams,
    response: PersonDetail,
    errors: [404],
    async run(c, { params }) {
      const { row, person } = await visiblePerson(c, params.sub);
      return {
        ...summary(person),
        phone_verified: person.phoneVerified,
        email: person.email ? maskEmail(person.email) : null,
        email_verified: person.emailVerified,
        created_at: iso(row.created_at)!,
      };
    },
  }),

  op({
    id: 'persons.reveal',
    method: 'post',
    path: '/persons/{sub}/reveal',
    tag: 'persons',
    summary: 'Reveal one field unmasked, with a stated reason (audited)',
    roles: ['security'],
    params: SubParams,
    body: z.strictObject({
      field: z.enum(['name', 'id_number', 'phone', 'email']),
      reason: z.string().trim().min(4).max(200).describe('why the full value is needed (kept in the audit log)'),
    }),
    response: z.object({ sub: Sub, field: z.string(), value: z.string() }),
    errors: [404],
    async run(c, { params, body }) {
      const { person } = await visiblePerson(c, params.sub);
      const value = { name: person.name, id_number: person.idNumber, phone: person.phone, email: person.email }[body.field];
      if (!value) throw new AdminError('admin.field_empty', 'not_found');
      await c.app.audit.append({ event: 'person.reveal', outcome: 'info', actor: c.principal.actor, clientId: c.principal.clientId, ip: c.ip, detail: { sub: person.sub, field: body.field, reason: body.reason } });
      return { sub: person.sub, field: body.field, value };
    },
  }),

  ...(['disable', 'enable'] as const).map((act) =>
    op({
      id: `persons.${act}`,
      method: 'post',
      path: `/persons/{sub}/${act}`,
      tag: 'persons',
      summary: act === 'disable' ? 'Disable a person: every session and grant ends at once, apps are told (back-channel logout)' : 'Enable a person',
      roles: ['security'],
      params: SubParams,
      response: StatusResult,
      errors: [404],
      async run(c, { params }) {
        await visiblePerson(c, params.sub);
        const r = await setPersonStatusBySub(c.app, params.sub, act === 'disable' ? 'disabled' : 'active', c.principal.actor);
        return { sub: r.sub, status: r.status, changed: r.changed, ...(r.ended ? endedOf(r.ended) : {}) };
      },
    }),
  ),

  op({
    id: 'persons.unlock',
    method: 'post',
    path: '/persons/{sub}/unlock',
    tag: 'persons',
    summary: 'Lift a sign-in lock (failed password attempts)',
    roles: ['security'],
    params: SubParams,
    response: z.object({ sub: Sub, was_locked: z.boolean() }),
    errors: [404],
    async run(c, { params }) {
      await visiblePerson(c, params.sub);
      const r = await unlockPersonBySub(c.app, params.sub, c.principal.actor);
      return { sub: r.sub, was_locked: r.wasLocked };
    },
  }),

  op({
    id: 'persons.logout',
    method: 'post',
    path: '/persons/{sub}/logout',
    tag: 'persons',
    summary: 'End every session and grant of a person; apps are told',
    roles: ['security'],
    params: SubParams,
    response: z.object({ sub: Sub }).extend(Ended.shape),
    errors: [404],
    async run(c, { params }) {
      await visiblePerson(c, params.sub);
      const r = await logoutPersonBySub(c.app, params.sub, c.principal.actor);
      return { sub: r.sub, ...endedOf(r.ended) };
    },
  }),

  op({
    id: 'persons.legacy_accounts',
    method: 'get',
    path: '/persons/{sub}/legacy-accounts',
    tag: 'persons',
    summary: 'A person’s linked legacy accounts (a department administrator sees its department’s only)',
    roles: ['security', 'department'],
    params: SubParams,
    response: z.object({
      items: z.array(
        z.object({
          department: z.string(),
          legacy_uid: z.string(),
          password_scheme: z.string().nullable(),
          password_retired: z.boolean().describe('the old password no longer signs in (upgraded or reset)'),
          uscc: z.string().nullable(),
          org_name: z.string().nullable(),
          job_id: z.string(),
          linked_at: Timestamp,
        }),
      ),
    }),
    errors: [404],
    async run(c, { params }) {
      const { row } = await visiblePerson(c, params.sub);
      const links = await legacyAccountStore.ofPerson(c.app.db, row.id, c.access.all ? undefined : c.access.departments);
      return {
        items: links.map((l) => ({
          department: l.department_code,
          legacy_uid: l.legacy_uid,
          password_scheme: l.password_scheme,
          password_retired: l.password_retired_at !== null,
          uscc: l.uscc,
          org_name: l.org_name,
          job_id: l.job_id,
          linked_at: iso(l.created_at)!,
        })),
      };
    },
  }),

  op({
    id: 'sessions.list',
    method: 'get',
    path: '/persons/{sub}/sessions',
    tag: 'sessions',
    summary: 'A person’s live sign-in sessions',
    roles: ['security'],
    params: SubParams,
    response: z.object({
      items: z.array(
        z.object({
          id: SessionId,
          login_at: Timestamp.nullable(),
          expires_at: Timestamp.nullable(),
          acr: z.string().nullable(),
          amr: z.array(z.string()),
          apps: z.array(z.string()).describe('client ids signed in to in this session'),
        }),
      ),
    }),
    errors: [404],
    async run(c, { params }) {
      await visiblePerson(c, params.sub);
      const sessions = await payloadStore.sessionsListed(c.app.db, params.sub);
      return {
        items: sessions.map((s) => ({
          id: s.uid,
          login_at: s.loginTs ? new Date(s.loginTs * 1000).toISOString() : null,
          expires_at: iso(s.expiresAt),
          acr: s.acr,
          amr: s.amr,
          apps: s.clientIds,
        })),
      };
    },
  }),

  op({
    id: 'sessions.end',
    method: 'delete',
    path: '/persons/{sub}/sessions/{session_id}',
    tag: 'sessions',
    summary: 'End one session; its apps are told (offline grants stay, as at logout)',
    roles: ['security'],
    params: z.strictObject({ sub: Sub, session_id: SessionId }),
    response: Ended,
    errors: [404],
    async run(c, { params }) {
      await visiblePerson(c, params.sub);
      c.target = { type: 'session', id: params.session_id };
      const ended = await c.app.db.transaction().execute(async (trx) => {
        const s = await payloadStore.sessionByUid(trx, params.sub, params.session_id);
        if (!s) throw notFound();
        return endSessions(c.app, trx, [s], 'session.end', c.principal.actor);
      });
      return endedOf(ended);
    },
  }),
];
