// `yitong person set-level` (counter staff record a real-name level they verified, audited; a
// downgrade ends the person's sessions and tells their apps) and `yitong person level-history`.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { LEVEL_METHODS, realNameHistory, setRealNameLevel, type LevelMethod } from '../realname/service.ts';

export const citizenCommands: Record<string, Command> = {
  'person set-level': {
    summary: { 'zh-CN': '设置实名等级（如窗口核验；降级会结束其所有会话）', en: 'set the real-name level (e.g. checked at a counter; a downgrade ends every session)' },
    usage: 'yitong person set-level --id-number ID --level 1-4 [--method counter|idv|upstream|self] [--note TEXT]',
    options: { 'id-number': { type: 'string' }, level: { type: 'string' }, method: { type: 'string' }, note: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const raw = one(v, 'level')!;
        if (!/^\d$/.test(raw)) throw new CliUsageError(`--level 应为 1 至 4 / --level must be 1 to 4, got "${raw}"`);
        const method = (one(v, 'method', false) ?? 'counter') as LevelMethod;
        if (!LEVEL_METHODS.includes(method)) throw new CliUsageError(`--method 应为 ${LEVEL_METHODS.join('|')} / --method must be ${LEVEL_METHODS.join('|')}`);
        const r = await setRealNameLevel(app, one(v, 'id-number')!, Number(raw), method, env.actor, one(v, 'note', false));
        const ended = r.ended ? { sessions_ended: r.ended.sessions, grants_revoked: r.ended.grants, logouts_queued: r.ended.queued } : {};
        return {
          json: { sub: r.sub, from: r.from, level: r.to, method, changed: r.changed, ...ended },
          text:
            `${r.sub}: real-name level ${r.from} -> ${r.to} (${method})` +
            (r.ended ? `; downgrade: ${r.ended.sessions} session(s) ended, ${r.ended.grants} grant(s) revoked, ${r.ended.queued} app logout(s) queued` : ''),
        };
      }),
  },

  'person level-history': {
    summary: { 'zh-CN': '查看实名等级及其变更记录', en: 'show the real-name level and how it changed' },
    usage: 'yitong person level-history --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const h = await realNameHistory(app, one(v, 'id-number')!);
        return {
          json: { ...h },
          text: [`${h.sub}: real-name level ${h.level}`, ...h.history.map((r) => `  ${r.at}  ${r.previous_level ?? '-'} -> ${r.level}  ${r.method}  ${r.actor}${r.note ? `  (${r.note})` : ''}`)].join('\n'),
        };
      }),
  },
};
