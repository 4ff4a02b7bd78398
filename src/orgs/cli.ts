// `yitong org ...` commands (contract in DESIGN.md). Grants made here are active at once: an
// administrator records an authorisation the agent has already signed for (授权委托书 at the
// counter); `--pending` leaves it for the agent to accept under "我的单位" instead. Ending an org
// context (revoke, change of legal representative, suspension) revokes the grants concerned and
// sends back-channel logout from this process, with the signing keys in the database.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { AppError } from '../errors.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { addOrg, setLegalRep, setOrgStatus } from './org-lifecycle.ts';
import { grantAuthorization, revokeAuthorization } from './authorizations.ts';
import { orgDetails } from './org-views.ts';
import { findOrgsByOrgCode } from './lookups.ts';
import type { EndResult } from './contexts.ts';
import { lastDayCst } from './org.ts';

const ended = (r: EndResult) => ({ grants_revoked: r.grants, logouts_queued: r.queued });

export const orgsCommands: Record<string, Command> = {
  'org add': {
    summary: { 'zh-CN': '登记法人单位', en: 'register an organisation' },
    usage: 'yitong org add --uscc CODE --name NAME --legal-rep ID_NUMBER [--type TYPE]',
    options: { uscc: { type: 'string' }, name: { type: 'string' }, 'legal-rep': { type: 'string' }, type: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const org = await addOrg(app, { uscc: one(v, 'uscc')!, name: one(v, 'name')!, legalRepIdNumber: one(v, 'legal-rep')!, type: one(v, 'type', false) ?? null }, env.actor);
        return {
          json: { org_id: org.id, org_sub: org.sub, uscc: org.uscc, org_code: org.orgCode, type: org.type },
          text: `org_id: ${org.id}\n${org.name} (${org.uscc}, ${org.type})`,
        };
      }),
  },

  'org grant': {

    summary: { 'zh-CN': '授权经办人', en: 'authorise an agent' },
    usage: 'yitong org grant --uscc CODE --agent ID_NUMBER [--until YYYY-MM-DD] [--role agent] [--pending]',
    options: { uscc: { type: 'string' }, agent: { type: 'string' }, until: { type: 'string' }, role: { type: 'string' }, pending: { type: 'boolean' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await grantAuthorization(
          app,
          { uscc: one(v, 'uscc')!, agentIdNumber: one(v, 'agent')!, until: one(v, 'until', false) ?? null, role: one(v, 'role', false) ?? null },
          { actor: env.actor, activate: !v.pending },
        );
        const a = r.authorization;
        const json = {
          authorization_id: a.id,
          org_id: r.org.id,
          agent: r.agent.sub,
          role: a.role,
          status: a.status,
          valid_from: a.validFrom.toISOString(),
          valid_until: lastDayCst(a.validUntil),
          renewed: r.updated,
        };
        return { json, text: `authorization ${a.id}: ${maskIdNumber(r.agent.idNumber ?? '')} ${a.role} of ${r.org.name}, ${a.status}, valid through ${json.valid_until}` };
      }),
  },

  'org revoke': {

    summary: { 'zh-CN': '撤销经办人授权', en: 'revoke an agent' },
    usage: 'yitong org revoke --uscc CODE --agent ID_NUMBER',
    options: { uscc: { type: 'string' }, agent: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const who = env.actor;
        const r = await revokeAuthorization(app, { uscc: one(v, 'uscc')!, agentIdNumber: one(v, 'agent')! }, { actor: who });
        const e = r.ended;
        return {
          json: { authorization_id: r.authorization.id, org_id: r.org.id, status: 'revoked', ...ended(e) },
          text: `authorization ${r.authorization.id} revoked; ${e.grants} grant(s) revoked, ${e.queued} app logout(s) queued`,
        };
      }),
  },

  'org set-legal-rep': {

    summary: { 'zh-CN': '变更法定代表人', en: 'change the legal representative' },
    usage: 'yitong org set-legal-rep --uscc CODE --legal-rep ID_NUMBER',
    options: { uscc: { type: 'string' }, 'legal-rep': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const who = env.actor;
        const r = await setLegalRep(app, one(v, 'uscc')!, one(v, 'legal-rep')!, who);
        const e = r.ended;
        return {
          json: { org_id: r.org.id, legal_rep_changed: true, ...ended(e) },
          text: `legal representative of ${r.org.name} changed; the previous representative's ${e.grants} org session(s) ended. Agent grants are unchanged.`,
        };
      }),
  },

  'org set-status': {

    summary: { 'zh-CN': '设置单位状态（正常/停用/注销）', en: 'set an organisation’s status' },
    usage: 'yitong org set-status --uscc CODE --status active|suspended|deregistered',
    options: { uscc: { type: 'string' }, status: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const who = env.actor;
        const r = await setOrgStatus(app, one(v, 'uscc')!, one(v, 'status')!, who);
        return { json: { org_id: r.org.id, status: r.org.status, changed: r.changed, ...ended(r.ended) }, text: `${r.org.name}: ${r.org.status}${r.changed ? '' : ' (unchanged)'}` };
      }),
  },

  'org show': {

    summary: { 'zh-CN': '查看单位及其授权', en: 'show an organisation and its authorisations' },
    usage: 'yitong org show --uscc CODE | --org-code CODE (the pre-2015 organisation code, USCC positions 9-17)',
    options: { uscc: { type: 'string' }, 'org-code': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        let uscc = one(v, 'uscc', false);
        const orgCode = one(v, 'org-code', false);
        if (!uscc && orgCode) {
          const found = await findOrgsByOrgCode(app, orgCode);
          if (found.length !== 1) throw new AppError('org.unknown', 'not_found', found.length ? `${found.length} orgs share this code: ${found.map((o) => o.uscc).join(', ')}` : orgCode);
          uscc = found[0].uscc;
        }
        if (!uscc) throw new CliUsageError('缺少参数 / missing option --uscc (or --org-code)');
        const d = await orgDetails(app, uscc);
        const json = {
          org_id: d.org.id,
          org_sub: d.org.sub,
          uscc: d.org.uscc,
          org_code: d.org.orgCode,
          name: d.org.name,
          type: d.org.type,
          status: d.org.status,
          legal_rep: d.legalRep,
          authorizations: d.authorizations,
        };
        const lines = [
          `${d.org.name} (${d.org.uscc}, ${d.org.type}, ${d.org.status})`,
          `legal representative: ${d.legalRep ? `${d.legalRep.name} ${d.legalRep.id_number}` : '-'}`,
          ...d.authorizations.map((a) => `  ${a.name} ${a.id_number} ${a.role} ${a.state} through ${a.valid_until}`),
        ];
        return { json, text: lines.join('\n') };
      }),
  },
};
