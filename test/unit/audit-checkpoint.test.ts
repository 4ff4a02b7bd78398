// SM2 (GB/T 32918) as sm-crypto-v2 implements it, with the standard's own example, and the signed
// audit checkpoints built on it: any change to a checkpoint, or a signature by another key, is refused.
import { describe, expect, it } from 'vitest';
import { sm2 } from 'sm-crypto-v2';
import crypto from 'node:crypto';
import { CheckpointSigner, checkSignature, parseCheckpoint, sm2KeyId, SM2_USER_ID } from '../../src/audit/checkpoint.ts';
import { Keyring, UnknownAuditKeyError } from '../../src/crypto/keyring.ts';
import { loadConfig, ConfigError } from '../../src/config/env.ts';

// GB/T 32918.2-2016 Annex A (recommended curve sm2p256v1), message "message digest", ID 1234567812345678
const D = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
const PUB = '04' + '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' + 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13';
const K = '59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21';
const R = 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3';
const S = 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa';
const MSG = 'message digest';
const opts = { hash: true, userId: SM2_USER_ID };

describe('SM2 (GB/T 32918.2 example)', () => {
  it('derives the public key from the private key', () => {
    expect(sm2.getPublicKeyFromPrivateKey(D)).toBe(PUB);
  });

  it('signs with the example k to exactly the example (r, s)', () => {
    const kG = sm2.getPublicKeyFromPrivateKey(K);
    const sig = sm2.doSignature(MSG, D, { ...opts, pointPool: [{ k: BigInt('0x' + K), x1: BigInt('0x' + kG.slice(2, 66)) }] });
    expect(sig).toBe(R + S);
  });

  it('verifies the example signature and rejects a tampered message, signature, key or user id', () => {
    expect(sm2.doVerifySignature(MSG, R + S, PUB, opts)).toBe(true);
    expect(sm2.doVerifySignature('message digesT', R + S, PUB, opts)).toBe(false);
    const flipped = R + S.slice(0, -1) + (S.endsWith('a') ? 'b' : 'a');
    expect(sm2.doVerifySignature(MSG, flipped, PUB, opts)).toBe(false);
    expect(sm2.doVerifySignature(MSG, R + S, sm2.generateKeyPairHex().publicKey, opts)).toBe(false);
    expect(sm2.doVerifySignature(MSG, R + S, PUB, { hash: true, userId: 'ALICE123@YAHOO.COM' })).toBe(false);
  });
});

describe('audit checkpoints', () => {
  const master = crypto.createHash('sha256').update('checkpoint-test').digest();
  const head = { seq: 42, hash: 'ab'.repeat(32) };

  it('derives one SM2 key per master key; key id is sm2: + 16 hex of SM3(public key)', () => {
    const a = CheckpointSigner.fromMasterKey(master);
    expect(CheckpointSigner.fromMasterKey(master).publicKey).toBe(a.publicKey);
    expect(CheckpointSigner.fromMasterKey(crypto.randomBytes(32)).publicKey).not.toBe(a.publicKey);
    expect(a.keyId).toMatch(/^sm2:[0-9a-f]{16}$/);
    expect(a.keyId).toBe(sm2KeyId(a.publicKey));
    expect(new CheckpointSigner(D).publicKey).toBe(PUB);
  });

  it('signs the contract fields; the signature verifies, with a DER-encoded signature', () => {
    const signer = CheckpointSigner.fromMasterKey(master);
    const cp = signer.sign(head, new Date('2026-12-01T00:00:00Z'));
    expect(cp).toMatchObject({ v: 1, alg: 'SM2-with-SM3', seq: 42, hash: head.hash, time: '2026-12-01T00:00:00.000Z', key_id: signer.keyId, public_key: signer.publicKey });
    expect(cp.signature.startsWith('30')).toBe(true);
    expect(parseCheckpoint(JSON.stringify(cp))).toEqual(cp);
    expect(checkSignature(cp, signer.publicKey)).toBeNull();
  });

  it('refuses any changed field (bad_signature) and a signature by another key (wrong_key)', () => {
    const signer = CheckpointSigner.fromMasterKey(master);
    const cp = signer.sign(head, new Date());
    expect(checkSignature({ ...cp, seq: 43 }, signer.publicKey)).toBe('bad_signature');
    expect(checkSignature({ ...cp, hash: 'cd'.repeat(32) }, signer.publicKey)).toBe('bad_signature');
    expect(checkSignature({ ...cp, time: new Date(0).toISOString() }, signer.publicKey)).toBe('bad_signature');
    expect(checkSignature({ ...cp, key_id: 'sm2:0000000000000000' }, signer.publicKey)).toBe('bad_signature');
    expect(checkSignature({ ...cp, signature: 'zz' }, signer.publicKey)).toBe('bad_signature');
    // re-signed: the attacker's own valid checkpoint over a rewound head
    const other = CheckpointSigner.fromMasterKey(crypto.randomBytes(32));
    const forged = other.sign(head, new Date());
    expect(checkSignature(forged, other.publicKey)).toBeNull();
    expect(checkSignature(forged, signer.publicKey)).toBe('wrong_key');
    // the attacker's signature under the genuine public key
    expect(checkSignature({ ...forged, public_key: signer.publicKey, key_id: signer.keyId }, signer.publicKey)).toBe('bad_signature');
    expect(parseCheckpoint('{"seq": 1}')).toBeNull();
    expect(parseCheckpoint('not json')).toBeNull();
  });
});

describe('audit key id and configuration', () => {
  it('keyring: auditKeyId is intl- and 8 hex; legacy and current ids MAC alike; others throw', () => {
    const k = new Keyring(crypto.randomBytes(32));
    expect(k.auditKeyId).toMatch(/^intl-[0-9a-f]{8}$/);
    expect(k.auditMac('x', k.auditKeyId)).toBe(k.auditMac('x'));
    expect(k.auditMac('x', 'legacy')).toBe(k.auditMac('x'));
    expect(() => k.auditMac('x', 'intl-00000000')).toThrow(UnknownAuditKeyError);
  });

  it('AUDIT_RETENTION_DAYS defaults to 365, refuses less than 184 in both languages; checkpoint settings', () => {
    expect(loadConfig({}).audit).toEqual({ checkpointDir: null, checkpointIntervalSeconds: 3600, checkpointKey: null, retentionDays: 365 });
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '184' }).audit.retentionDays).toBe(184);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '183' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: '183' })).toThrow(/至少保存 184 天.*at least 184 days/);
    expect(() => loadConfig({ AUDIT_RETENTION_DAYS: 'forever' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUDIT_CHECKPOINT_KEY: 'abc' })).toThrow(/AUDIT_CHECKPOINT_KEY/);
    const c = loadConfig({ AUDIT_CHECKPOINT_DIR: '/var/lib/yitong/cp', AUDIT_CHECKPOINT_INTERVAL_SECONDS: '600', AUDIT_CHECKPOINT_KEY: D.toUpperCase() }).audit;
    expect(c).toEqual({ checkpointDir: '/var/lib/yitong/cp', checkpointIntervalSeconds: 600, checkpointKey: D, retentionDays: 365 });
  });
});
