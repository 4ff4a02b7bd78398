// `yitong crypto reseal`: re-encrypts every column of the registry (sealed-columns.ts) under the
// configured suite and master key, and rebuilds the blind indexes. One transaction per batch, the
// position kept in meta with it: killed at any point, it resumes where the last batch committed.
// Values already in the target form are skipped, so running it twice is harmless.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { metaStore } from '../db/meta-store.ts';
import type { Keyring } from './keyring.ts';
import { resealStore } from './reseal-store.ts';
import { SEALED_TABLES, type SealedTable } from './sealed-columns.ts';
import {
  META, RETIRED_AAD, RETIRED_INDEX_AAD, ResealInProgressError, WrongMasterKeyError, dataTarget, loadRetiredAuditKeys, readReseal,
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
  const retired: RetiredAuditKey[] = keyring.auditKeysToRetire().map((k) => ({ id: k.id, suite: k.suite, sealed: keyring.seal(k.key.toString('base64'), RETIRED_AAD) }));
  const retiredIndex = keyring.indexKeysToRetire().map((k) => ({ suite: k.suite, sealed: keyring.seal(k.key.toString('base64'), RETIRED_INDEX_AAD) }));
  const state: ResealState = { from, to, done: [], cursor: null, started: new Date().toISOString() };
  await db.transaction().execute(async (trx) => {
    await metaStore.set(trx, META.retiredAuditKeys, JSON.stringify(retired));
    await metaStore.set(trx, META.retiredIndexKeys, JSON.stringify(retiredIndex));
    await metaStore.set(trx, META.reseal, JSON.stringify(state));
  });
  return state;
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
  let rows = 0;
  let changed = 0;
  for (const t of SEALED_TABLES) {
    if (state.done.includes(t.table)) continue;
    let after = state.cursor?.entry === t.table ? state.cursor.after : null;
    for (;;) {
      const batch = await resealStore.batch(db, t, after, opts.batchSize ?? 500);
      if (!batch.length) break;
      let n = 0;
      await db.transaction().execute(async (trx) => {
        for (const row of batch) {
          const set = resealRow(keyring, t, row);
          if (set && (await resealStore.update(trx, t, row, set))) n++;
        }
        after = t.key.map((k) => keyValue(batch[batch.length - 1][k]));
        state.cursor = { entry: t.table, after };
        await metaStore.set(trx, META.reseal, JSON.stringify(state));
      });
      rows += batch.length;
      changed += n;
      await opts.onBatch?.({ table: t.table, rows: batch.length, changed: n });
    }
    state.done.push(t.table);
    state.cursor = null;
    await metaStore.set(db, META.reseal, JSON.stringify(state));
  }
  await db.transaction().execute(async (trx) => {
    await metaStore.set(trx, META.fingerprint, to.fingerprint);
    await metaStore.set(trx, META.suite, to.suite);
    await metaStore.delete(trx, META.reseal);
  });
  return { from: state.from, to, rows, changed, alreadyDone: false };
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
