// The two crypto suites and the keys each derives from one master key.
// intl: AES-256-GCM ('v1.'), HMAC-SHA256, HKDF-SHA256 (unchanged since the first release).
// gm:   SM4-CBC + HMAC-SM3 encrypt-then-MAC ('g1.'), HMAC-SM3, HKDF-SM3 (GB/T 39786: SM algorithms).
// Node's OpenSSL has sm4-cbc and sm3 but no sm4-gcm, hence encrypt-then-MAC.
import crypto from 'node:crypto';

export const CRYPTO_SUITES = ['intl', 'gm'] as const;
export type CryptoSuite = (typeof CRYPTO_SUITES)[number];

export const V1_PREFIX = 'v1.';
export const G1_PREFIX = 'g1.';
const KID = 4; // g1: which master key sealed it, so open() needs no trial decryption during a rotation
const IV = 16;
const TAG = 32;

export interface AuditKey {
  id: string;
  suite: CryptoSuite;
  key: crypto.KeyObject;
}

/** Every key one master key yields, for both suites (KeyObjects, imported once: see Keyring). */
export interface KeySet {
  /** public fingerprint of the master key, stored in meta to detect a wrong key */
  fingerprint: string;
  kid: Buffer;
  aes: crypto.KeyObject;
  sm4: crypto.KeyObject;
  sm3mac: crypto.KeyObject;
  index: Record<CryptoSuite, crypto.KeyObject>;
  audit: Record<CryptoSuite, AuditKey>;
  cookie: string;
}

export const digestOf = (suite: CryptoSuite) => (suite === 'gm' ? 'sm3' : 'sha256');

/** The public id of an audit MAC key: suite plus 8 hex of a hash of the key. */
export function auditKeyId(suite: CryptoSuite, key: crypto.KeyObject): string {
  const h = crypto.createHash(digestOf(suite)).update('yitong audit key id\0').update(key.export()).digest('hex');
  return `${suite}-${h.slice(0, 8)}`;
}

export function deriveKeySet(master: Buffer): KeySet {
  const intl = (info: string, n = 32) => Buffer.from(crypto.hkdfSync('sha256', master, 'yitong', info, n));
  const gm = (info: string, n = 32) => Buffer.from(crypto.hkdfSync('sm3', master, 'yitong', info, n));
  const secret = crypto.createSecretKey;
  const intlAudit = secret(intl('audit-chain/hmac-sha256'));
  const gmAudit = secret(gm('gm/audit-chain/hmac-sm3'));
  return {
    fingerprint: intl('fingerprint').toString('base64url').slice(0, 16),
    kid: gm('gm/key-id', KID),
    aes: secret(intl('seal/aes-256-gcm')),
    sm4: secret(gm('gm/seal/sm4-cbc', 16)),
    sm3mac: secret(gm('gm/seal/hmac-sm3')),
    index: { intl: secret(intl('blind-index/hmac-sha256')), gm: secret(gm('gm/blind-index/hmac-sm3')) },
    audit: {
      intl: { id: auditKeyId('intl', intlAudit), suite: 'intl', key: intlAudit },
      gm: { id: auditKeyId('gm', gmAudit), suite: 'gm', key: gmAudit },
    },
    cookie: intl('cookies').toString('base64url'),
  };
}

export function sealV1(keys: KeySet, iv: Buffer, plaintext: string, aad: string): string {
  const cipher = crypto.createCipheriv('aes-256-gcm', keys.aes, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return V1_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
}

export function openV1(keys: KeySet, raw: Buffer, aad: string): string {
  // a shorter value would hand setAuthTag a truncated tag, which GCM accepts (down to 4 bytes): far easier to forge
  if (raw.length < 28) throw new Error('sealed value too short');
  const decipher = crypto.createDecipheriv('aes-256-gcm', keys.aes, raw.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

// MAC over prefix, key id, IV, ciphertext length, ciphertext and aad: the length fixes where the
// ciphertext ends, so no two (ciphertext, aad) pairs share an input.
function g1Tag(keys: KeySet, kid: Buffer, iv: Buffer, ct: Buffer, aad: string): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ct.length);
  return crypto.createHmac('sm3', keys.sm3mac).update(G1_PREFIX).update(kid).update(iv).update(len).update(ct).update(aad).digest();
}

/** SM4-CBC (PKCS#7, random IV) then HMAC-SM3: g1.base64url(kid ‖ iv ‖ ciphertext ‖ tag). */
export function sealG1(keys: KeySet, iv: Buffer, plaintext: string, aad: string): string {
  const cipher = crypto.createCipheriv('sm4-cbc', keys.sm4, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return G1_PREFIX + Buffer.concat([keys.kid, iv, ct, g1Tag(keys, keys.kid, iv, ct, aad)]).toString('base64url');
}

export function g1Kid(raw: Buffer): Buffer {
  return raw.subarray(0, KID);
}

export function openG1(keys: KeySet, raw: Buffer, aad: string): string {
  if (raw.length < KID + IV + 16 + TAG) throw new Error('sealed value too short');
  const iv = raw.subarray(KID, KID + IV);
  const ct = raw.subarray(KID + IV, raw.length - TAG);
  const tag = raw.subarray(raw.length - TAG);
  // check the tag (constant time) before touching the ciphertext: no padding oracle
  if (!crypto.timingSafeEqual(tag, g1Tag(keys, g1Kid(raw), iv, ct, aad))) throw new Error('sealed value failed authentication');
  const decipher = crypto.createDecipheriv('sm4-cbc', keys.sm4, iv);
  return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
}
