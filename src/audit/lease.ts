// Which chain this process appends to. A lease in audit_head (holder, lease_until) keeps other
// processes off it; the head's row lock, taken on every append, is what keeps a chain whole, so a
// lease that ran out or is contested costs a wait, never a fork. Each append renews the lease.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import * as store from './store.ts';

/** a chain idle this long may be taken by another process */
export const LEASE_MS = 60_000;
/** how long concurrent first appends wait for the process's claim under way */
const CLAIM_WAIT_MS = 200;
/** new chains started in a row before giving up (only a storm of processes starting at once gets near) */
const CLAIM_ATTEMPTS = 20;

export class ChainLease {
  /** who leases a chain: this process, unmistakably */
  readonly holder = `${os.hostname().slice(0, 40)}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  #chain: number | null = null;
  /** a claim under way in this process: concurrent first appends wait for it (briefly) instead of claiming chains of their own */
  #claiming: Promise<void> | null = null;

  /**
   * This process's chain, head locked until the transaction ends (the one it leases, else a free one,
   * else a new one), with `n` seqs drawn past its head.
   */
  async lock(db: Kysely<Database>, n: number): Promise<store.LockedHead & { seqs: number[] }> {
    // A claim under way: take its chain rather than claim another. The wait is bounded because it is
    // invisible to PostgreSQL's deadlock detector (the claim's insert of a new chain can wait on another
    // process that waits on this caller's transaction). A chain the claim has just inserted is not yet
    // visible to this transaction: then this caller claims one of its own, as without the wait.
    if (this.#chain === null && this.#claiming) await within(this.#claiming, CLAIM_WAIT_MS);
    if (this.#chain !== null) {
      const head = await store.lockChain(db, this.#chain, this.holder, n);
      // taken by another process while this one was idle past its lease: append here this once
      // (the lock keeps the chain whole) and find another chain next time
      if (head?.foreign) this.#chain = null;
      if (head) return { ...head, seqs: await seqsPast(db, head, head.seqs) };
    }
    let claimed!: () => void;
    const mine = new Promise<void>((resolve) => (claimed = resolve));
    this.#claiming = mine;
    try {
      const head = await this.#claim(db);
      this.#chain = head.chain;
      claimed();
      // once per process (and per lost lease): a sequence left behind the heads by a restore moves on
      await store.advanceSeq(db);
      return { ...head, seqs: await seqsPast(db, head, await store.nextSeqs(db, n)) };
    } finally {
      claimed();
      if (this.#claiming === mine) this.#claiming = null;
    }
  }

  async #claim(db: Kysely<Database>): Promise<store.LockedHead> {
    for (let i = 0; i < CLAIM_ATTEMPTS; i++) {
      const head = (await store.claimChain(db, this.holder)) ?? (await store.newChain(db, this.holder, LEASE_MS));
      if (head) return head;
    }
    throw new Error('audit: no chain could be claimed or started');
  }

  /** Moves the head after an append and renews the lease. */
  moveHead(db: Kysely<Database>, chain: number, seq: number, hash: string): Promise<void> {
    return store.updateHead(db, chain, seq, hash, { holder: this.holder, ms: LEASE_MS });
  }

  /**
   * Gives the chains back (graceful shutdown), so the next process appends to them instead of starting
   * others. Usually one; more after a lost lease, or when concurrent first appends met a chain just
   * started and not yet committed.
   */
  async release(db: Kysely<Database>): Promise<void> {
    this.#chain = null;
    await store.releaseChains(db, this.holder);
  }
}

/**
 * Seqs drawn before a wait for the lock can lie behind the head another transaction just moved (or
 * the sequence fell behind the heads): drawn again after moving the sequence past the heads, they
 * lie past every seq drawn before, so they rise along the chain.
 */
async function seqsPast(db: Kysely<Database>, head: store.ChainHead, seqs: number[]): Promise<number[]> {
  if (seqs[0] > head.seq) return seqs;
  await store.advanceSeq(db);
  return store.nextSeqs(db, seqs.length);
}

/** Waits for `p`, at most `ms`. */
async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()))]);
  clearTimeout(timer);
}
