// The embedded database allows one process per DATA_DIR. A pid file says who holds it.
import fs from 'node:fs';
import path from 'node:path';

export class DataDirInUseError extends Error {
  dir: string;
  pid: number;
  constructor(dir: string, pid: number) {
    super(
      `数据目录 ${dir} 正被进程 ${pid} 使用（内嵌数据库同一时间只允许一个进程）。请先停止该服务，或设置 DATABASE_URL 使用 PostgreSQL。\n` +
        `The data directory ${dir} is in use by process ${pid} (the embedded database allows one process at a time). ` +
        `Stop that server first, or set DATABASE_URL to use PostgreSQL.`,
    );
    this.dir = dir;
    this.pid = pid;
  }
}

/**
 * A restore killed between its two renames leaves DATA_DIR without pgdata but with the database it
 * was replacing beside it: starting would create an empty database, so the node refuses.
 */
export class InterruptedRestoreError extends Error {
  readonly code = 'backup.restore_interrupted';
  constructor(dir: string, left: string) {
    super(
      `数据目录 ${dir} 中的恢复被中断：没有 pgdata，只有被替换的旧数据库 ${left}。请再次运行 yitong restore FILE --force，或将 ${left} 改名回 pgdata 以保留恢复前的数据库。\n` +
        `A restore into ${dir} was interrupted: there is no pgdata, only the database it was replacing, ${left}. Run yitong restore FILE --force again, or rename ${left} back to pgdata to keep the database from before the restore.`,
    );
  }
}

/** Throws InterruptedRestoreError when DATA_DIR holds a replaced database but no pgdata. */
export function checkNoInterruptedRestore(dir: string): void {
  const target = path.join(dir, 'pgdata');
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) return;
  const left = fs.existsSync(dir) ? fs.readdirSync(dir).find((n) => n.startsWith('pgdata.replaced-')) : undefined;
  if (left) throw new InterruptedRestoreError(dir, path.join(dir, left));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'yitong.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) throw new DataDirInUseError(dir, pid);
      fs.unlinkSync(file); // stale lock from a process that died
    }
  }
  throw new Error(`could not lock ${dir}`);
}
