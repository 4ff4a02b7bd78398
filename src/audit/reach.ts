// Does the chain still reach a checkpointed head (seq, hash) kept outside the database? Without
// this, someone who can write the database could delete the newest records and move the head back
// (truncate), or do so and append others in their place (rewind), and the chain would verify.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { GENESIS_HASH } from './chain.ts';
import * as store from './store.ts';
import { walkChain } from './verify.ts';
import type { AuditVerifyResult } from './types.ts';

export type ReachReason = 'truncated' | 'rewound' | 'chain_broken';

export type ReachResult =
  | { ok: true; records: number; head: { seq: number; hash: string }; purged: boolean }
  | { ok: false; reason: ReachReason; head: { seq: number; hash: string }; chain: AuditVerifyResult };

export async function reaches(db: Kysely<Database>, keyring: Keyring, pageSize: number, cp: { seq: number; hash: string }): Promise<ReachResult> {
  const walk = await walkChain(db, keyring, pageSize);
  const { head, result } = walk;
  const fail = (reason: ReachReason): ReachResult => ({ ok: false, reason, head, chain: result });
  const pass = (purged: boolean): ReachResult => (result.ok ? { ok: true, records: result.records, head, purged } : fail('chain_broken'));

  if (cp.seq === 0) return cp.hash === GENESIS_HASH ? pass(false) : fail('rewound');
  if (cp.seq > head.seq) return fail('truncated');
  const stored = await store.hashAt(db, cp.seq);
  if (stored !== null) return stored === cp.hash ? pass(false) : fail('rewound');
  // no record at seq although the head is past it: purged (fine when a verified anchor covers it,
  // which the walk checks) or deleted (the walk finds the gap)
  if (walk.firstSeq !== null && cp.seq < walk.firstSeq) {
    const anchor = walk.purges.get(cp.seq);
    if (anchor !== undefined && anchor !== cp.hash) return fail('rewound');
    return pass(true);
  }
  return fail('chain_broken');
}
