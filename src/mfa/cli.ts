// `yitong person reset-mfa` (counter staff or the hotline, after checking who is asking).
import { withApp, type Command } from '../cli/commands.ts';
import { one } from '../cli/io.ts';
import { resetMfa } from './reset.ts';

export const mfaCommands: Record<string, Command> = {
  'person reset-mfa': {
    summary: {
      'zh-CN': '重置两步验证（删除验证器、通行密钥和恢复码，结束其所有会话）',
      en: 'reset two-step verification (authenticator, passkeys and recovery codes removed; every session ends)',
    },
    usage: 'yitong person reset-mfa --id-number ID [--reason TEXT]',
    options: { 'id-number': { type: 'string' }, reason: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await resetMfa(app, one(v, 'id-number')!, env.actor, one(v, 'reason', false));
        return {
          json: {
            sub: r.sub,
            totp_removed: r.removed.totp,
            passkeys_removed: r.removed.passkeys,
            recovery_codes_removed: r.removed.recoveryCodes,
            sessions_ended: r.ended.sessions,
            grants_revoked: r.ended.grants,
            logouts_queued: r.ended.queued,
          },
          text:
            `已重置两步验证 / two-step verification reset: ${r.sub} (${r.maskedId}); ` +
            `authenticator ${r.removed.totp ? 'removed' : 'none'}, ${r.removed.passkeys} passkey(s), ${r.removed.recoveryCodes} recovery code(s); ` +
            `${r.ended.sessions} session(s) ended, ${r.ended.grants} grant(s) revoked, ${r.ended.queued} app logout(s) queued`,
        };
      }),
  },
};
