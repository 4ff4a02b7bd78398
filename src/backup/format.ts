// The backup file: a header (what it is, when, which schema and master key) and the payload (the
// embedded database's data directory as a gzipped tar), followed by an HMAC over both with a key
// derived from the master key. Nothing is trusted or written before the MAC is checked.
//   "YTBACKUP" | u32 BE header length | header JSON (UTF-8) | payload | HMAC-SHA256 (32 bytes)
// The rows inside are already sealed per column; the MAC adds integrity of the whole file
// (truncation, an altered byte, a file spliced from two backups).
import crypto from 'node:crypto';
import type { Keyring } from '../crypto/keyring.ts';
import { AppError } from '../errors.ts';

const MAGIC = Buffer.from('YTBACKUP');
const MAC_BYTES = 32;
export const BACKUP_FORMAT = 1;

export interface BackupHeader {
  format: number;
  /** ISO time the copy was taken */
  created: string;
  /** the last database migration applied: a restore needs a version that knows it */
  migration: string;
  /** Keyring.fingerprint: the master key the sealed columns (and this file's MAC) need */
  fingerprint: string;
  /** the crypto suite the data is sealed with */
  suite: string;
  database: 'pglite';
  payloadBytes: number;
}

export function encodeBackup(keyring: Keyring, header: Omit<BackupHeader, 'format' | 'payloadBytes' | 'fingerprint'>, payload: Uint8Array): Buffer {
  const full: BackupHeader = { format: BACKUP_FORMAT, ...header, fingerprint: keyring.fingerprint, payloadBytes: payload.length };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const body = Buffer.concat([MAGIC, length, json, payload]);
  return Buffer.concat([body, keyring.backupMac().update(body).digest()]);
}

/** The header and payload of a backup file, once its MAC and master key are checked. */
export function decodeBackup(keyring: Keyring, file: Buffer): { header: BackupHeader; payload: Buffer } {
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) throw new AppError('backup.not_a_backup', 'invalid_input');
  const headerLength = file.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLength + MAC_BYTES > file.length) throw new AppError('backup.damaged', 'unprocessable', 'truncated');
  let header: BackupHeader;
  try {
    header = JSON.parse(file.subarray(start, start + headerLength).toString('utf8')) as BackupHeader;
  } catch {
    throw new AppError('backup.damaged', 'unprocessable', 'header');
  }
  if (typeof header !== 'object' || header === null) throw new AppError('backup.damaged', 'unprocessable', 'header');
  if (header.format !== BACKUP_FORMAT) throw new AppError('backup.format_unsupported', 'unsupported', undefined, { version: String(header.format) });
  // A wrong key fails the MAC too; say which it is when the header names another key.
  if (header.fingerprint !== keyring.fingerprint) {
    throw new AppError('backup.wrong_key', 'forbidden', undefined, { backup: String(header.fingerprint), current: keyring.fingerprint });
  }
  const payloadStart = start + headerLength;
  if (!Number.isSafeInteger(header.payloadBytes) || payloadStart + header.payloadBytes + MAC_BYTES !== file.length) {
    throw new AppError('backup.damaged', 'unprocessable', file.length < payloadStart + header.payloadBytes + MAC_BYTES ? 'truncated' : 'length');
  }
  const bodyEnd = file.length - MAC_BYTES;
  const expected = keyring.backupMac().update(file.subarray(0, bodyEnd)).digest();
  if (!crypto.timingSafeEqual(expected, file.subarray(bodyEnd))) throw new AppError('backup.damaged', 'unprocessable', 'MAC');
  return { header, payload: file.subarray(payloadStart, bodyEnd) };
}
