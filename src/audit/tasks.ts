// The audit chain's background tasks: signed checkpoints into AUDIT_CHECKPOINT_DIR, and retention
// (next months' partitions, purge of records older than AUDIT_RETENTION_DAYS).
import type { AppContext } from '../context.ts';
import type { BackgroundTask } from '../feature.ts';
import { logger } from '../log.ts';
import fs from 'node:fs';
import type { AuditLog } from './service.ts';
import type { PurgeResult } from './retention.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { rememberCheckpointKey } from './checkpoint-keys.ts';
import { canonicalJson } from './chain.ts';
import { headsOf } from './reach.ts';
import { CheckpointExistsError, CheckpointSigner, checkSignature, checkpointFiles, parseCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.ts';

const RETENTION_EVERY_MS = 6 * 3600_000;
/** how soon after start the first run comes: nodes restarted more often than the interval still run them */
const FIRST_RUN_MS = 60_000;

/** Runs `run` at most every `everyMs`, the first time about a minute after the server starts. */
function every(name: string, everyMs: number, run: () => Promise<void>): BackgroundTask {
  let last = 0;
  return {
    name,
    everyMs: Math.min(everyMs, FIRST_RUN_MS),
    async run() {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
      await run();
    },
  };
}

export async function makeCheckpoint(app: AppContext, signer = CheckpointSigner.fromConfig(app.config)): Promise<Checkpoint> {
  return signer.sign(await app.audit.head(), new Date());
}

/** The newest checkpoint in `dir` that parses and is signed by a trusted key; others are logged and passed over. */
function lastOwnCheckpoint(dir: string, trusted: string[]): Checkpoint | null {
  if (!fs.existsSync(dir)) return null;
  for (const file of checkpointFiles(dir).reverse()) {
    const cp = parseCheckpoint(fs.readFileSync(file, 'utf8'));
    const fault = cp === null ? 'malformed' : checkSignature(cp, trusted);
    if (cp !== null && fault === null) return cp;
    logger.warn({ file, fault }, 'not one of our audit checkpoints; passed over');
  }
  return null;
}

/**
 * One run of the periodic task. Before it vouches for the head it checks that the chain still
 * reaches the last checkpoint: signing a head after someone cut the chain back would cover it up.
 */
export async function checkpointIntoDir(db: Kysely<Database>, audit: AuditLog, signer: CheckpointSigner, dir: string): Promise<'written' | 'unchanged' | 'refused'> {
  // the newest checkpoint by this key or one used before (a master-key rotation changes a derived key)
  const trusted = await rememberCheckpointKey(db, signer.publicKey);
  const last = lastOwnCheckpoint(dir, trusted);
  if (last !== null) {
    const reason = await audit.stillReaches(last);
    if (reason !== null) {
      logger.error({ reason, checkpoint_seq: last.seq }, 'ALARM: the audit chain no longer reaches the last checkpoint; no new checkpoint signed until an administrator investigates (yitong audit verify --checkpoint DIR)');
      return 'refused';
    }
  }
  const cp = signer.sign(await audit.head(), new Date());
  if (last !== null && sameHeads(last, cp)) return 'unchanged';
  let file: string;
  try {
    file = writeCheckpoint(cp, { dir });
  } catch (err) {
    if (!(err instanceof CheckpointExistsError)) throw err;
    // another node signed this seq first, or this node did while a chain still had a lower seq to
    // commit: fine while that checkpoint is still reached (the newer heads get signed at the next
    // append); a checkpoint the chains no longer reach is not
    const there = parseCheckpoint(fs.readFileSync(err.file, 'utf8'));
    if (there && (sameHeads(there, cp) || (checkSignature(there, trusted) === null && (await audit.stillReaches(there)) === null))) return 'unchanged';
    logger.error({ file: err.file, seq: cp.seq }, 'ALARM: a checkpoint for this seq names another hash; not overwritten');
    return 'refused';
  }
  logger.info({ seq: cp.seq, file, key_id: cp.key_id }, 'audit checkpoint written');
  return 'written';
}

const sameHeads = (a: Checkpoint, b: Checkpoint) => canonicalJson(headsOf(a)) === canonicalJson(headsOf(b));

export async function runRetention(app: AppContext, actor: string | null): Promise<PurgeResult> {
  return app.audit.purgeExpired(app.config.audit.retentionDays, { actor });
}

export function auditTasks(app: AppContext): BackgroundTask[] {
  const tasks: BackgroundTask[] = [
    every('audit-retention', RETENTION_EVERY_MS, async () => {
      const r = await runRetention(app, 'system:retention');
      if (r.deleted) logger.info({ ...r }, 'audit records past the retention period purged');
    }),
  ];
  const dir = app.config.audit.checkpointDir;
  if (dir) {
    const signer = CheckpointSigner.fromConfig(app.config);
    tasks.push(
      every('audit-checkpoint', app.config.audit.checkpointIntervalSeconds * 1000, async () => void (await checkpointIntoDir(app.db, app.audit, signer, dir))),
    );
  }
  return tasks;
}
