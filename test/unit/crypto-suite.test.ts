// The two crypto suites: standard vectors for SM3 and SM4, HMAC-SM3 against an independent
// implementation, and the sealed forms (round trip, tamper detection, reading across suites and keys).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sm3 } from 'sm-crypto-v2';
import { Keyring, UnknownAuditKeyError } from '../../src/crypto/keyring.ts';
import { ConfigError, loadConfig } from '../../src/config/env.ts';

const master = Buffer.alloc(32, 3);
const intl = new Keyring(master);
const gm = new Keyring(master, { suite: 'gm' });

describe('SM algorithms as Node provides them', () => {
  it('SM3: the GB/T 32905-2016 samples', () => {
    expect(crypto.createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(crypto.createHash('sm3').update('abcd'.repeat(16)).digest('hex')).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });

  it('SM4: the GB/T 32907-2016 sample (one block, and CBC with a zero IV)', () => {
    const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
    const ecb = crypto.createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    expect(Buffer.concat([ecb.update(key), ecb.final()]).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
    const cbc = crypto.createCipheriv('sm4-cbc', key, Buffer.alloc(16)).setAutoPadding(false);
    expect(Buffer.concat([cbc.update(key), cbc.final()]).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  it('HMAC-SM3 agrees with an independent implementation (sm-crypto-v2) and with RFC 2104 built on SM3', () => {
    const key = Buffer.from('key');
    const node = crypto.createHmac('sm3', key).update('abc').digest('hex');
    expect(node).toBe('28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393');
    expect(sm3('abc', { key: key.toString('hex'), mode: 'hmac' })).toBe(node);
    const block = Buffer.concat([key, Buffer.alloc(64 - key.length)]);
    const pad = (b: number) => Buffer.from(block.map((x) => x ^ b));
    const inner = crypto.createHash('sm3').update(pad(0x36)).update('abc').digest();
    expect(crypto.createHash('sm3').update(pad(0x5c)).update(inner).digest('hex')).toBe(node);
  });
});

describe('sealed forms', () => {
  it('gm seals as g1 with a fresh IV and opens it; intl keeps v1', () => {
    const a = gm.seal('11010519491231002X', 'persons.id_number');
    const b = gm.seal('11010519491231002X', 'persons.id_number');
    expect(a.startsWith('g1.')).toBe(true);
    expect(a).not.toBe(b);
    expect(gm.open(a, 'persons.id_number')).toBe('11010519491231002X');
    expect(intl.seal('x').startsWith('v1.')).toBe(true);
    for (const s of ['', 'a', 'x'.repeat(15), 'x'.repeat(16), '中文姓名'.repeat(50)]) expect(gm.open(gm.seal(s, 'c'), 'c')).toBe(s);
  });

  it('opens either form whatever the current suite (nodes read both during a reseal)', () => {
    expect(intl.open(gm.seal('甲', 'c'), 'c')).toBe('甲');
    expect(gm.open(intl.seal('乙', 'c'), 'c')).toBe('乙');
  });

  it('refuses a g1 value with any byte of key id, IV, ciphertext or tag changed, or another column', () => {
    const sealed = gm.seal('13800138000', 'persons.phone');
    expect(() => gm.open(sealed, 'persons.email')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    // 0: key id, 4: IV, 20: ciphertext, last: tag
    for (const at of [0, 4, 19, 20, raw.length - 33, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] ^= 1;
      expect(() => gm.open('g1.' + bad.toString('base64url'), 'persons.phone')).toThrow();
    }
    expect(() => gm.open('g1.' + raw.subarray(0, raw.length - 16).toString('base64url'), 'persons.phone')).toThrow();
    expect(() => new Keyring(Buffer.alloc(32, 4), { suite: 'gm' }).open(sealed, 'persons.phone')).toThrow();
  });

  it('blind indexes and audit MACs differ per suite; intl stays what it always was', () => {
    expect(gm.blindIndex('phone', '13800138000')).not.toBe(intl.blindIndex('phone', '13800138000'));
    const derived = Buffer.from(crypto.hkdfSync('sha256', master, 'yitong', 'blind-index/hmac-sha256', 32));
    expect(intl.blindIndex('phone', '1')).toBe(crypto.createHmac('sha256', derived).update('phone\0' + '1').digest('base64url'));
    expect(gm.auditMac('x')).not.toBe(intl.auditMac('x'));
    expect(gm.auditMac('x')).toHaveLength(64);
  });
});

describe('audit MAC keys', () => {
  it('names the current key and MACs with any key it can derive', () => {
    expect(intl.auditKeyId).toMatch(/^intl-[0-9a-f]{8}$/);
    expect(gm.auditKeyId).toMatch(/^gm-[0-9a-f]{8}$/);
    expect(gm.auditMac('x', intl.auditKeyId)).toBe(intl.auditMac('x'));
    expect(gm.auditMac('x', 'legacy')).toBe(intl.auditMac('x'));
    expect(() => gm.auditMac('x', 'gm-00000000')).toThrow(UnknownAuditKeyError);
  });

  it('retired keys (from before a reseal) win over the derived legacy key', () => {
    const rotated = new Keyring(Buffer.alloc(32, 9), { suite: 'gm' });
    expect(rotated.auditMac('x', 'legacy')).not.toBe(intl.auditMac('x'));
    const old = intl.auditKeysToRetire().find((k) => k.id === 'legacy')!;
    rotated.addRetiredAuditKey('legacy', old.suite, old.key);
    expect(rotated.auditMac('x', 'legacy')).toBe(intl.auditMac('x'));
  });
});

describe('master-key rotation', () => {
  it('seals under the new key and reads both', () => {
    const newMaster = Buffer.alloc(32, 5);
    const both = new Keyring(master, { suite: 'gm', newMaster });
    expect(both.fingerprint).toBe(new Keyring(newMaster).fingerprint);
    expect(both.previousFingerprint).toBe(intl.fingerprint);
    expect(both.open(intl.seal('旧', 'c'), 'c')).toBe('旧');
    expect(both.open(gm.seal('旧', 'c'), 'c')).toBe('旧');
    const fresh = both.seal('新', 'c');
    expect(() => gm.open(fresh, 'c')).toThrow();
    expect(new Keyring(newMaster, { suite: 'gm' }).open(fresh, 'c')).toBe('新');
    expect(both.needsReseal(gm.seal('x'), '')).toBe(true);
    expect(both.needsReseal(fresh, 'c')).toBe(false);
  });

  it('looks blind indexes up under every suite and key only while a reseal is in progress', () => {
    const both = new Keyring(master, { suite: 'gm', newMaster: Buffer.alloc(32, 5) });
    expect(both.blindIndexes('phone', '1')).toEqual([both.blindIndex('phone', '1')]);
    both.resealing = true;
    expect(both.blindIndexes('phone', '1')).toHaveLength(4);
    expect(both.blindIndexes('phone', '1')).toContain(intl.blindIndex('phone', '1'));
  });
});

describe('CRYPTO_SUITE', () => {
  it('defaults to intl and accepts gm only besides', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).cryptoSuite).toBe('intl');
    expect(loadConfig({ NODE_ENV: 'test', CRYPTO_SUITE: 'gm' }).cryptoSuite).toBe('gm');
    expect(() => loadConfig({ NODE_ENV: 'test', CRYPTO_SUITE: 'sm4' })).toThrow(ConfigError);
  });
});
