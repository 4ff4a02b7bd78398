// zh-CN / en messages of `yitong backup` and `yitong restore` (error codes double as message keys).

export const BACKUP_MESSAGES = {
  'backup.not_a_backup': { 'zh-CN': '该文件不是一通备份文件', en: 'This file is not a Yitong backup file' },
  'backup.damaged': {
    'zh-CN': '备份文件已损坏、被截断或被篡改（完整性校验未通过），未写入任何数据',
    en: 'The backup file is damaged, truncated or altered (its integrity check failed); nothing was written',
  },
  'backup.format_unsupported': {
    'zh-CN': '备份文件格式版本 {version} 不受本版本支持，请使用创建它的版本或更新版本恢复',
    en: 'Backup format version {version} is not supported by this version; restore with the version that made it or a newer one',
  },
  'backup.wrong_key': {
    'zh-CN': '备份文件由另一把主密钥创建（备份指纹 {backup}，当前指纹 {current}）；请设置创建备份时的 YITONG_MASTER_KEY，未写入任何数据',
    en: 'The backup was made under another master key (backup fingerprint {backup}, current {current}); set the YITONG_MASTER_KEY it was made with. Nothing was written',
  },
  'backup.newer_schema': {
    'zh-CN': '备份来自更新的版本（数据库迁移 {migration}），本版本无法使用；请用相同或更新的版本恢复',
    en: 'The backup comes from a newer version (database migration {migration}); restore it with the same or a newer version',
  },
  'backup.postgres': {
    'zh-CN': '使用 PostgreSQL（已设置 DATABASE_URL）时，yitong backup / restore 不可用：请按 README.md 运维指南「备份与恢复」使用 pg_basebackup 加 WAL 归档，或 pg_dump / pg_restore',
    en: 'With PostgreSQL (DATABASE_URL set) yitong backup / restore do not apply: follow "Backup and recovery" in the README.md operations guide (pg_basebackup with WAL archiving, or pg_dump / pg_restore)',
  },
  'backup.server_running': {
    'zh-CN': '服务正在使用数据目录 {dir}：恢复前请先停止服务（yitong restore 不会在服务运行时写入）',
    en: 'A server is running on the data directory {dir}: stop it before restoring (yitong restore never writes under a running server)',
  },
  'backup.target_not_empty': {
    'zh-CN': '数据目录 {dir} 中已有数据库；如确需用备份替换它，请在服务停止后加 --force',
    en: 'The data directory {dir} already holds a database; to replace it with the backup, stop the server and add --force',
  },
  'backup.no_master_key': {
    'zh-CN': '未设置 YITONG_MASTER_KEY，且数据目录中没有 master.key：请提供创建备份时的主密钥（备份文件不包含主密钥）',
    en: 'YITONG_MASTER_KEY is not set and the data directory holds no master.key: provide the master key the backup was made with (backups never contain it)',
  },
} as const;
