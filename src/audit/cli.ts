// `yitong audit ...`: list and verify the audit trail, sign checkpoints of it, purge it.
import fs from 'node:fs';
import { withApp, type CliEnv, type Command } from '../cli/commands.ts';
import { CliUsageError, many, one, type CommandResult } from '../cli/io.ts';
import type { AppContext } from '../context.ts';
import { knownCheckpointKeys, rememberCheckpointKey } from './checkpoint-keys.ts';
import { CheckpointExistsError, CheckpointSigner, checkpointFiles, checkSignature, parseCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';
import { makeCheckpoint, runRetention } from './tasks.ts';
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

    summary: { 'zh-CN': '校验审计链完整性（可对照签名检查点）', en: 'verify the audit chain (and that it still reaches a signed checkpoint)' },
    usage: 'yitong audit verify [--checkpoint FILE|DIR] [--public-key HEX ...]',
    options: { checkpoint: { type: 'string' }, 'public-key': { type: 'string', multiple: true } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const at = one(v, 'checkpoint', false);
        if (at === undefined) {
          const r = await app.audit.verify();
          if (!r.ok) {
            return { exitCode: 1, json: r as unknown as Record<string, unknown>, text: `审计链已损坏 / audit chain BROKEN at seq ${r.firstBad.seq} (${r.firstBad.reason}); ${r.records} records checked` };
          }
          return { json: r as unknown as Record<string, unknown>, text: `audit chain ok: ${r.records} records` };
        }
        return verifyCheckpoint(env, app, env.path(at), many(v, 'public-key'));
      }),
  },

  'audit checkpoint': {
    summary: { 'zh-CN': '签发审计链头检查点（SM2）', en: 'sign the audit chain head (SM2 checkpoint)' },
    usage: 'yitong audit checkpoint [--out FILE]',
    options: { out: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const cp = await makeCheckpoint(app);
        await rememberCheckpointKey(app.db, cp.public_key);
        const out = one(v, 'out', false);
        if (out === undefined) return { json: cp as unknown as Record<string, unknown>, text: JSON.stringify(cp) };
        let file: string;
        try {
          file = writeCheckpoint(cp, { file: env.path(out) });
        } catch (err) {
          if (err instanceof CheckpointExistsError) throw new CliUsageError(`--out: ${err.message}`);
          throw err;
        }
        return { json: { ...cp, file }, text: `checkpoint seq ${cp.seq} (${cp.key_id}) written to ${file}` };
      }),
  },

  'audit purge': {
    summary: { 'zh-CN': '清理超过保存期限的审计记录', en: 'purge audit records past AUDIT_RETENTION_DAYS' },
    usage: 'yitong audit purge',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const r = await runRetention(app, env.actor);
        if (r.postponed) {
          return { exitCode: 1, json: r as unknown as Record<string, unknown>, text: '审计日志正被长时间读取（校验或导出），清理已推迟，请稍后重试 / a long read (verify, export) holds the audit log: purge postponed, try again later' };
        }
        return { json: r as unknown as Record<string, unknown>, text: r.deleted ? `purged ${r.deleted} records through seq ${r.throughSeq} (partitions dropped: ${r.droppedPartitions.join(', ') || 'none'})` : 'nothing to purge' };
      }),
  },
};

const REASONS: Record<string, string> = {
  malformed: '不是审计检查点文件 / not an audit checkpoint file',
  bad_signature: '检查点签名无效 / the checkpoint signature is invalid',
  wrong_key: '检查点由其他密钥签名 / the checkpoint is signed by another key (re-signed?)',
  truncated: '审计链已被截断，未到达检查点 / the chain was truncated: it no longer reaches the checkpoint',
  rewound: '审计链已被回滚改写，检查点处记录不同 / the chain was rewound: the record at the checkpoint differs',
  chain_broken: '审计链已损坏 / the audit chain is broken',
};

/** `--checkpoint FILE|DIR`: every checkpoint in a directory must carry our signature and be reached by the chain. */
async function verifyCheckpoint(env: CliEnv, app: AppContext, at: string, publicKeys: string[]): Promise<CommandResult> {
  for (const k of publicKeys) if (!/^04[0-9a-fA-F]{128}$/.test(k)) throw new CliUsageError('--public-key: 应为 130 位十六进制 SM2 公钥 / expected an uncompressed SM2 public key (130 hex digits, 04...)');
  const files = fs.existsSync(at) ? checkpointFiles(at) : [];
  if (files.length === 0) throw new CliUsageError(`--checkpoint: 找不到检查点 / no checkpoint at ${at}`);
  // given keys, else this deployment's: the configured signer's and those it signed with before
  const trusted = publicKeys.length ? publicKeys : [CheckpointSigner.fromConfig(env.config).publicKey, ...(await knownCheckpointKeys(app.db))];
  const fail = (reason: string, file: string, extra: Record<string, unknown> = {}): CommandResult => ({
    exitCode: 1,
    json: { ok: false, reason, checkpoint: file, ...extra },
    text: `${REASONS[reason]} (${reason}; ${file})`,
  });
  const cps: Checkpoint[] = [];
  for (const file of files) {
    const cp = parseCheckpoint(fs.readFileSync(file, 'utf8'));
    if (cp === null) return fail('malformed', file);
    const fault = checkSignature(cp, trusted);
    if (fault) return fail(fault, file, { seq: cp.seq, key_id: cp.key_id });
    cps.push(cp);
  }
  const r = await app.audit.verifyReaches(cps);
  if (!r.ok) {
    const cp = cps[r.at];
    const where = r.chain.ok ? '' : ` — seq ${r.chain.firstBad.seq} (${r.chain.firstBad.reason})`;
    return { ...fail(r.reason, files[r.at], { seq: cp.seq, head: r.head, chain: r.chain }), text: `${REASONS[r.reason]}${where} (${r.reason}; checkpoint seq ${cp.seq}, head seq ${r.head.seq}; ${files[r.at]})` };
  }
  const newest = cps[cps.length - 1];
  return {
    json: { ok: true, records: r.records, checkpoint: files[files.length - 1], checkpoints: files.length, seq: newest.seq, head: r.head, purged: r.purged },
    text: `audit chain ok: ${r.records} records; reaches ${files.length > 1 ? `all ${files.length} checkpoints, the newest` : 'checkpoint'} seq ${newest.seq} (${newest.time}, ${newest.key_id})${r.purged ? ' (older ones through a verified purge anchor)' : ''}; head seq ${r.head.seq}`,
  };
}
