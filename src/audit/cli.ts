// `yitong audit ...`: list and verify the audit trail.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { AUDIT_EVENTS, isAuditEventName } from './events.ts';

export const auditCommands: Record<string, Command> = {
  'audit list': {

    summary: { 'zh-CN': '查看审计记录', en: 'list audit records' },
    usage: 'yitong audit list [--event NAME] [--since YYYY-MM-DD] [--limit N]',
    options: { event: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const since = one(v, 'since', false);
        const limit = one(v, 'limit', false);
        if (since && Number.isNaN(Date.parse(since))) throw new CliUsageError(`--since: 日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD, got ${since}`);
        if (limit && !/^\d+$/.test(limit)) throw new CliUsageError(`--limit: 应为正整数 / expected a positive integer, got ${limit}`);
        const event = one(v, 'event', false);
        if (event !== undefined && !isAuditEventName(event)) {
          throw new CliUsageError(`--event: 未知的审计事件 / unknown audit event "${event}"; one of:\n  ${AUDIT_EVENTS.join('\n  ')}`);
        }
        const records = await app.audit.list({ event, since: since ? new Date(since) : undefined, limit: limit ? Number(limit) : undefined });
        return {
          json: { records },
          text: records.map((r) => `${r.seq}\t${r.at.toISOString()}\t${r.event}\t${r.outcome}\t${r.actor ?? '-'}\t${r.clientId ?? '-'}\t${r.ip ?? '-'}\t${JSON.stringify(r.detail)}`).join('\n') || '(none)',
        };
      }),
  },

  'audit verify': {

    summary: { 'zh-CN': '校验审计链完整性', en: 'verify the audit chain' },
    usage: 'yitong audit verify',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const r = await app.audit.verify();
        if (!r.ok) {
          return { exitCode: 1, json: r as unknown as Record<string, unknown>, text: `审计链已损坏 / audit chain BROKEN at seq ${r.firstBad.seq} (${r.firstBad.reason}); ${r.records} records checked` };
        }
        return { json: r as unknown as Record<string, unknown>, text: `audit chain ok: ${r.records} records` };
      }),
  },
};
