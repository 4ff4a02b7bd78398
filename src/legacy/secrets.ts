// How legacy data is kept at rest. Every sealed value's AAD names its column and, where it belongs to
// one legacy account, that account: a hash copied onto another account does not open there, and the
// scheme parameters sealed with it cannot be swapped for weaker ones without the key.
import type { Keyring } from '../crypto/keyring.ts';
import type { StoredLegacyHash } from './schemes/index.ts';

export const LEGACY_LOGIN_KIND = 'legacy_login';

const accountAad = (column: string, department: string, legacyUid: string) => `legacy_accounts.${column}:${department}\u0000${legacyUid}`;

/**
 * Login names are looked up as `DEPARTMENT/loginname`: the department code case-insensitively, the
 * login name after NFKC, trimming and lower-casing (legacy systems on MySQL compared names without
 * regard to case). Two accounts whose names differ only in case resolve to nobody unless they
 * belong to the same person.
 */
export function normaliseLoginName(loginName: string): string {
  return loginName.normalize('NFKC').trim().toLowerCase();
}

export function loginNameIndex(keyring: Keyring, department: string, loginName: string): string {
  return keyring.blindIndex(LEGACY_LOGIN_KIND, loginNameValue(department, loginName));
}

/** What a login may match: the name is not kept, so a reseal cannot rebuild its index (Keyring.lastingIndexes). */
export function loginNameIndexes(keyring: Keyring, department: string, loginName: string): string[] {
  return keyring.lastingIndexes(LEGACY_LOGIN_KIND, loginNameValue(department, loginName));
}

const loginNameValue = (department: string, loginName: string) => `${department.toUpperCase()}/${normaliseLoginName(loginName)}`;

export function sealLegacyHash(keyring: Keyring, department: string, legacyUid: string, stored: StoredLegacyHash): string {
  return keyring.seal(JSON.stringify(stored), accountAad('password', department, legacyUid));
}

export function openLegacyHash(keyring: Keyring, department: string, legacyUid: string, sealed: string): StoredLegacyHash {
  return JSON.parse(keyring.open(sealed, accountAad('password', department, legacyUid))) as StoredLegacyHash;
}

export function sealUnverifiedId(keyring: Keyring, department: string, legacyUid: string, idNumber: string): string {
  return keyring.seal(idNumber, accountAad('id_number', department, legacyUid));
}

export function openUnverifiedId(keyring: Keyring, department: string, legacyUid: string, sealed: string): string {
  return keyring.open(sealed, accountAad('id_number', department, legacyUid));
}

const conflictAad = (conflictId: string) => `import_conflicts.row:${conflictId}`;

export function sealConflictRow(keyring: Keyring, conflictId: string, row: unknown): string {
  return keyring.seal(JSON.stringify(row), conflictAad(conflictId));
}

export function openConflictRow<T>(keyring: Keyring, conflictId: string, sealed: string): T {
  return JSON.parse(keyring.open(sealed, conflictAad(conflictId))) as T;
}

const SOURCE_AAD = 'import_jobs.source_secret';

export function sealSourceUrl(keyring: Keyring, url: string): string {
  return keyring.seal(url, SOURCE_AAD);
}

export function openSourceUrl(keyring: Keyring, sealed: string): string {
  return keyring.open(sealed, SOURCE_AAD);
}

/** A connection URL fit for logs and job listings: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
