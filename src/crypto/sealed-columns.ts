// THE list of every column holding a sealed value or a rebuildable blind index. `yitong crypto
// reseal` walks it; test/integration/reseal.test.ts fails when a table holds a sealed value in a
// column missing here. A new sealed column must be added here, with the aad its domain uses.
import { AAD as PERSON_AAD } from '../accounts/person.ts';

type Row = Record<string, unknown>;

export interface SealedColumn {
  column: string;
  /** the associated data the column's values are sealed with (see the domain that writes them) */
  aad: (row: Row) => string;
}

export interface IndexColumn {
  column: string;
  /** blind-index kind, and the sealed column whose plaintext it indexes */
  kind: (row: Row) => string;
  from: string;
}

export interface SealedTable {
  table: string;
  /** primary key, walked in order (keyset pagination) */
  key: string[];
  /** other columns the aad or kinds need */
  extra?: string[];
  sealed: SealedColumn[];
  indexes?: IndexColumn[];
}

const fixed = (aad: string) => () => aad;
const legacyAad = (column: string) => (r: Row) => `legacy_accounts.${column}:${r.department_code}\u0000${r.legacy_uid}`;

export const SEALED_TABLES: SealedTable[] = [
  {
    table: 'persons',
    key: ['id'],
    extra: ['id_type'],
    sealed: [
      { column: 'id_number_enc', aad: fixed(PERSON_AAD.idNumber) },
      { column: 'phone_enc', aad: fixed(PERSON_AAD.phone) },
      { column: 'email_enc', aad: fixed(PERSON_AAD.email) },
    ],
    indexes: [
      { column: 'id_number_bidx', kind: (r) => String(r.id_type), from: 'id_number_enc' },
      { column: 'phone_bidx', kind: () => 'phone', from: 'phone_enc' },
      { column: 'email_bidx', kind: () => 'email', from: 'email_enc' },
    ],
  },
  { table: 'signing_keys', key: ['kid'], sealed: [{ column: 'jwk_enc', aad: fixed('signing_keys.jwk') }] },
  { table: 'clients', key: ['client_id'], sealed: [{ column: 'secret_enc', aad: fixed('clients.secret') }] },
  { table: 'mfa_totp', key: ['person_id'], sealed: [{ column: 'secret_enc', aad: fixed('mfa_totp.secret') }] },
  { table: 'account_email_changes', key: ['person_id'], sealed: [{ column: 'email_enc', aad: fixed('account_email_changes.email') }] },
  { table: 'import_jobs', key: ['id'], sealed: [{ column: 'source_secret_enc', aad: fixed('import_jobs.source_secret') }] },
  {
    table: 'legacy_accounts',
    key: ['department_code', 'legacy_uid'],
    sealed: [
      { column: 'password_enc', aad: legacyAad('password') },
      { column: 'id_number_unverified_enc', aad: legacyAad('id_number') },
    ],
  },
  { table: 'import_conflicts', key: ['id'], sealed: [{ column: 'row_enc', aad: (r) => `import_conflicts.row:${r.id}` }] },
];
