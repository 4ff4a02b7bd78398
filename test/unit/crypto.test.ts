import { describe, expect, it } from 'vitest';
import { Keyring, parseMasterKey, safeEqual, generateMasterKey } from '../../src/crypto/keyring.ts';
import { hashPassword, verifyArgon2, needsRehash, passwordPolicyError, burnVerify } from '../../src/crypto/password.ts';
import { csrfToken, csrfValid } from '../../src/interactions/csrf.ts';

const keyring = new Keyring(parseMasterKey(generateMasterKey()));

describe('keyring', () => {
  it('seals and opens, with a fresh nonce each time', () => {
    const a = keyring.seal('11010519491231002X', 'persons.id_number');
    const b = keyring.seal('11010519491231002X', 'persons.id_number');
    expect(a).not.toBe(b);
    expect(a).not.toContain('1101051949');
    expect(keyring.open(a, 'persons.id_number')).toBe('11010519491231002X');
  });

  it('refuses a ciphertext moved to another column or tampered with', () => {
    const sealed = keyring.seal('13800138000', 'persons.phone');
    expect(() => keyring.open(sealed, 'persons.email')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => keyring.open('v1.' + raw.toString('base64url'), 'persons.phone')).toThrow();
    // cut short: nonce and a truncated tag, no ciphertext (GCM would accept a 4-byte tag if handed one)
    const empty = Buffer.from(keyring.seal('', 'persons.phone').slice(3), 'base64url');
    expect(empty.length).toBe(28);
    for (const n of [12, 16, 20, 27]) expect(() => keyring.open('v1.' + empty.subarray(0, n).toString('base64url'), 'persons.phone')).toThrow();
  });

  it('refuses data sealed under another master key', () => {
    const other = new Keyring(parseMasterKey(generateMasterKey()));
    expect(() => other.open(keyring.seal('x'))).toThrow();
    expect(other.fingerprint).not.toBe(keyring.fingerprint);
  });

  it('makes deterministic, kind-separated blind indexes', () => {
    expect(keyring.blindIndex('phone', '13800138000')).toBe(keyring.blindIndex('phone', '13800138000'));
    expect(keyring.blindIndex('phone', '13800138000')).not.toBe(keyring.blindIndex('email', '13800138000'));
  });

  it('parses hex and base64 master keys and rejects short ones', () => {
    expect(parseMasterKey('00'.repeat(32))).toHaveLength(32);
    expect(parseMasterKey(Buffer.alloc(32, 7).toString('base64'))).toHaveLength(32);
    expect(() => parseMasterKey('c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('compares secrets in constant time', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });

  it('binds CSRF tokens to the interaction', () => {
    const token = csrfToken(keyring, 'uid-1');
    expect(csrfValid(keyring, 'uid-1', token)).toBe(true);
    expect(csrfValid(keyring, 'uid-2', token)).toBe(false);
    expect(csrfValid(keyring, 'uid-1', undefined)).toBe(false);
  });
});

describe('passwords', () => {
  it('hashes with argon2id at the explicit OWASP parameters', async () => {
    const hash = await hashPassword('Yitong@2026');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyArgon2(hash, 'Yitong@2026')).toBe(true);
    expect(await verifyArgon2(hash, 'yitong@2026')).toBe(false);
    expect(needsRehash(hash)).toBe(false);
    expect(await verifyArgon2('not a hash', 'x')).toBe(false);
    expect(await burnVerify('anything')).toBe(false);
  });

  it('enforces the complexity policy', () => {
    expect(passwordPolicyError('Ab1!')).toBe('password.too_short');
    expect(passwordPolicyError('abcdefgh1')).toBe('password.too_simple');
    expect(passwordPolicyError('Abcdefg1')).toBeNull();
    expect(passwordPolicyError('x'.repeat(129))).toBe('password.too_long');
  });
});
