// What a node checks before it serves: the data was sealed under this master key and suite, or a
// reseal towards exactly this configuration is in progress. Also loads the audit keys retired by
// earlier reseals, so old audit records still verify.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { metaStore } from '../db/meta-store.ts';
import type { AuditKeyBound, Keyring } from './keyring.ts';
import type { CryptoSuite } from './suites.ts';

export const META = {
  fingerprint: 'master_key_fingerprint',
  suite: 'crypto_suite',
  reseal: 'crypto_reseal',
  retiredAuditKeys: 'audit_retired_keys',
  retiredIndexKeys: 'blind_index_retired_keys',
  /** the last seq chained under the key-id-less 'legacy' key (migration 0016) */
  legacyAuditThrough: 'audit_legacy_through',
} as const;
export const RETIRED_AAD = 'meta.audit_retired_keys';
export const RETIRED_INDEX_AAD = 'meta.blind_index_retired_keys';

export interface CryptoTarget {
  suite: CryptoSuite;
  fingerprint: string;
}

export interface ResealState {
  from: CryptoTarget;
  to: CryptoTarget;
  /** registry entries done, and the last key reached in the entry in progress */
  done: string[];
  cursor: { entry: string; after: unknown[] } | null;
  started: string;
}

export interface RetiredAuditKey {
  id: string;
  suite: CryptoSuite;
  sealed: string;
  /** sealed (sealBound): each chain's head seq when the reseal that retired it finished; no genuine record under it comes later in that chain */
  through?: string;
}

/** The node's key or suite does not fit the data: it refuses to start (the CLI prints the message, no stack). */
export class CryptoMismatchError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export class WrongMasterKeyError extends CryptoMismatchError {
  constructor() {
    super(
      'master_key.mismatch',
      '主密钥与数据库不匹配：数据库是用另一个 YITONG_MASTER_KEY 初始化的。\n' +
        'The master key does not match this database: it was initialised with a different YITONG_MASTER_KEY.',
    );
  }
}

export class WrongCryptoSuiteError extends CryptoMismatchError {
  constructor(data: string, configured: string) {
    super(
      'crypto.suite_mismatch',
      `密码套件与数据库不匹配：数据按 ${data} 加密，而 CRYPTO_SUITE=${configured}。请设置 CRYPTO_SUITE=${data}，或用 yitong crypto reseal --suite ${configured} 转换数据。\n` +
        `The crypto suite does not match this database: its data is sealed with ${data} but CRYPTO_SUITE=${configured}. Set CRYPTO_SUITE=${data}, or convert the data with yitong crypto reseal --suite ${configured}.`,
    );
  }
}

export class ResealInProgressError extends CryptoMismatchError {
  constructor(to: CryptoTarget, mine: CryptoTarget) {
    const key = to.fingerprint === mine.fingerprint ? '' : `，并以 YITONG_NEW_MASTER_KEY 提供新主密钥（指纹 ${to.fingerprint}）`;
    const keyEn = to.fingerprint === mine.fingerprint ? '' : `, with the new master key (fingerprint ${to.fingerprint}) as YITONG_NEW_MASTER_KEY`;
    super(
      'crypto.reseal_in_progress',
      `正在重新加密数据（目标套件 ${to.suite}）：节点须以 CRYPTO_SUITE=${to.suite} 启动${key}。\n` +
        `A reseal is in progress (target suite ${to.suite}): start nodes with CRYPTO_SUITE=${to.suite}${keyEn}.`,
    );
  }
}

export async function readReseal(db: Kysely<Database>): Promise<ResealState | null> {
  const raw = await metaStore.get(db, META.reseal);
  return raw ? (JSON.parse(raw) as ResealState) : null;
}

/** The suite and key the stored data is under (recorded on first start; databases from before suites are intl). */
export async function dataTarget(db: Kysely<Database>, keyring: Keyring): Promise<CryptoTarget> {
  const existing = await metaStore.get(db, META.fingerprint);
  const fingerprint = existing ?? (await metaStore.putIfAbsent(db, META.fingerprint, keyring.fingerprint));
  const suite = (await metaStore.putIfAbsent(db, META.suite, existing ? 'intl' : keyring.suite)) as CryptoSuite;
  return { suite, fingerprint };
}

export async function checkCrypto(db: Kysely<Database>, keyring: Keyring): Promise<void> {
  const data = await dataTarget(db, keyring);
  const mine: CryptoTarget = { suite: keyring.suite, fingerprint: keyring.fingerprint };
  const reseal = await readReseal(db);
  if (reseal) {
    // during a reseal nodes write the target form and read both; they must hold the source key too
    const readsSource = reseal.from.fingerprint === mine.fingerprint || reseal.from.fingerprint === keyring.previousFingerprint;
    if (reseal.to.suite !== mine.suite || reseal.to.fingerprint !== mine.fingerprint || !readsSource) throw new ResealInProgressError(reseal.to, mine);
    keyring.resealing = true;
  } else {
    if (data.fingerprint !== mine.fingerprint) throw new WrongMasterKeyError();
    if (data.suite !== mine.suite) throw new WrongCryptoSuiteError(data.suite, mine.suite);
  }
  await loadRetiredAuditKeys(db, keyring);
}

const boundAad = (keyId: string) => `${RETIRED_AAD}.through:${keyId}`;

/** Seals a retired key's bound: chain -> the last seq it chained there (`{"1":22,"2":17}`). */
export function sealBound(keyring: Keyring, keyId: string, bound: AuditKeyBound): string {
  return keyring.seal(JSON.stringify(Object.fromEntries(bound)), boundAad(keyId));
}

/** A retired key's bound, null when it has none (yet), 'invalid' when it does not open. A bare number (sealed before chains) is chain 1's. */
export function openBound(keyring: Keyring, k: RetiredAuditKey): AuditKeyBound | null | 'invalid' {
  if (k.through === undefined) return null;
  const seq = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  try {
    const v = JSON.parse(keyring.open(k.through, boundAad(k.id))) as unknown;
    if (seq(v)) return new Map([[1, v as number]]);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'invalid';
    const entries = Object.entries(v).map(([c, n]) => [Number(c), n] as const);
    return entries.every(([c, n]) => seq(c) && seq(n)) ? new Map(entries as [number, number][]) : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** The audit keys earlier reseals retired, as recorded in meta (each sealed under the key it moved to). */
export async function readRetiredAuditKeys(db: Kysely<Database>): Promise<RetiredAuditKey[]> {
  const raw = await metaStore.get(db, META.retiredAuditKeys);
  return raw ? (JSON.parse(raw) as RetiredAuditKey[]) : [];
}

/** Audit MAC and blind-index keys recorded by earlier reseals (sealed under the key they moved to). */
export async function loadRetiredAuditKeys(db: Kysely<Database>, keyring: Keyring): Promise<void> {
  const resealing = (await readReseal(db)) !== null;
  for (const k of await readRetiredAuditKeys(db)) {
    keyring.addRetiredAuditKey(k.id, k.suite, Buffer.from(keyring.open(k.sealed, RETIRED_AAD), 'base64'));
    const bound = openBound(keyring, k);
    // no bound outside a reseal, or one that does not open: removed or altered, so the key vouches for nothing
    if (bound instanceof Map) keyring.boundAuditKey(k.id, bound);
    else if (bound === 'invalid' || !resealing) keyring.boundAuditKey(k.id, new Map());
  }
  const legacy = await metaStore.get(db, META.legacyAuditThrough);
  if (legacy !== undefined) keyring.boundAuditKey('legacy', new Map([[1, Number(legacy)]])); // legacy records are all in chain 1
  const index = await metaStore.get(db, META.retiredIndexKeys);
  for (const k of index ? (JSON.parse(index) as Omit<RetiredAuditKey, 'id'>[]) : []) {
    keyring.addRetiredIndexKey(k.suite, Buffer.from(keyring.open(k.sealed, RETIRED_INDEX_AAD), 'base64'));
  }
}
