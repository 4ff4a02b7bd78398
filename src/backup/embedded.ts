// Backup and restore of the embedded database (PGlite under DATA_DIR). A backup is taken on the
// open database, the running server's when one runs (cli/host.ts), with every statement held off
// while the data directory is copied. A restore never runs under a server: it unpacks the copy
// into a temp directory beside DATA_DIR/pgdata, checks it, and renames it into place.
import fs from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context.ts';
import type { Config } from '../config/env.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { embeddedDump } from '../db/connect.ts';
import { lockDataDir } from '../db/dir-lock.ts';
import { AppError } from '../errors.ts';
import { migrations } from '../../migrations/index.ts';
import { decodeBackup, encodeBackup, type BackupHeader } from './format.ts';
import { backupStore } from './store.ts';

export async function backupEmbedded(app: AppContext, out: string, actor: string): Promise<BackupHeader & { file: string; bytes: number }> {
  const dump = embeddedDump(app.db);
  if (!dump) throw new AppError('backup.postgres', 'unsupported');
  const migration = await backupStore.lastMigration(app.db);
  const created = new Date().toISOString();
  const payload = await dump();
  const file = encodeBackup(app.keyring, { created, migration, suite: app.keyring.suite, database: 'pglite' }, payload);
  // written beside the target and renamed: a reader never sees half a backup under its name
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, file, { mode: 0o600 });
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const header = decodeBackup(app.keyring, file).header;
  // after the copy, so not in it: the live database records who took a copy of everyone's data
  await app.audit.append({ event: 'backup.create', outcome: 'success', actor, detail: { file: out, bytes: file.length, created, migration } });
  return { ...header, file: out, bytes: file.length };
}

const hasDatabase = (dir: string) => fs.existsSync(dir) && fs.readdirSync(dir).length > 0;

export async function restoreEmbedded(config: Config, keyring: Keyring, from: string, force: boolean): Promise<BackupHeader & { replaced: boolean }> {
  // everything is checked before anything is written
  const { header, payload } = decodeBackup(keyring, fs.readFileSync(from));
  if (!(header.migration in migrations)) throw new AppError('backup.newer_schema', 'unsupported', undefined, { migration: header.migration });
  const unlock = lockDataDir(config.dataDir); // DataDirInUseError while any process holds it
  const target = path.join(config.dataDir, 'pgdata');
  const tmp = path.join(config.dataDir, `pgdata.restore-${process.pid}`);
  try {
    const replaced = hasDatabase(target);
    if (replaced && !force) throw new AppError('backup.target_not_empty', 'conflict', undefined, { dir: config.dataDir });
    fs.rmSync(tmp, { recursive: true, force: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = await PGlite.create(tmp, { loadDataDir: new Blob([new Uint8Array(payload)]) });
    let copy;
    try {
      copy = await backupStore.describeCopy(lite);
    } finally {
      await lite.close();
    }
    // the MAC already vouches for the payload; this guards against a backup taken of a broken copy
    if (copy.migration !== header.migration || !copy.fingerprints.includes(header.fingerprint)) throw new AppError('backup.damaged', 'unprocessable', 'contents');
    if (replaced) {
      const old = path.join(config.dataDir, `pgdata.replaced-${process.pid}`);
      fs.renameSync(target, old);
      try {
        fs.renameSync(tmp, target);
      } catch (err) {
        fs.renameSync(old, target); // put the previous database back
        throw err;
      }
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.rmSync(target, { recursive: true, force: true }); // an empty directory
      fs.renameSync(tmp, target);
    }
    return { ...header, replaced };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    unlock();
  }
}
