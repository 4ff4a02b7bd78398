// Audit anchoring and retention settings (issue 13).
import path from 'node:path';
import { ConfigError } from './env.ts';

export interface AuditConfig {
  /** where the periodic task writes signed checkpoints (AUDIT_CHECKPOINT_DIR); null: no periodic checkpoints */
  checkpointDir: string | null;
  /** AUDIT_CHECKPOINT_INTERVAL_SECONDS (default 3600) */
  checkpointIntervalSeconds: number;
  /** AUDIT_CHECKPOINT_KEY: SM2 private key, 64 hex; null: derived from the master key */
  checkpointKey: string | null;
  /** AUDIT_RETENTION_DAYS (default 365, at least 184: GB/T 22239 level 3 wants six months) */
  retentionDays: number;
}

export const MIN_AUDIT_RETENTION_DAYS = 184;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, rule: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ConfigError(`${name}: ${rule}, got "${raw}"`);
  return Number(raw);
}

export function loadAuditConfig(env: NodeJS.ProcessEnv): AuditConfig {
  const key = env.AUDIT_CHECKPOINT_KEY?.trim() || null;
  if (key !== null && !/^[0-9a-fA-F]{64}$/.test(key)) {
    throw new ConfigError('AUDIT_CHECKPOINT_KEY: 应为 64 位十六进制 SM2 私钥 / must be an SM2 private key of 64 hex digits');
  }
  return {
    checkpointDir: env.AUDIT_CHECKPOINT_DIR?.trim() ? path.resolve(env.AUDIT_CHECKPOINT_DIR.trim()) : null,
    checkpointIntervalSeconds: integer(env, 'AUDIT_CHECKPOINT_INTERVAL_SECONDS', 3600, 1, '应为正整数秒 / must be a positive number of seconds'),
    checkpointKey: key ? key.toLowerCase() : null,
    retentionDays: integer(
      env,
      'AUDIT_RETENTION_DAYS',
      365,
      MIN_AUDIT_RETENTION_DAYS,
      `审计记录至少保存 ${MIN_AUDIT_RETENTION_DAYS} 天 / audit records are kept at least ${MIN_AUDIT_RETENTION_DAYS} days`,
    ),
  };
}
