// `yitong admin grant|revoke|list` (contract in DESIGN.md, "Administration").
import { withApp, type Command } from '../cli/commands.ts';
import { one } from '../cli/io.ts';
import { grantPersonRole, listAdmins, revokePersonRole } from './service.ts';

const roleOptions = { 'id-number': { type: 'string' }, role: { type: 'string' }, department: { type: 'string' } } as const;

export const adminCommands: Record<string, Command> = {
  'admin grant': {
    summary: { 'zh-CN': '授予管理角色（三员分立）', en: 'grant an admin role (separation of duties)' },
    usage: 'yitong admin grant --id-number ID --role system|security|audit|department [--department CODE]',
    options: roleOptions,
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await grantPersonRole(app, one(v, 'id-number')!, one(v, 'role'), one(v, 'department', false), env.actor);
        const scope = r.department ? ` (${r.department})` : '';
        return { json: r, text: `${r.sub}: ${r.role}${scope}${r.changed ? ' granted' : ' already held'}` };
      }),
  },

  'admin revoke': {
    summary: { 'zh-CN': '收回管理角色', en: 'revoke an admin role' },
    usage: 'yitong admin revoke --id-number ID --role system|security|audit|department [--department CODE]',
    options: roleOptions,
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await revokePersonRole(app, one(v, 'id-number')!, one(v, 'role'), one(v, 'department', false), env.actor);
        return { json: r, text: `${r.sub}: ${r.role}${r.department ? ` (${r.department})` : ''} revoked` };
      }),
  },

  'admin list': {
    summary: { 'zh-CN': '列出管理员及其角色', en: 'list administrators and their roles' },
    usage: 'yitong admin list',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const admins = await listAdmins(app);
        const text =
          admins
            .map((a) => {
              const who = a.holder.type === 'person' ? `${a.holder.sub}\t${a.holder.name}\t${a.holder.id_number}` : `client:${a.holder.client_id}\t${a.holder.name}\t-`;
              return `${who}\t${a.role}${a.department ? `:${a.department}` : ''}\t${a.granted_at}`;
            })
            .join('\n') || '(none)';
        return { json: { admins }, text };
      }),
  },
};
