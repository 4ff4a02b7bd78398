// Verification of the audit chains (service.ts runs it in one repeatable-read snapshot): streams
// every record in seq order, page by page, following each chain's links, and reports the first bad
// record (modified row, deleted row, spliced row, a key this node does not hold, or a head that
// disagrees with its chain's newest row).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { UnknownAuditKeyError, type Keyring } from '../crypto/keyring.ts';
import { GENESIS_HASH, chainHash, linkedSeq } from './chain.ts';
import * as store from './store.ts';
import type { ChainHead } from './store.ts';
import type { AuditBadReason, AuditVerifyResult } from './types.ts';
import type { AuditEventName } from './events.ts';

export const PURGE_EVENT: AuditEventName = 'audit.purge';

export interface ChainStart {
  seq: number;
  /** the seq and hash its first kept record links to (0 and GENESIS_HASH at the start of the chain) */
  prevSeq: number;
  prevHash: string;
}

export interface ChainWalk {
  result: AuditVerifyResult;
  heads: ChainHead[];
  /** each chain's oldest remaining record */
  firsts: Map<number, ChainStart>;
  /** `${chain}:${seq}` -> hash of the last record a verified purge record deleted from that chain */
  purges: Map<string, string>;
}

export const anchorKey = (chain: number, seq: number) => `${chain}:${seq}`;

/** The anchors a purge record vouches for: one per chain (`anchors`), or chain 1's alone in records from before chains. */
function purgeAnchors(detail: Record<string, unknown>): ChainHead[] {
  if (Array.isArray(detail.anchors)) {
    return detail.anchors.filter((a): a is ChainHead => typeof a?.chain === 'number' && typeof a?.seq === 'number' && typeof a?.hash === 'string');
  }
  const { through_seq: seq, anchor: hash } = detail;
  return typeof seq === 'number' && typeof hash === 'string' ? [{ chain: 1, seq, hash }] : [];
}

export async function walkChain(db: Kysely<Database>, keyring: Keyring, pageSize: number): Promise<ChainWalk> {
  const heads = await store.readHeads(db);
  let records = 0;
  const firsts = new Map<number, ChainStart>();
  const lasts = new Map<number, { seq: number; hash: string }>();
  const purges = new Map<string, string>();
  const done = (result: AuditVerifyResult): ChainWalk => ({ result, heads, firsts, purges });
  const bad = (seq: number, reason: AuditBadReason, counted = records) => done({ ok: false, records: counted, firstBad: { seq, reason } });

  let seen = 0; // the last seq read: seqs rise across all chains, a repeated one is a copied row
  for (let cursor = { seq: 0, chain: 0 }; ; ) {
    const page = await store.pageAfter(db, cursor, pageSize);
    for (const row of page) {
      if (row.seq <= seen) return bad(row.seq, 'prev_mismatch');
      seen = row.seq;
      const prevSeq = linkedSeq(row);
      let mac: string;
      try {
        mac = chainHash(keyring, row.prev_hash, row);
      } catch (err) {
        if (err instanceof UnknownAuditKeyError) return bad(row.seq, 'unknown_key');
        throw err;
      }
      if (mac !== row.hash) return bad(row.seq, 'hash_mismatch');
      // a key retired by a reseal (or the key-id-less legacy one) chained nothing after its last seq in
      // each chain: a record there was written by someone holding an old key
      const through = keyring.auditKeyThrough(row.key_id, row.chain);
      if (through !== undefined && row.seq > through) return bad(row.seq, 'unknown_key');
      const last = lasts.get(row.chain);
      if (last === undefined) {
        firsts.set(row.chain, { seq: row.seq, prevSeq, prevHash: row.prev_hash });
        if (prevSeq === 0 && row.prev_hash !== GENESIS_HASH) return bad(row.seq, 'prev_mismatch');
      } else if (row.prev_hash !== last.hash || prevSeq !== last.seq) {
        // the record it links to is gone (deleted), or the link itself was forged
        return prevSeq > last.seq ? bad(prevSeq, 'missing') : bad(row.seq, 'prev_mismatch');
      }
      if (row.event === PURGE_EVENT && row.outcome === 'success') {
        for (const a of purgeAnchors(row.detail)) purges.set(anchorKey(a.chain, a.seq), a.hash);
      }
      lasts.set(row.chain, { seq: row.seq, hash: row.hash });
      records++;
    }
    if (page.length < pageSize) break;
    cursor = page[page.length - 1];
  }

  // A missing prefix is fine only when a verified purge record vouches for it.
  for (const [chain, f] of firsts) {
    if (f.prevSeq > 0 && purges.get(anchorKey(chain, f.prevSeq)) !== f.prevHash) return bad(f.prevSeq, 'missing', 0);
  }
  for (const head of heads) {
    const last = lasts.get(head.chain);
    lasts.delete(head.chain);
    if (last === undefined) {
      // no records: a chain not yet used, or one a purge emptied (its last record is the anchor)
      if (head.seq === 0 ? head.hash !== GENESIS_HASH : purges.get(anchorKey(head.chain, head.seq)) !== head.hash) return bad(head.seq || 1, 'head_mismatch');
    } else if (head.seq !== last.seq) {
      return bad(Math.min(head.seq, last.seq) + 1, 'head_mismatch');
    } else if (head.hash !== last.hash) {
      return bad(last.seq, 'head_mismatch');
    }
  }
  // records of a chain whose head row is gone
  const orphan = lasts.values().next();
  if (!orphan.done) return bad(orphan.value.seq, 'head_mismatch');
  return done({ ok: true, records });
}

