// Verification of the audit chain (service.ts runs it in one repeatable-read snapshot): streams the
// chain in seq order, page by page, and reports the first bad record (modified row, gap, spliced
// row, a key this node does not hold, or a head that disagrees with the newest row).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { UnknownAuditKeyError, type Keyring } from '../crypto/keyring.ts';
import { GENESIS_HASH, chainHash } from './chain.ts';
import * as store from './store.ts';
import type { AuditBadReason, AuditVerifyResult } from './types.ts';
import type { AuditEventName } from './events.ts';

export const PURGE_EVENT: AuditEventName = 'audit.purge';

export interface ChainWalk {
  result: AuditVerifyResult;
  head: { seq: number; hash: string };
  /** the oldest remaining record's seq (null: empty chain) */
  firstSeq: number | null;
  /** through_seq -> anchor hash, from purge records whose MAC verified */
  purges: Map<number, string>;
}

export async function walkChain(db: Kysely<Database>, keyring: Keyring, pageSize: number): Promise<ChainWalk> {
  const head = await store.readHead(db);
  let records = 0;
  let first: { seq: number; prevHash: string } | null = null;
  let prev: { seq: number; hash: string } | null = null;
  const purges = new Map<number, string>();
  const done = (result: AuditVerifyResult): ChainWalk => ({ result, head, firstSeq: first?.seq ?? null, purges });
  const bad = (seq: number, reason: AuditBadReason) => done({ ok: false, records, firstBad: { seq, reason } });

  for (let cursor = 0; ; ) {
    const page = await store.pageAfter(db, cursor, pageSize);
    for (const row of page) {
      if (prev === null) {
        first = { seq: row.seq, prevHash: row.prev_hash };
        if (row.seq === 1 && row.prev_hash !== GENESIS_HASH) return bad(1, 'prev_mismatch');
      } else if (row.seq !== prev.seq + 1) {
        return bad(prev.seq + 1, 'missing');
      }
      let mac: string;
      try {
        mac = chainHash(keyring, row.prev_hash, row);
      } catch (err) {
        if (err instanceof UnknownAuditKeyError) return bad(row.seq, 'unknown_key');
        throw err;
      }
      if (mac !== row.hash) return bad(row.seq, 'hash_mismatch');
      // a key retired by a reseal (or the key-id-less legacy one) chained nothing after its last seq:
      // a record there was written by someone holding an old key
      const through = keyring.auditKeyThrough(row.key_id);
      if (through !== undefined && row.seq > through) return bad(row.seq, 'unknown_key');
      if (prev !== null && row.prev_hash !== prev.hash) return bad(row.seq, 'prev_mismatch');
      if (row.event === PURGE_EVENT && row.outcome === 'success') {
        const { through_seq: through, anchor } = row.detail;
        if (typeof through === 'number' && typeof anchor === 'string') purges.set(through, anchor);
      }
      prev = { seq: row.seq, hash: row.hash };
      records++;
    }
    if (page.length < pageSize) break;
    cursor = page[page.length - 1].seq;
  }

  // A missing prefix is fine only when a verified purge record vouches for it.
  const f = first as { seq: number; prevHash: string } | null;
  if (f !== null && f.seq > 1 && purges.get(f.seq - 1) !== f.prevHash) {
    const before = [...purges.keys()].filter((s) => s < f.seq - 1);
    return done({ ok: false, records: 0, firstBad: { seq: (before.length ? Math.max(...before) : 0) + 1, reason: 'missing' } });
  }
  const last = prev as { seq: number; hash: string } | null;
  const lastSeq = last?.seq ?? 0;
  if (head.seq !== lastSeq) return bad(Math.min(head.seq, lastSeq) + 1, 'head_mismatch');
  if (last !== null && head.hash !== last.hash) return bad(lastSeq, 'head_mismatch');
  if (last === null && head.hash !== GENESIS_HASH) return bad(1, 'head_mismatch');
  return done({ ok: true, records });
}
