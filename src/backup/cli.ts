// `yitong backup` and `yitong restore`: a copy of the embedded database, signed with a key derived
// from the master key. On PostgreSQL both refuse and point to the operations guide (README.md).
import fs from 'node:fs';
import path from 'node:path';
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { loadKeyring } from '../crypto/master-key.ts';
import { AppError } from '../errors.ts';
import { backupEmbedded, restoreEmbedded } from './embedded.ts';

export const backupCommands: Record<string, Command> = {
  backup: {
    summary: { 'zh-CN': '备份内嵌数据库（服务运行时也可）', en: 'back up the embedded database (also while the server runs)' },
    usage: 'yitong backup --out FILE',
    options: { out: { type: 'string' } },
    async run(env, v) {
      const out = env.path(one(v, 'out')!);
      if (env.config.databaseUrl) throw new AppError('backup.postgres', 'unsupported');
      return withApp(env, async (app) => {
        const r = await backupEmbedded(app, out, env.actor);
        return {
          json: { file: r.file, bytes: r.bytes, created: r.created, migration: r.migration, fingerprint: r.fingerprint, suite: r.suite },
          text: `备份已写入 / backup written: ${r.file} (${r.bytes} bytes, ${r.created}, migration ${r.migration}, master key ${r.fingerprint})`,
        };
      });
    },
  },

  restore: {
    summary: { 'zh-CN': '从备份文件恢复内嵌数据库（服务须停止）', en: 'restore the embedded database from a backup file (server stopped)' },
    usage: 'yitong restore FILE [--force]',
    options: { force: { type: 'boolean' } },
    async run(env, v, positionals) {
      const { config } = env;
      if (config.databaseUrl) throw new AppError('backup.postgres', 'unsupported');
      // handed to a running server (cli/host.ts): that server holds DATA_DIR, so nothing is written
      if (env.hosted) throw new AppError('backup.server_running', 'conflict', undefined, { dir: config.dataDir });
      if (positionals.length !== 1) throw new CliUsageError('缺少备份文件 / name one backup file\nusage: yitong restore FILE [--force]');
      // a fresh DATA_DIR would get a newly generated key: the backup needs the one it was made with
      if (!config.masterKey && !fs.existsSync(path.join(config.dataDir, 'master.key'))) throw new AppError('backup.no_master_key', 'invalid_input');
      const r = await restoreEmbedded(config, loadKeyring(config), env.path(positionals[0]), v.force === true);
      return {
        json: { restored: true, replaced: r.replaced, created: r.created, migration: r.migration, fingerprint: r.fingerprint },
        text: `已恢复 / restored ${config.dataDir} from the backup of ${r.created} (migration ${r.migration})${r.replaced ? '; the previous database was replaced' : ''}. Start the server to apply newer migrations.`,
      };
    },
  },
};
