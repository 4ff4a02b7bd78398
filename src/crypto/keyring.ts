// Every secret the platform derives from YITONG_MASTER_KEY: data-at-rest encryption, blind indexes
// for lookup of encrypted fields, the audit chain MAC and cookie signing keys, under the configured
// crypto suite (src/crypto/suites.ts). open() reads both sealed forms whatever the suite, and under
// both master keys during a rotation, so nodes keep serving while `yitong crypto reseal` runs.
import crypto from 'node:crypto';
import {
  type AuditKey, type CryptoSuite, type KeySet, CRYPTO_SUITES, G1_PREFIX, V1_PREFIX,
  auditKeyId, deriveKeySet, digestOf, g1Kid, openG1, openV1, sealG1, sealV1,
} from './suites.ts';

export { CRYPTO_SUITES, type CryptoSuite } from './suites.ts';

// IVs are drawn from the CSPRNG in blocks: one call per 256 seals instead of one per seal.
const IV_BLOCK = 16 * 256;

export class UnknownAuditKeyError extends Error {
  readonly keyId: string;
  constructor(keyId: string) {
    super(`未知的审计密钥标识 ${keyId}。Unknown audit key id ${keyId}.`);
    this.keyId = keyId;
  }
}

export interface KeyringOptions {
  suite?: CryptoSuite;
  /** YITONG_NEW_MASTER_KEY: during a rotation, new data is sealed under it; both keys read */
  newMaster?: Buffer;
}

export class Keyring {
  // KeyObjects, imported once: handing Node a raw Buffer key re-imports it on every call, which
  // costs several times the HMAC or cipher itself (bulk imports seal millions of values).
  readonly #write: KeySet;
  /** every key set this node can read with, the write set first */
  readonly #read: KeySet[];
  readonly #audit = new Map<string, AuditKey>();
  readonly #retired = new Map<string, AuditKey>();
  /** the last seq a retired audit key chained (records past it under that key are not genuine) */
  readonly #through = new Map<string, AuditKeyBound>();
  /** blind-index keys from before a reseal: for keyed hashes of values Yitong does not keep */
  readonly #retiredIndex: { suite: CryptoSuite; key: crypto.KeyObject }[] = [];
  #ivs = Buffer.alloc(0);
  #ivAt = 0;
  /** the suite new data is sealed and indexed with */
  readonly suite: CryptoSuite;
  readonly cookieKeys: string[];
  /** the public fingerprint of the key new data is sealed under, stored in meta to detect a wrong key */
  readonly fingerprint: string;
  /** the fingerprint of YITONG_MASTER_KEY when YITONG_NEW_MASTER_KEY is set (a rotation), else null */
  readonly previousFingerprint: string | null;
  /** set while meta says a reseal is in progress: blind-index lookups then try every suite and key */
  resealing = false;
  /** the MAC key of backup files (src/backup/format.ts), under the key new data is sealed with */
  readonly #backup: crypto.KeyObject;

  constructor(master: Buffer, opts: KeyringOptions = {}) {
    for (const k of [master, opts.newMaster]) {
      if (k && k.length < 32) throw new Error('YITONG_MASTER_KEY must hold at least 32 bytes (base64 or hex)');
    }
    this.suite = opts.suite ?? 'intl';
    const current = deriveKeySet(master);
    this.#write = opts.newMaster ? deriveKeySet(opts.newMaster) : current;
    this.#read = opts.newMaster ? [this.#write, current] : [current];
    this.fingerprint = this.#write.fingerprint;
    this.previousFingerprint = opts.newMaster ? current.fingerprint : null;
    this.cookieKeys = this.#read.map((k) => k.cookie);
    this.#backup = crypto.createSecretKey(Buffer.from(crypto.hkdfSync('sha256', opts.newMaster ?? master, 'yitong', 'backup-file/hmac-sha256', 32)));
    for (const set of this.#read) for (const s of CRYPTO_SUITES) this.#audit.set(set.audit[s].id, set.audit[s]);
    // records written before audit keys had ids were MACed with the intl key of YITONG_MASTER_KEY
    this.#audit.set('legacy', { ...current.audit.intl, id: 'legacy' });
  }

  #iv(): Buffer {
    if (this.#ivAt + 16 > this.#ivs.length) {
      this.#ivs = crypto.randomBytes(IV_BLOCK);
      this.#ivAt = 0;
    }
    const iv = this.#ivs.subarray(this.#ivAt, this.#ivAt + (this.suite === 'gm' ? 16 : 12));
    this.#ivAt += 16;
    return iv;
  }

  /** Seals under the current suite; `aad` binds the ciphertext to its column. */
  seal(plaintext: string, aad = ''): string {
    return this.suite === 'gm' ? sealG1(this.#write, this.#iv(), plaintext, aad) : sealV1(this.#write, this.#iv(), plaintext, aad);
  }

  open(sealed: string, aad = ''): string {
    if (sealed.startsWith(G1_PREFIX)) {
      const raw = Buffer.from(sealed.slice(G1_PREFIX.length), 'base64url');
      const kid = g1Kid(raw);
      const keys = this.#read.find((k) => k.kid.equals(kid));
      if (!keys) throw new Error('sealed under an unknown master key');
      return openG1(keys, raw, aad);
    }
    if (!sealed.startsWith(V1_PREFIX)) throw new Error('unknown sealed format');
    const raw = Buffer.from(sealed.slice(V1_PREFIX.length), 'base64url');
    // v1 carries no key id: during a rotation try the new key, then the old one (GCM authenticates)
    for (let i = 0; ; i++) {
      try {
        return openV1(this.#read[i], raw, aad);
      } catch (err) {
        if (i + 1 >= this.#read.length) throw err;
      }
    }
  }

  /** True when the value is not yet in the current suite's form under the current key (reseal skips the rest). */
  needsReseal(sealed: string, aad = ''): boolean {
    if (this.suite === 'gm') {
      return !(sealed.startsWith(G1_PREFIX) && g1Kid(Buffer.from(sealed.slice(3, 11), 'base64url')).equals(this.#write.kid));
    }
    if (!sealed.startsWith(V1_PREFIX)) return true;
    if (this.#read.length === 1) return false;
    try {
      openV1(this.#write, Buffer.from(sealed.slice(V1_PREFIX.length), 'base64url'), aad);
      return false;
    } catch {
      return true;
    }
  }

  /** The MAC of a backup file (header and payload): HMAC-SHA256 whatever the suite, so any node can check a file. */
  backupMac(): crypto.Hmac {
    return crypto.createHmac('sha256', this.#backup);
  }

  /** Deterministic keyed HMAC of a normalised value, for equality lookup of encrypted fields. */
  blindIndex(kind: string, normalised: string): string {
    return indexWith(this.suite, this.#write.index[this.suite], kind, normalised);
  }

  /**
   * What a lookup by blind index must match: the current index, and while a reseal is in progress
   * also the index under every other suite and key this node holds (rows not yet rebuilt).
   */
  blindIndexes(kind: string, normalised: string): string[] {
    const current = this.blindIndex(kind, normalised);
    if (!this.resealing) return [current];
    const all = new Set([current]);
    for (const set of this.#read) for (const s of CRYPTO_SUITES) all.add(indexWith(s, set.index[s], kind, normalised));
    return [...all];
  }

  /**
   * For keyed hashes a reseal cannot rebuild (the value is not kept: MFA recovery codes, legacy
   * login names): the current index, then the index under every other suite and key this node holds
   * or was given, whether or not a reseal is in progress.
   */
  lastingIndexes(kind: string, normalised: string): string[] {
    const all = new Set([this.blindIndex(kind, normalised)]);
    for (const set of this.#read) for (const s of CRYPTO_SUITES) all.add(indexWith(s, set.index[s], kind, normalised));
    for (const r of this.#retiredIndex) all.add(indexWith(r.suite, r.key, kind, normalised));
    return [...all];
  }

  addRetiredIndexKey(suite: CryptoSuite, keyBytes: Buffer): void {
    this.#retiredIndex.push({ suite, key: crypto.createSecretKey(keyBytes) });
  }

  /** The blind-index keys a reseal must keep for lastingIndexes (all but the current one). */
  indexKeysToRetire(): { suite: CryptoSuite; key: Buffer }[] {
    const current = this.#write.index[this.suite].export();
    const out = new Map<string, { suite: CryptoSuite; key: Buffer }>();
    const add = (suite: CryptoSuite, k: crypto.KeyObject) => {
      const key = k.export();
      if (!key.equals(current)) out.set(`${suite}:${key.toString('base64')}`, { suite, key });
    };
    for (const set of this.#read) for (const s of CRYPTO_SUITES) add(s, set.index[s]);
    for (const r of this.#retiredIndex) add(r.suite, r.key);
    return [...out.values()];
  }

  /** The id of the audit MAC key new records are chained with. */
  get auditKeyId(): string {
    return this.#write.audit[this.suite].id;
  }

  /** The audit chain MAC (hex) under the key of that id, by default the current one. */
  auditMac(data: string, keyId: string = this.auditKeyId): string {
    const k = this.#retired.get(keyId) ?? this.#audit.get(keyId);
    if (!k) throw new UnknownAuditKeyError(keyId);
    return crypto.createHmac(digestOf(k.suite), k.key).update(data).digest('hex');
  }

  /** Registers an audit key from before a reseal (recorded in meta); it wins over the derived ones. */
  addRetiredAuditKey(keyId: string, suite: CryptoSuite, keyBytes: Buffer): void {
    this.#retired.set(keyId, { id: keyId, suite, key: crypto.createSecretKey(keyBytes) });
  }

  /**
   * Bounds a retired audit key: in each chain named it chained records up to that seq and none after;
   * in chains not named, none at all. Given twice, the lower bound wins.
   */
  boundAuditKey(keyId: string, bound: AuditKeyBound): void {
    const had = this.#through.get(keyId);
    this.#through.set(keyId, had ? new Map([...had].filter(([c]) => bound.has(c)).map(([c, s]) => [c, Math.min(s, bound.get(c)!)])) : new Map(bound));
  }

  /** The last seq the key may have chained in `chain`, or undefined when it is not retired (or not bounded). */
  auditKeyThrough(keyId: string, chain: number): number | undefined {
    if (keyId === this.auditKeyId) return undefined;
    const bound = this.#through.get(keyId);
    return bound && (bound.get(chain) ?? 0);
  }

  /** The audit keys a reseal must keep (every one this node can derive or was given, but the current one). */
  auditKeysToRetire(): { id: string; suite: CryptoSuite; key: Buffer }[] {
    const out = new Map<string, { id: string; suite: CryptoSuite; key: Buffer }>();
    for (const k of [...this.#audit.values(), ...this.#retired.values()]) {
      if (k.id !== this.auditKeyId) out.set(k.id, { id: k.id, suite: k.suite, key: k.key.export() });
    }
    return [...out.values()];
  }
}

function indexWith(suite: CryptoSuite, key: crypto.KeyObject, kind: string, normalised: string): string {
  return crypto.createHmac(digestOf(suite), key).update(kind).update('\0').update(normalised).digest('base64url');
}

export { auditKeyId };

export function parseMasterKey(raw: string): Buffer {
  const trimmed = raw.trim();
  const buf = /^[0-9a-fA-F]{64,}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (buf.length < 32) throw new Error('YITONG_MASTER_KEY must decode to at least 32 bytes (base64 or hex)');
  return buf;
}

export function generateMasterKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

/** A retired audit key's bound: chain -> the last seq it chained there. */
export type AuditKeyBound = ReadonlyMap<number, number>;

/** Constant-time string equality (length leaks only through the hash). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
