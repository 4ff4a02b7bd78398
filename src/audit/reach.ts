// Do the chains still reach checkpointed heads kept outside the database? Without this, someone who
// can write the database could delete the newest records and move a head back (truncate), or do so
// and append others in their place (rewind), and the chains would verify. Every checkpoint is
// checked, not just the newest: after a rewind a later checkpoint may have been signed over the
// rewritten chain, but the earlier ones still name the records that were lost.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { GENESIS_HASH, newestHead } from './chain.ts';
import * as store from './store.ts';
import type { ChainHead } from './store.ts';
import { anchorKey, walkChain, type ChainWalk } from './verify.ts';
import type { AuditVerifyResult } from './types.ts';

export type ReachReason = 'truncated' | 'rewound' | 'chain_broken';

/** What a checkpoint names: the newest record (seq, hash) and, when there are several chains, every chain's head. */
export interface Head {
  seq: number;
  hash: string;
  heads?: readonly ChainHead[];
}

export type ReachResult =
  | { ok: true; records: number; head: Head; purged: boolean }
  /** `at`: the index (in the list given) of the first checkpoint the chain does not reach */
  | { ok: false; reason: ReachReason; head: Head; chain: AuditVerifyResult; at: number };

/** The chain heads a checkpoint names (one before there were several: chain 1's). */
export function headsOf(cp: Head): readonly ChainHead[] {
  return cp.heads ?? [{ chain: 1, seq: cp.seq, hash: cp.hash }];
}

/** What a checkpoint signs: the newest head, and all of them when there is more than one chain. */
export function checkpointHead(heads: readonly ChainHead[]): Head {
  const newest = newestHead(heads);
  return heads.length > 1 ? { seq: newest.seq, hash: newest.hash, heads } : { seq: newest.seq, hash: newest.hash };
}

/** Checks the whole chain once, then each checkpoint against it; `purged` when any was reached only through a purge anchor. */
export async function reaches(db: Kysely<Database>, keyring: Keyring, pageSize: number, cps: readonly Head[]): Promise<ReachResult> {
  const walk = await walkChain(db, keyring, pageSize);
  const { result } = walk;
  const head = checkpointHead(walk.heads);
  let purged = false;
  for (const [i, cp] of cps.entries()) {
    for (const h of headsOf(cp)) {
      const r = await reachesOne(db, walk, h);
      if (r !== 'ok' && r !== 'purged') return { ok: false, reason: r, head, chain: result, at: i };
      purged ||= r === 'purged';
    }
  }
  if (!result.ok) return { ok: false, reason: 'chain_broken', head, chain: result, at: 0 };
  return { ok: true, records: result.records, head, purged };
}

/** The checkpointed head against the record at its seq; 'gone' when there is none although the chain's head is past it. */
async function reachAt(db: Kysely<Database>, cp: ChainHead, heads: readonly ChainHead[]): Promise<ReachReason | 'ok' | 'gone'> {
  if (cp.seq === 0) return cp.hash === GENESIS_HASH ? 'ok' : 'rewound';
  const now = heads.find((h) => h.chain === cp.chain);
  if (now === undefined || cp.seq > now.seq) return 'truncated';
  const stored = await store.hashAt(db, cp.seq, cp.chain);
  if (stored === null) return 'gone';
  return stored === cp.hash ? 'ok' : 'rewound';
}

async function reachesOne(db: Kysely<Database>, walk: ChainWalk, cp: ChainHead): Promise<ReachReason | 'ok' | 'purged'> {
  const at = await reachAt(db, cp, walk.heads);
  if (at !== 'gone') return at;
  // in the prefix the chain's oldest kept record links past (or a chain with none left): purged, fine
  // when a verified anchor covers it, which the walk checks; the head of an emptied chain too
  const first = walk.firsts.get(cp.chain);
  const anchor = walk.purges.get(anchorKey(cp.chain, cp.seq));
  if (first === undefined || (cp.seq < first.seq && first.prevSeq >= cp.seq)) return anchor !== undefined && anchor !== cp.hash ? 'rewound' : 'purged';
  // a record the checkpoint named is gone from the middle: cut back and continued, or deleted (the walk says)
  return walk.result.ok ? 'rewound' : 'chain_broken';
}

/**
 * The cheap check the periodic task makes before signing new heads: the newest earlier checkpoint
 * is still reached (its records are there with their hashes, or lie before the oldest kept records
 * where a purge went). Not a full verification; it stops the task from vouching for a chain that
 * was cut back.
 */
export async function headStillReaches(db: Kysely<Database>, cp: Head): Promise<ReachReason | null> {
  const heads = await store.readHeads(db);
  let purgedThrough: Promise<number | null> | undefined; // read once, and only when a record is gone
  for (const h of headsOf(cp)) {
    const at = await reachAt(db, h, heads);
    if (at === 'ok') continue;
    if (at !== 'gone') return at;
    // gone before the chain's oldest record: fine only when a purge went at least as far as that record links (else a deleted prefix)
    const first = await store.firstInChain(db, h.chain);
    const purged = await (purgedThrough ??= store.lastPurgeThrough(db));
    // a chain started afresh (its oldest record links to before the checkpoint's): cut back and continued
    if (first !== null && first.prevSeq < h.seq) return 'rewound';
    const reach = first === null ? h.seq : first.prevSeq;
    if (purged === null || purged < reach) return 'chain_broken';
  }
  return null;
}
