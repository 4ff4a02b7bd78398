// Every secret the platform derives from YITONG_MASTER_KEY: data-at-rest encryption, blind indexes
// for lookup of encrypted fields, the audit chain MAC and cookie signing keys.
import crypto from 'node:crypto';

const SEAL_PREFIX = 'v1.';

/** A record MAC'd under a key this keyring does not hold (verify reports it as `unknown_key`). */
export class UnknownAuditKeyError extends Error {
  override name = 'UnknownAuditKeyError';
  readonly keyId: string;
  constructor(keyId: string) {
    super(`unknown audit key id ${JSON.stringify(keyId)}`);
    this.keyId = keyId;
  }
}

// Nonces are drawn from the CSPRNG in blocks: one call per 256 seals instead of one per seal.
const NONCE = 12;
const NONCE_BLOCK = NONCE * 256;

export class Keyring {
  // KeyObjects, imported once: handing Node a raw Buffer key re-imports it on every call, which
  // costs several times the HMAC or AES-GCM itself (bulk imports seal millions of values).
  readonly #seal: crypto.KeyObject;
  readonly #index: crypto.KeyObject;
  readonly #audit: crypto.KeyObject;
  readonly #backup: crypto.KeyObject;
  #nonces = Buffer.alloc(0);
  #nonceAt = 0;
  readonly cookieKeys: string[];
  /** a public fingerprint of the master key, stored in the database to detect a wrong key */
  readonly fingerprint: string;
  /** id of the audit MAC key, stored with every audit record ('intl-' + 8 hex of a derived fingerprint) */
  readonly auditKeyId: string;

  constructor(master: Buffer) {
    if (master.length < 32) throw new Error('YITONG_MASTER_KEY must hold at least 32 bytes (base64 or hex)');
    const derive = (info: string) => Buffer.from(crypto.hkdfSync('sha256', master, 'yitong', info, 32));
    this.#seal = crypto.createSecretKey(derive('seal/aes-256-gcm'));
    this.#index = crypto.createSecretKey(derive('blind-index/hmac-sha256'));
    this.#audit = crypto.createSecretKey(derive('audit-chain/hmac-sha256'));
    this.#backup = crypto.createSecretKey(derive('backup-file/hmac-sha256'));
    this.cookieKeys = [derive('cookies').toString('base64url')];
    this.fingerprint = derive('fingerprint').toString('base64url').slice(0, 16);
    this.auditKeyId = 'intl-' + derive('audit-chain/key-id').toString('hex').slice(0, 8);
  }

  #nonce(): Buffer {
    if (this.#nonceAt + NONCE > this.#nonces.length) {
      this.#nonces = crypto.randomBytes(NONCE_BLOCK);
      this.#nonceAt = 0;
    }
    const iv = this.#nonces.subarray(this.#nonceAt, this.#nonceAt + NONCE);
    this.#nonceAt += NONCE;
    return iv;
  }

  /** AES-256-GCM with a random 96-bit nonce; `aad` binds the ciphertext to its column. */
  seal(plaintext: string, aad = ''): string {
    const iv = this.#nonce();
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#seal, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return SEAL_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
  }

  open(sealed: string, aad = ''): string {
    if (!sealed.startsWith(SEAL_PREFIX)) throw new Error('unknown sealed format');
    const raw = Buffer.from(sealed.slice(SEAL_PREFIX.length), 'base64url');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#seal, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** Deterministic keyed HMAC of a normalised value, for equality lookup of encrypted fields. */
  blindIndex(kind: string, normalised: string): string {
    return crypto.createHmac('sha256', this.#index).update(kind).update('\0').update(normalised).digest('base64url');
  }

  /** The MAC of a backup file (header and payload), src/backup/format.ts. */
  backupMac(): crypto.Hmac {
    return crypto.createHmac('sha256', this.#backup);
  }

  /** `keyId`: the record's key id; undefined, the current id and 'legacy' (records before key ids) use the current key. */
  auditMac(data: string, keyId?: string): string {
    if (keyId !== undefined && keyId !== this.auditKeyId && keyId !== 'legacy') throw new UnknownAuditKeyError(keyId);
    return crypto.createHmac('sha256', this.#audit).update(data).digest('hex');
  }
}

export function parseMasterKey(raw: string): Buffer {
  const trimmed = raw.trim();
  const buf = /^[0-9a-fA-F]{64,}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (buf.length < 32) throw new Error('YITONG_MASTER_KEY must decode to at least 32 bytes (base64 or hex)');
  return buf;
}

export function generateMasterKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

/** Constant-time string equality (length leaks only through the hash). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
