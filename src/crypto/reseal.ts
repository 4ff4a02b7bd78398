// `yitong crypto reseal`: re-encrypts every column of the registry (sealed-columns.ts) under the
// configured suite and master key, and rebuilds the blind indexes. One transaction per batch, the
// position kept in meta with it: killed at any point, it resumes where the last batch committed.
// Values already in the target form are skipped, so running it twice is harmless.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { metaStore } from '../db/meta-store.ts';
import * as auditStore from '../audit/store.ts';
import { newestHead } from '../audit/chain.ts';
import type { Keyring } from './keyring.ts';
import { resealStore } from './reseal-store.ts';
import { SEALED_TABLES, type SealedTable } from './sealed-columns.ts';
import {
  CryptoMismatchError, META, RETIRED_AAD, RETIRED_INDEX_AAD, ResealInProgressError, openBound, sealBound, WrongMasterKeyError, dataTarget, loadRetiredAuditKeys, readReseal, readRetiredAuditKeys,
  type CryptoTarget, type ResealState, type RetiredAuditKey,
} from './startup.ts';

export interface ResealProgress {
  table: string;
  rows: number;
  changed: number;
}

export interface ResealResult {
  from: CryptoTarget;
  to: CryptoTarget;
  rows: number;
  changed: number;
  alreadyDone: boolean;
}

const same = (a: CryptoTarget, b: CryptoTarget) => a.suite === b.suite && a.fingerprint === b.fingerprint;

/**
 * Marks the reseal as begun (nodes may then start with the target settings) and records the audit
 * and blind-index keys in use so far, sealed under the target key, so old audit records keep
 * verifying and keyed hashes that cannot be rebuilt (recovery codes, legacy login names) still match.
 */
export async function beginReseal(db: Kysely<Database>, keyring: Keyring): Promise<ResealState | null> {
  const to: CryptoTarget = { suite: keyring.suite, fingerprint: keyring.fingerprint };
  const existing = await readReseal(db);
  if (existing) {
    if (!same(existing.to, to)) throw new ResealInProgressError(existing.to, to);
    await loadRetiredAuditKeys(db, keyring);
    return existing;
  }
  const from = await dataTarget(db, keyring);
  if (same(from, to)) return null;
  if (from.fingerprint !== keyring.fingerprint && from.fingerprint !== keyring.previousFingerprint) throw new WrongMasterKeyError();
  await loadRetiredAuditKeys(db, keyring);
  // bounds set by earlier reseals carry over, sealed under the target key like the keys themselves
  const bounds = new Map((await readRetiredAuditKeys(db)).map((k) => [k.id, openBound(keyring, k)]));
  const retired: RetiredAuditKey[] = keyring.auditKeysToRetire().map((k) => {
    const bound = bounds.get(k.id);
    return { id: k.id, suite: k.suite, sealed: keyring.seal(k.key.toString('base64'), RETIRED_AAD), ...(bound instanceof Map ? { through: sealBound(keyring, k.id, bound) } : {}) };
  });
  const retiredIndex = keyring.indexKeysToRetire().map((k) => ({ suite: k.suite, sealed: keyring.seal(k.key.toString('base64'), RETIRED_INDEX_AAD) }));
  const state: ResealState = { from, to, done: [], cursor: null, started: new Date().toISOString() };
  await db.transaction().execute(async (trx) => {
    await metaStore.set(trx, META.retiredAuditKeys, JSON.stringify(retired));
    await metaStore.set(trx, META.retiredIndexKeys, JSON.stringify(retiredIndex));
    await metaStore.set(trx, META.reseal, JSON.stringify(state));
  });
  return state;
}

/** how often a batch's row is re-read and redone when nodes keep rewriting it meanwhile */
const ROW_ATTEMPTS = 10;
/** full check passes after the first walk: nodes still on the old settings may write old forms behind it */
const SETTLE_PASSES = 3;

export class ResealUnsettledError extends CryptoMismatchError {
  constructor(left: number) {
    const zh = left ? `最后一轮又有 ${left} 行需要转换` : '最后一轮中有节点以旧密钥写入审计记录';
    const en = left ? `${left} rows needed converting in the last pass` : 'audit records were appended under an old key during the last pass';
    super(
      'crypto.reseal_unsettled',
      `仍有节点在以旧的密码设置运行（${zh}）。请以目标设置重启所有节点，然后再次运行 yitong crypto reseal（从中断处继续）。\n` +
        `Nodes are still running with the old crypto settings (${en}). Restart every node with the target settings, then run yitong crypto reseal again (it resumes).`,
    );
  }
}

export async function runReseal(
  db: Kysely<Database>,
  keyring: Keyring,
  opts: { batchSize?: number; onBatch?: (p: ResealProgress) => void | Promise<void> } = {},
): Promise<ResealResult> {
  const state = await beginReseal(db, keyring);
  const to: CryptoTarget = { suite: keyring.suite, fingerprint: keyring.fingerprint };
  if (!state) return { from: to, to, rows: 0, changed: 0, alreadyDone: true };
  keyring.resealing = true;
  const limit = opts.batchSize ?? 500;
  let rows = 0;
  let changed = 0;
  for (const t of SEALED_TABLES) {
    if (state.done.includes(t.table)) continue;
    const r = await walkTable(db, keyring, t, limit, state.cursor?.entry === t.table ? state.cursor.after : null, async (trx, after) => {
      state.cursor = { entry: t.table, after };
      await metaStore.set(trx, META.reseal, JSON.stringify(state));
    }, opts.onBatch);
    rows += r.rows;
    changed += r.changed;
    state.done.push(t.table);
    state.cursor = null;
    await metaStore.set(db, META.reseal, JSON.stringify(state));
  }
  // The target is recorded only when a whole pass finds nothing left in an old form and no node
  // appended audit records under a key being retired meanwhile (a node still on the old settings).
  for (let pass = 1; ; pass++) {
    const from = newestHead(await auditStore.readHeads(db)).seq;
    let left = 0;
    for (const t of SEALED_TABLES) left += (await walkTable(db, keyring, t, limit, null, null, opts.onBatch)).changed;
    changed += left;
    if (left === 0 && (await finish(db, keyring, to, from))) break;
    if (pass === SETTLE_PASSES) throw new ResealUnsettledError(left);
  }
  return { from: state.from, to, rows, changed, alreadyDone: false };
}

/** Reseals one table in key order from `after`, a transaction per batch (`save` records the position in it). */
async function walkTable(
  db: Kysely<Database>,
  keyring: Keyring,
  t: SealedTable,
  limit: number,
  after: unknown[] | null,
  save: ((trx: Kysely<Database>, after: unknown[]) => Promise<void>) | null,
  onBatch?: (p: ResealProgress) => void | Promise<void>,
): Promise<{ rows: number; changed: number }> {
  let rows = 0;
  let changed = 0;
  for (;;) {
    const batch = await resealStore.batch(db, t, after, limit);
    if (!batch.length) break;
    let n = 0;
    const last = t.key.map((k) => keyValue(batch[batch.length - 1][k]));
    await db.transaction().execute(async (trx) => {
      for (const row of batch) if (await resealOne(trx, keyring, t, row)) n++;
      await save?.(trx, last);
    });
    after = last;
    rows += batch.length;
    changed += n;
    await onBatch?.({ table: t.table, rows: batch.length, changed: n });
  }
  return { rows, changed };
}

/**
 * Rewrites one row; when a node changed its sealed columns since they were read (the guarded update
 * matches nothing), reads the row again and redoes it, so no row is passed over in the old form.
 */
async function resealOne(trx: Kysely<Database>, keyring: Keyring, t: SealedTable, row: Record<string, unknown> | null): Promise<boolean> {
  for (let attempt = 1; row !== null; attempt++) {
    const set = resealRow(keyring, t, row);
    if (!set) return false;
    if (await resealStore.update(trx, t, row, set)) return true;
    if (attempt === ROW_ATTEMPTS) throw new ResealUnsettledError(1);
    row = await resealStore.row(trx, t, t.key.map((k) => row![k]));
  }
  return false; // deleted meanwhile
}

/**
 * Records the target, with every chain's head locked so that no append slips in: the keys this reseal
 * retires chained nothing genuine past each chain's head (their bound, per chain, sealed). False, and
 * nothing written, when a record under one of them was appended since `since`.
 */
async function finish(db: Kysely<Database>, keyring: Keyring, to: CryptoTarget, since: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const { heads } = await auditStore.lockHeads(trx);
    const through = new Map(heads.map((h) => [h.chain, h.seq]));
    const all = await readRetiredAuditKeys(trx);
    const retiring = all.filter((k) => k.through === undefined).map((k) => k.id);
    if (await auditStore.appendedUnderSince(trx, retiring, since)) return false;
    const retired = all.map((k) => (k.through === undefined ? { ...k, through: sealBound(keyring, k.id, through) } : k));
    await metaStore.set(trx, META.retiredAuditKeys, JSON.stringify(retired));
    await metaStore.set(trx, META.fingerprint, to.fingerprint);
    await metaStore.set(trx, META.suite, to.suite);
    await metaStore.delete(trx, META.reseal);
    return true;
  });
}

const keyValue = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

/** The new values of one row's sealed and index columns, or null when nothing changes. */
function resealRow(keyring: Keyring, t: SealedTable, row: Record<string, unknown>): Record<string, unknown> | null {
  const set: Record<string, unknown> = {};
  const plain: Record<string, string> = {};
  for (const c of t.sealed) {
    const v = row[c.column];
    if (typeof v !== 'string') continue;
    const aad = c.aad(row);
    plain[c.column] = keyring.open(v, aad);
    if (keyring.needsReseal(v, aad)) set[c.column] = keyring.seal(plain[c.column], aad);
  }
  for (const i of t.indexes ?? []) {
    if (plain[i.from] === undefined) continue;
    const bidx = keyring.blindIndex(i.kind(row), plain[i.from]);
    if (bidx !== row[i.column]) set[i.column] = bidx;
  }
  return Object.keys(set).length ? set : null;
}
