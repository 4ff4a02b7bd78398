// EXPERIMENT (BENCH_EXPERIMENT=batch-audit), not production code: a prototype of group commit for
// the audit chain, to measure what it would save. Appends made outside a caller's transaction are
// queued; one transaction at a time takes everything queued, locks the head once, chains and
// inserts all records with one multi-row INSERT, moves the head once and commits: 4 statements and
// one commit per batch instead of 5 statements and one commit per record. Each caller's promise
// resolves when its record is committed, as with AuditLog.append.
//
// It mirrors AuditLog.append's record preparation (src/audit/service.ts `prepare`) closely enough
// for a cost estimate; the real change belongs in src/audit/service.ts.
import type { AppContext } from '../../src/context.ts';
import type { AuditEvent } from '../../src/audit/service.ts';
import { chainHash } from '../../src/audit/chain.ts';
import { scrubDetail, scrubText } from '../../src/audit/scrub.ts';
import { lockHead, updateHead } from '../../src/audit/store.ts';

const MAX_BATCH = 500;

function text(v: string | null | undefined): string | null {
  if (v === undefined || v === null || v === '') return null;
  return scrubText(String(v)).slice(0, 256);
}

export function batchedAppend(app: AppContext): (e: AuditEvent) => Promise<void> {
  let queue: { e: AuditEvent; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;

  async function flush() {
    flushing = true;
    try {
      while (queue.length) {
        const batch = queue.slice(0, MAX_BATCH);
        queue = queue.slice(batch.length);
        try {
          await app.db.transaction().execute(async (trx) => {
            const head = await lockHead(trx);
            let prev = head.hash;
            let seq = head.seq;
            const rows = batch.map(({ e }) => {
              const fields = {
                seq: ++seq,
                at: head.now,
                actor: text(e.actor),
                event: e.event,
                outcome: e.outcome,
                client_id: text(e.clientId),
                ip: text(e.ip),
                detail: scrubDetail(e.detail),
                key_id: app.keyring.auditKeyId,
              };
              const hash = chainHash(app.keyring, prev, fields);
              const row = { ...fields, detail: JSON.stringify(fields.detail), prev_hash: prev, hash };
              prev = hash;
              return row;
            });
            await trx.insertInto('audit_log').values(rows).execute();
            await updateHead(trx, seq, prev);
          });
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return (e) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ e, resolve, reject });
      if (!flushing) void flush();
    });
}
