// The orgs service on a real database (PGlite, or PostgreSQL with DATABASE_URL): registration,
// grants, acceptance, revocation, change of legal representative, what a person may act for, the
// expiry sweep; and the bad input of the issue, each with a clear bilingual error and nothing
// changed in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { person } from '../helpers/fixtures.ts';
import { AppError } from '../../src/errors.ts';
import type { Person } from '../../src/accounts/person.ts';
import { addOrg, setLegalRep, setOrgStatus } from '../../src/orgs/org-lifecycle.ts';
import { answerAuthorization, grantAuthorization, revokeAuthorization } from '../../src/orgs/authorizations.ts';
import { entityOptions, resolveEntity } from '../../src/orgs/entity-options.ts';
import { orgAgents, orgDetails } from '../../src/orgs/org-views.ts';
import { findOrgByUscc, findOrgsByOrgCode, personByIdNumber } from '../../src/orgs/lookups.ts';
import { sweepOrgs } from '../../src/orgs/sweep.ts';
import { endOfDayCst, lastDayCst, orgTypeFromUscc } from '../../src/orgs/org.ts';

const REP = '110101198001010010';
const AGENT = '310101199003070027';
const OTHER = '440304198512120031';
const STRANGER = '320102197006150048'; // valid, never registered
const ORG = '91350100M000100Y43';
const ORG_B = '91310115MA1FL00079';
const INSTITUTION = '121000004000000010';

let s: TestServer;
let rep: Person;
let agent: Person;
let other: Person;

const count = async (table: 'orgs' | 'org_authorizations' | 'org_entity_contexts') =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(s.app.db)).rows[0].n);

async function snapshot() {
  return { orgs: await count('orgs'), auths: await count('org_authorizations'), rows: await s.app.db.selectFrom('org_authorizations').selectAll().orderBy('id').execute() };
}

async function rejects(p: Promise<unknown>, code: string, status?: number): Promise<AppError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  if (status) expect((err as AppError).status).toBe(status);
  // bilingual: zh-CN / en
  expect((err as AppError).message).toMatch(/[\u4e00-\u9fff].* \/ [A-Za-z]/);
  return err as AppError;
}

beforeAll(async () => {
  s = await startTestServer();
  await person(s, { idNumber: REP, name: '李法人', phone: null, email: null });
  await person(s, { idNumber: AGENT, name: '王经办', phone: null, email: null });
  await person(s, { idNumber: OTHER, name: '赵旁人', phone: null, email: null });
  rep = await personByIdNumber(s.app, REP);
  agent = await personByIdNumber(s.app, AGENT);
  other = await personByIdNumber(s.app, OTHER);
});

afterAll(async () => {
  await s?.close();
});

describe('org registration', () => {
  it('registers an org keyed by its normalised USCC, with the pre-2015 code kept for lookup', async () => {
    const org = await addOrg(s.app, { uscc: ' ９１３５０１００ｍ０００１００ｙ４３ ', name: ' 福州一通科技有限公司 ', legalRepIdNumber: REP }, 'test');
    expect(org).toMatchObject({ uscc: ORG, orgCode: 'M000100Y4', name: '福州一通科技有限公司', type: 'enterprise', legalRepPersonId: rep.id, status: 'active' });
    expect(org.sub).not.toContain(ORG);
    expect((await findOrgsByOrgCode(s.app, 'M000100Y-4')).map((o) => o.id)).toEqual([org.id]);
    expect((await findOrgByUscc(s.app, ORG.toLowerCase()))?.id).toBe(org.id);
  });

  it('derives the type from the USCC unless given', async () => {
    const inst = await addOrg(s.app, { uscc: INSTITUTION, name: '某某事业单位', legalRepIdNumber: OTHER }, 'test');
    expect(inst.type).toBe('public_institution');
    const b = await addOrg(s.app, { uscc: ORG_B, name: '上海浦东示例有限公司', legalRepIdNumber: OTHER, type: 'other' }, 'test');
    expect(b.type).toBe('other');
    expect(orgTypeFromUscc('52310000MJ48888884')).toBe('social_organisation');
  });

  it('refuses bad input with a clear error and adds nothing', async () => {
    const before = await snapshot();
    await rejects(addOrg(s.app, { uscc: '91350100M000100Y44', name: 'x', legalRepIdNumber: REP }, 't'), 'uscc.check_char');
    await rejects(addOrg(s.app, { uscc: '91350100M000100Y4', name: 'x', legalRepIdNumber: REP }, 't'), 'uscc.length');
    await rejects(addOrg(s.app, { uscc: '91350100M0001O0Y43', name: 'x', legalRepIdNumber: REP }, 't'), 'uscc.charset');
    await rejects(addOrg(s.app, { uscc: '', name: 'x', legalRepIdNumber: REP }, 't'), 'uscc.empty');
    await rejects(addOrg(s.app, { uscc: '91440300MA5ERT1233', name: 'x', legalRepIdNumber: STRANGER }, 't'), 'org.person_unknown', 404);
    await rejects(addOrg(s.app, { uscc: '91440300MA5ERT1233', name: 'x', legalRepIdNumber: '1.10105E+17' }, 't'), 'id_number.float_mangled');
    await rejects(addOrg(s.app, { uscc: '91440300MA5ERT1233', name: ' ', legalRepIdNumber: REP }, 't'), 'org.name_invalid');
    await rejects(addOrg(s.app, { uscc: '91440300MA5ERT1233', name: 'x', legalRepIdNumber: REP, type: 'company' }, 't'), 'org.type_invalid');
    await rejects(addOrg(s.app, { uscc: ORG, name: 'again', legalRepIdNumber: REP }, 't'), 'org.exists', 409);
    expect(await snapshot()).toEqual(before);
  });
});

describe('validity dates', () => {
  it('reads YYYY-MM-DD as the whole day in Beijing time', () => {
    const end = endOfDayCst('2026-12-31')!;
    expect(end.toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(lastDayCst(end)).toBe('2026-12-31');
    expect(endOfDayCst('2026-02-30')).toBeNull();
    expect(endOfDayCst('31/12/2026')).toBeNull();
  });
});

describe('grants', () => {
  it('an administrator grant is active at once with a default validity of one year', async () => {
    const r = await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: AGENT }, { actor: 'cli:admin', activate: true });
    expect(r.authorization).toMatchObject({ status: 'active', role: 'agent', personId: agent.id });
    const days = (r.authorization.validUntil.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(367);
    const opts = await entityOptions(s.app, agent.id);
    expect(opts.usable.map((o) => [o.org.uscc, o.role])).toEqual([[ORG, 'agent']]);
  });

  it('granting again renews the live authorisation instead of adding one', async () => {
    const until = `${new Date().getFullYear() + 2}-03-31`;
    const r = await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: AGENT, until }, { actor: 'cli:admin', activate: true });
    expect(r.updated).toBe(true);
    expect(lastDayCst(r.authorization.validUntil)).toBe(until);
    expect(await s.app.db.selectFrom('org_authorizations').select('id').where('person_id', '=', agent.id).execute()).toHaveLength(1);
  });

  it('refuses bad grants with a clear error and changes nothing', async () => {
    const before = await snapshot();
    await rejects(grantAuthorization(s.app, { uscc: '91350100M000100Y44', agentIdNumber: OTHER }, { actor: 't', activate: true }), 'uscc.check_char');
    await rejects(grantAuthorization(s.app, { uscc: '91440300MA5ERT1233', agentIdNumber: OTHER }, { actor: 't', activate: true }), 'org.unknown', 404);
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: STRANGER }, { actor: 't', activate: true }), 'org.person_unknown', 404);
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: '110101198001010011' }, { actor: 't', activate: true }), 'id_number.check_char');
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, until: '2020-01-01' }, { actor: 't', activate: true }), 'org.until_past');
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, until: '2205-01-01' }, { actor: 't', activate: true }), 'org.until_too_far');
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, until: 'next year' }, { actor: 't', activate: true }), 'org.until_invalid');
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, role: 'owner' }, { actor: 't', activate: true }), 'org.role_invalid');
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: REP }, { actor: 't', activate: true }), 'org.agent_is_legal_rep', 409);
    // by someone who is not the legal representative (self-service)
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, agentName: '赵旁人' }, { actor: agent.sub, legalRep: agent, activate: false }), 'org.not_legal_rep', 403);
    // self-service with a name that does not match the ID number, or an unknown ID number: one answer
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, agentName: '赵某' }, { actor: rep.sub, legalRep: rep, activate: false }), 'org.agent_not_found', 404);
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: STRANGER, agentName: '赵旁人' }, { actor: rep.sub, legalRep: rep, activate: false }), 'org.agent_not_found', 404);
    expect(await snapshot()).toEqual(before);
    const denied = await s.app.audit.list({ event: 'org.grant.create' });
    expect(denied.some((a) => a.outcome === 'denied' && a.actor === agent.sub)).toBe(true);
  });

  it("the legal representative's grant waits for the agent, who accepts or declines it", async () => {
    const r = await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER, agentName: '赵旁人' }, { actor: rep.sub, legalRep: rep, activate: false });
    expect(r.authorization.status).toBe('pending');
    let opts = await entityOptions(s.app, other.id);
    expect(opts.usable.map((o) => o.org.uscc)).not.toContain(ORG);
    expect(opts.pending.map((p) => p.org.uscc)).toEqual([ORG]);
    expect(opts.unusable.find((u) => u.org.uscc === ORG)?.reason).toBe('pending');
    expect(await resolveEntity(s.app, other.id, ORG)).toBeNull();
    // only the addressee can answer
    await rejects(answerAuthorization(s.app, agent, r.authorization.id, 'accept'), 'org.authorization_unknown', 404);
    await answerAuthorization(s.app, other, r.authorization.id, 'accept');
    await rejects(answerAuthorization(s.app, other, r.authorization.id, 'accept'), 'org.authorization_not_pending', 409);
    opts = await entityOptions(s.app, other.id);
    expect(opts.usable.map((o) => [o.org.uscc, o.role]).sort()).toEqual([[INSTITUTION, 'legal_representative'], [ORG, 'agent'], [ORG_B, 'legal_representative']].sort());
    // the representative sees the agent with masked ID number
    const { agents } = await orgAgents(s.app, rep, ORG);
    expect(agents.map((a) => a.maskedIdNumber).sort()).toEqual(['310101********0027', '440304********0031']);
    await rejects(orgAgents(s.app, agent, ORG), 'org.not_legal_rep', 403);
  });

  it('a declined grant is not usable; an expired pending one cannot be accepted', async () => {
    const r = await grantAuthorization(s.app, { uscc: ORG_B, agentIdNumber: AGENT, agentName: '王经办' }, { actor: other.sub, legalRep: other, activate: false });
    await answerAuthorization(s.app, agent, r.authorization.id, 'decline');
    expect((await entityOptions(s.app, agent.id)).usable.map((o) => o.org.uscc)).toEqual([ORG]);
    const again = await grantAuthorization(s.app, { uscc: ORG_B, agentIdNumber: AGENT, agentName: '王经办' }, { actor: other.sub, legalRep: other, activate: false });
    expect(again.updated).toBe(false);
    await s.app.db.updateTable('org_authorizations').set({ valid_from: new Date(Date.now() - 2 * 86_400_000), valid_until: new Date(Date.now() - 1000) }).where('id', '=', again.authorization.id).execute();
    await rejects(answerAuthorization(s.app, agent, again.authorization.id, 'accept'), 'org.authorization_expired', 409);
    await rejects(answerAuthorization(s.app, agent, 'not-a-uuid', 'accept'), 'org.authorization_unknown', 404);
  });
});

describe('revocation, change of representative, suspension', () => {
  it('revokes by ID number; a second revoke finds nothing', async () => {
    const before = await snapshot();
    await rejects(revokeAuthorization(s.app, { uscc: ORG, agentIdNumber: STRANGER }, { actor: 't' }), 'org.person_unknown', 404);
    await rejects(revokeAuthorization(s.app, { uscc: INSTITUTION, agentIdNumber: AGENT }, { actor: 't' }), 'org.authorization_unknown', 404);
    await rejects(revokeAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER }, { actor: agent.sub, legalRep: agent }), 'org.not_legal_rep', 403);
    expect(await snapshot()).toEqual(before);
    const r = await revokeAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER }, { actor: rep.sub, legalRep: rep });
    expect(r.authorization.status).toBe('revoked');
    expect((await entityOptions(s.app, other.id)).unusable.find((u) => u.org.uscc === ORG)?.reason).toBe('revoked');
    await rejects(revokeAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER }, { actor: 't' }), 'org.authorization_unknown', 404);
  });

  it('a new legal representative takes the implicit right; agent grants stay', async () => {
    await rejects(setLegalRep(s.app, ORG, REP, 't'), 'org.legal_rep_unchanged', 409);
    await rejects(setLegalRep(s.app, ORG, STRANGER, 't'), 'org.person_unknown', 404);
    const r = await setLegalRep(s.app, ORG, OTHER, 't');
    expect(r.previousPersonId).toBe(rep.id);
    expect((await entityOptions(s.app, rep.id)).usable).toEqual([]);
    expect((await entityOptions(s.app, other.id)).usable.find((o) => o.org.uscc === ORG)?.role).toBe('legal_representative');
    expect((await entityOptions(s.app, agent.id)).usable.map((o) => o.org.uscc)).toEqual([ORG]);
    await setLegalRep(s.app, ORG, REP, 't');
  });

  it('a suspended org cannot be acted for', async () => {
    await rejects(setOrgStatus(s.app, ORG, 'closed', 't'), 'org.status_invalid');
    expect((await setOrgStatus(s.app, ORG, 'suspended', 't')).changed).toBe(true);
    expect((await entityOptions(s.app, agent.id)).unusable.map((u) => [u.org.uscc, u.reason])).toContainEqual([ORG, 'org_inactive']);
    await rejects(grantAuthorization(s.app, { uscc: ORG, agentIdNumber: OTHER }, { actor: 't', activate: true }), 'org.inactive', 409);
    expect((await setOrgStatus(s.app, ORG, 'active', 't')).changed).toBe(true);
    expect((await entityOptions(s.app, agent.id)).usable.map((o) => o.org.uscc)).toEqual([ORG]);
  });

  it('lists an org with its authorisations for the administrator, ID numbers masked', async () => {
    const d = await orgDetails(s.app, ORG);
    expect(d.legalRep).toMatchObject({ name: '李法人', id_number: '110101********0010' });
    expect(JSON.stringify(d)).not.toContain(AGENT);
    expect(d.authorizations.map((a) => a.state).sort()).toEqual(['active', 'revoked']);
  });
});

describe('the expiry sweep', () => {
  it('claims each ended authorisation once, even when nodes sweep at the same time', async () => {
    const r = await grantAuthorization(s.app, { uscc: ORG_B, agentIdNumber: REP }, { actor: 't', activate: true });
    await s.app.db.updateTable('org_authorizations').set({ valid_from: new Date(Date.now() - 86_400_000), valid_until: new Date(Date.now() - 1000) }).where('id', '=', r.authorization.id).execute();
    const results = await Promise.all([sweepOrgs(s.app, s.provider()), sweepOrgs(s.app, s.provider()), sweepOrgs(s.app, s.provider())]);
    // at most one of them (or the server's own sweep) carried it out, exactly once
    expect(results.reduce((n, x) => n + x.ended, 0)).toBeLessThanOrEqual(1);
    const events = (await s.app.audit.list({ event: 'org.grant.expire' })).filter((e) => e.detail.authorization_id === r.authorization.id);
    expect(events).toHaveLength(1);
    const row = await s.app.db.selectFrom('org_authorizations').selectAll().where('id', '=', r.authorization.id).executeTakeFirstOrThrow();
    expect(row.ended_at).not.toBeNull();
    expect((await entityOptions(s.app, rep.id)).unusable.find((u) => u.org.uscc === ORG_B)?.reason).toBe('expired');
  });

  it('keeps the audit chain intact', async () => {
    expect(await s.app.audit.verify()).toMatchObject({ ok: true });
  });
});
