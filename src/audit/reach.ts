// Does the chain still reach checkpointed heads (seq, hash) kept outside the database? Without
// this, someone who can write the database could delete the newest records and move the head back
// (truncate), or do so and append others in their place (rewind), and the chain would verify.
// Every checkpoint is checked, not just the newest: after a rewind a later checkpoint may have
// been signed over the rewritten chain, but the earlier ones still name the records that were lost.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { GENESIS_HASH } from './chain.ts';
import * as store from './store.ts';
import { walkChain, type ChainWalk } from './verify.ts';
import type { AuditVerifyResult } from './types.ts';

export type ReachReason = 'truncated' | 'rewound' | 'chain_broken';

export interface Head {
  seq: number;
  hash: string;
}

export type ReachResult =
  | { ok: true; records: number; head: Head; purged: boolean }
  /** `at`: the index (in the list given) of the first checkpoint the chain does not reach */
  | { ok: false; reason: ReachReason; head: Head; chain: AuditVerifyResult; at: number };

/** Checks the whole chain once, then each checkpoint against it; `purged` when any was reached only through a purge anchor. */
export async function reaches(db: Kysely<Database>, keyring: Keyring, pageSize: number, cps: readonly Head[]): Promise<ReachResult> {
  const walk = await walkChain(db, keyring, pageSize);
  const { head, result } = walk;
  let purged = false;
  for (const [i, cp] of cps.entries()) {
    const r = await reachesOne(db, walk, cp);
    if (r !== 'ok' && r !== 'purged') return { ok: false, reason: r, head, chain: result, at: i };
    purged ||= r === 'purged';
  }
  if (!result.ok) return { ok: false, reason: 'chain_broken', head, chain: result, at: 0 };
  return { ok: true, records: result.records, head, purged };
}

/** The checkpoint against the record at its seq; 'gone' when there is none although the head is past it. */
async function reachAt(db: Kysely<Database>, cp: Head, headSeq: number): Promise<ReachReason | 'ok' | 'gone'> {
  if (cp.seq === 0) return cp.hash === GENESIS_HASH ? 'ok' : 'rewound';
  if (cp.seq > headSeq) return 'truncated';
  const stored = await store.hashAt(db, cp.seq);
  if (stored === null) return 'gone';
  return stored === cp.hash ? 'ok' : 'rewound';
}

async function reachesOne(db: Kysely<Database>, walk: ChainWalk, cp: Head): Promise<ReachReason | 'ok' | 'purged'> {
  const at = await reachAt(db, cp, walk.head.seq);
  if (at !== 'gone') return at;
  // purged (fine when a verified anchor covers it, which the walk checks) or deleted (the walk finds the gap)
  if (walk.firstSeq !== null && cp.seq < walk.firstSeq) {
    const anchor = walk.purges.get(cp.seq);
    return anchor !== undefined && anchor !== cp.hash ? 'rewound' : 'purged';
  }
  return 'chain_broken';
}

/**
 * The cheap check the periodic task makes before signing a new head: the newest earlier checkpoint
 * is still reached (its record is there with its hash, or lies before the oldest kept record). Not
 * a full verification; it stops the task from vouching for a chain that was cut back.
 */
export async function headStillReaches(db: Kysely<Database>, cp: Head): Promise<ReachReason | null> {
  const at = await reachAt(db, cp, (await store.readHead(db)).seq);
  if (at !== 'gone') return at === 'ok' ? null : at;
  // gone before the oldest record: fine only when a purge says it dropped that far (else a deleted prefix)
  const first = await store.firstSeq(db);
  const purged = await store.lastPurgeThrough(db);
  return first !== null && cp.seq < first && purged !== null && purged >= first - 1 ? null : 'chain_broken';
}
