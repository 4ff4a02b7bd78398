// `yitong person ...`: add, disable, enable, sign out everywhere, unlock.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one, readPassword, type CommandResult } from '../cli/io.ts';
import { maskIdNumber } from '../identity/mask.ts';
import type { Ended } from '../logout/service.ts';
import { unlockPerson } from '../interactions/unlock.ts';
import { createPerson } from './service.ts';
import { recordInitialLevel } from '../realname/service.ts';
import { logoutPerson, setPersonStatus, type StatusChange } from './lifecycle.ts';

const endedJson = (e: Ended) => ({ sessions_ended: e.sessions, grants_revoked: e.grants, logouts_queued: e.queued });
const endedText = (e: Ended) => `${e.sessions} session(s) ended, ${e.grants} grant(s) revoked, ${e.queued} app logout(s) queued`;
const statusResult = (r: StatusChange): CommandResult => ({
  json: { sub: r.sub, status: r.status, changed: r.changed, ...(r.ended ? endedJson(r.ended) : {}) },
  text: `${r.sub}: ${r.status}${r.changed ? '' : ' (unchanged)'}${r.ended ? `; ${endedText(r.ended)}` : ''}`,
});


export const accountsCommands: Record<string, Command> = {
  'person add': {

    summary: { 'zh-CN': '新建自然人账号（密码从标准输入读取）', en: 'add a person (password on standard input)' },
    usage: 'yitong person add --id-number ID --name NAME [--phone P [--phone-verified]] [--email E] [--real-name-level 1-4] --password-stdin',
    options: {
      'id-number': { type: 'string' },
      name: { type: 'string' },
      phone: { type: 'string' },
      'phone-verified': { type: 'boolean' },
      email: { type: 'string' },
      'real-name-level': { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    async run(env, v) {
      if (!v['password-stdin']) throw new CliUsageError('缺少参数 / missing option --password-stdin (密码只从标准输入读取 / passwords are read from standard input only)');
      const password = await readPassword(env.io);
      const level = one(v, 'real-name-level', false);
      return withApp(env, async (app) => {
        const p = await createPerson(
          app,
          {
            idNumber: one(v, 'id-number')!,
            name: one(v, 'name')!,
            phone: one(v, 'phone', false),
            email: one(v, 'email', false),
            password,
            realNameLevel: level === undefined ? undefined : Number(level),
            phoneVerified: Boolean(v['phone-verified']),
          },
          env.actor,
        );
        // a starting level set by an administrator is the first entry of the person's level history
        if (level !== undefined) await recordInitialLevel(app, p, 'counter', env.actor);
        return { json: { sub: p.sub }, text: `sub: ${p.sub} (${maskIdNumber(p.idNumber ?? '')})` };
      });
    },
  },

  'person disable': {
    summary: { 'zh-CN': '停用账号（立即结束其所有会话并通知各应用）', en: 'disable a person (ends every session at once; apps are told)' },
    usage: 'yitong person disable --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) => withApp(env, async (app) => statusResult(await setPersonStatus(app, one(v, 'id-number')!, 'disabled', env.actor))),
  },

  'person enable': {
    summary: { 'zh-CN': '启用账号', en: 'enable a person' },
    usage: 'yitong person enable --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) => withApp(env, async (app) => statusResult(await setPersonStatus(app, one(v, 'id-number')!, 'active', env.actor))),
  },

  'person logout': {
    summary: { 'zh-CN': '结束某人的所有会话并通知各应用', en: 'end every session of a person; apps are told' },
    usage: 'yitong person logout --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await logoutPerson(app, one(v, 'id-number')!, env.actor);
        return { json: { sub: r.sub, ...endedJson(r.ended) }, text: `${r.sub}: ${endedText(r.ended)}` };
      }),
  },

  'person unlock': {
    summary: { 'zh-CN': '解除登录锁定', en: 'lift a sign-in lock' },
    usage: 'yitong person unlock --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await unlockPerson(app, one(v, 'id-number')!, env.actor);
        const who = `${r.sub} (${r.maskedId})`;
        return { json: { sub: r.sub, was_locked: r.wasLocked }, text: r.wasLocked ? `已解锁 / unlocked: ${who}` : `未锁定，已清零失败次数 / not locked; failures cleared: ${who}` };
      }),
  },
};
