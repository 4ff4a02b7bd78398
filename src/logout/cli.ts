// `yitong outbox list`: back-channel logout deliveries.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { listOutbox } from './outbox.ts';

export const logoutCommands: Record<string, Command> = {
  'outbox list': {
    summary: { 'zh-CN': '查看单点退出通知的投递情况', en: 'list back-channel logout deliveries' },
    usage: 'yitong outbox list [--pending | --failed | --delivered] [--limit N]',
    options: { pending: { type: 'boolean' }, failed: { type: 'boolean' }, delivered: { type: 'boolean' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const chosen = (['pending', 'failed', 'delivered'] as const).filter((k) => v[k]);
        if (chosen.length > 1) throw new CliUsageError('--pending、--failed、--delivered 只能选一个 / choose one of --pending, --failed, --delivered');
        const limit = one(v, 'limit', false);
        if (limit && !/^\d+$/.test(limit)) throw new CliUsageError(`--limit: 应为正整数 / expected a positive integer, got ${limit}`);
        const rows = await listOutbox(app, { status: chosen[0], limit: limit ? Number(limit) : 100 });
        return {
          json: { deliveries: rows },
          text:
            rows.map((r) => `${r.id}\t${r.status}\t${r.client_id}\t${r.reason}\tattempts ${r.attempts}\t${r.last_status ?? '-'}\t${r.last_error ?? ''}`).join('\n') ||
            '(none)',
        };
      }),
  },
};
