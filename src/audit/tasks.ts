// The audit chain's background tasks: signed checkpoints into AUDIT_CHECKPOINT_DIR, and retention
// (next months' partitions, purge of records older than AUDIT_RETENTION_DAYS).
import type { AppContext } from '../context.ts';
import type { BackgroundTask } from '../feature.ts';
import { logger } from '../log.ts';
import { CheckpointSigner, writeCheckpoint, type Checkpoint } from './checkpoint.ts';

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

export async function runRetention(app: AppContext, actor: string | null): Promise<{ deleted: number; throughSeq: number | null; droppedPartitions: string[] }> {
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
      every('audit-checkpoint', app.config.audit.checkpointIntervalSeconds * 1000, async () => {
        const cp = await makeCheckpoint(app, signer);
        const file = writeCheckpoint(cp, { dir });
        logger.info({ seq: cp.seq, file, key_id: cp.key_id }, 'audit checkpoint written');
      }),
    );
  }
  return tasks;
}
