import { describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { Keyring } from '../../src/crypto/keyring.ts';
import { GENESIS_HASH, canonicalJson, chainHash, recordPayload } from '../../src/audit/chain.ts';

const keyring = new Keyring(Buffer.alloc(32, 1));
const record = {
  seq: 7,
  at: new Date('2025-03-01T08:09:10.123Z'),
  actor: 'sub-1',
  event: 'login.success',
  outcome: 'success',
  client_id: 'app',
  ip: '10.0.0.1',
  detail: { b: 1, a: { d: [3, { y: 1, x: 2 }], c: null }, '中': '文' },
};

describe('canonical JSON', () => {
  it('sorts keys recursively and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('does not depend on key insertion order', () => {
    expect(canonicalJson({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalJson({ y: { p: 3, q: 2 }, x: 1 }));
  });

  it('skips undefined members like JSON.stringify and escapes strings', () => {
    expect(canonicalJson({ a: undefined, b: 'line\n"q"' })).toBe('{"b":"line\\n\\"q\\""}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('covers every chained field, time as ISO with milliseconds', () => {
    expect(recordPayload(record)).toBe(
      '{"actor":"sub-1","at":"2025-03-01T08:09:10.123Z","client_id":"app","detail":{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1,"中":"文"},"event":"login.success","ip":"10.0.0.1","outcome":"success","seq":7}',
    );
  });
});

describe('chain hash', () => {
  it('is the audit MAC of prev_hash, a newline and the canonical record', () => {
    const expected = keyring.auditMac(GENESIS_HASH + '\n' + recordPayload(record));
    expect(chainHash(keyring, GENESIS_HASH, record)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any field, the predecessor and the key', () => {
    const base = chainHash(keyring, GENESIS_HASH, record);
    const variants = [
      { ...record, seq: 8 },
      { ...record, at: new Date(record.at.getTime() + 1) },
      { ...record, actor: null },
      { ...record, event: 'login.failure' },
      { ...record, outcome: 'failure' },
      { ...record, client_id: null },
      { ...record, ip: '10.0.0.2' },
      { ...record, detail: { ...record.detail, b: 2 } },
    ];
    for (const v of variants) expect(chainHash(keyring, GENESIS_HASH, v)).not.toBe(base);
    expect(chainHash(keyring, 'f'.repeat(64), record)).not.toBe(base);
    expect(chainHash(new Keyring(crypto.randomBytes(32)), GENESIS_HASH, record)).not.toBe(base);
  });
});
