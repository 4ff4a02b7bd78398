// The backup file format: what `yitong restore` refuses before writing anything (src/backup/format.ts).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../src/crypto/keyring.ts';
import { decodeBackup, encodeBackup } from '../../src/backup/format.ts';
import { AppError } from '../../src/errors.ts';

const keyring = new Keyring(crypto.createHash('sha256').update('backup-test-key').digest());
const other = new Keyring(crypto.createHash('sha256').update('another-key').digest());
const payload = crypto.randomBytes(4096);
const header = { created: '2026-12-01T21:00:00.000Z', migration: '0014_import_rows_total', suite: 'intl', database: 'pglite' as const };
const file = encodeBackup(keyring, header, payload);

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a refusal');
}

describe('backup file format', () => {
  it('round-trips header and payload under the same master key', () => {
    const { header: h, payload: p } = decodeBackup(keyring, file);
    expect(h).toEqual({ format: 1, ...header, fingerprint: keyring.fingerprint, payloadBytes: payload.length });
    expect(Buffer.compare(p, payload)).toBe(0);
  });

  it('refuses a file with one payload byte altered', () => {
    const tampered = Buffer.from(file);
    tampered[tampered.length - 100] ^= 1;
    const err = refusal(() => decodeBackup(keyring, tampered));
    expect(err.code).toBe('backup.damaged');
    expect(err.message).toContain('篡改');
    expect(err.message).toContain('altered');
    expect(err.message).toContain('nothing was written');
  });

  it('refuses an altered header (an older migration named) even with the length kept', () => {
    const tampered = Buffer.from(file.toString('latin1').replace('0014_import_rows_total', '0013_import_rows_total'), 'latin1');
    expect(tampered.length).toBe(file.length);
    expect(refusal(() => decodeBackup(keyring, tampered)).code).toBe('backup.damaged');
  });

  it('refuses a truncated file, at any length', () => {
    for (const keep of [file.length - 1, file.length - 32, file.length - 33, 200, 20, 13]) {
      expect(refusal(() => decodeBackup(keyring, file.subarray(0, keep))).code, `kept ${keep} bytes`).toBe('backup.damaged');
    }
    expect(refusal(() => decodeBackup(keyring, file.subarray(0, 5))).code).toBe('backup.not_a_backup');
  });

  it('refuses bytes appended after the MAC', () => {
    expect(refusal(() => decodeBackup(keyring, Buffer.concat([file, Buffer.from('x')]))).code).toBe('backup.damaged');
  });

  it('refuses a file made under another master key, naming both fingerprints', () => {
    const err = refusal(() => decodeBackup(other, file));
    expect(err.code).toBe('backup.wrong_key');
    expect(err.message).toContain(keyring.fingerprint);
    expect(err.message).toContain(other.fingerprint);
    expect(err.message).toContain('主密钥');
    expect(err.message).toContain('master key');
  });

  it('refuses a header that claims the current key but was signed with another', () => {
    // re-signed by someone without the key: the fingerprint matches, the MAC does not
    const forged = encodeBackup(other, header, payload);
    const swapped = Buffer.from(forged.toString('latin1').replace(other.fingerprint, keyring.fingerprint), 'latin1');
    expect(refusal(() => decodeBackup(keyring, swapped)).code).toBe('backup.damaged');
  });

  it('refuses a file that is not a backup, and a format version it does not know', () => {
    expect(refusal(() => decodeBackup(keyring, Buffer.from('PGDMP not ours at all'))).code).toBe('backup.not_a_backup');
    const future = Buffer.from(file.toString('latin1').replace('"format":1', '"format":9'), 'latin1');
    expect(refusal(() => decodeBackup(keyring, future)).code).toBe('backup.format_unsupported');
  });
});
