// A person as the rest of the code sees it: personal fields opened, derived facts computed.
import type { Keyring } from '../crypto/keyring.ts';
import { idNumberFacts } from '../identity/id-number.ts';
import type { PersonRow } from './store.ts';

export interface Person {
  id: string;
  sub: string;
  idType: string;
  idNumber: string | null;
  name: string;
  phone: string | null;
  phoneVerified: boolean;
  email: string | null;
  emailVerified: boolean;
  passwordHash: string | null;
  realNameLevel: number;
  status: string;
  gender: 'male' | 'female' | null;
  birthdate: string | null;
}

// AAD ties each ciphertext to its column, so a value copied into another column will not open.
export const AAD = { idNumber: 'persons.id_number', phone: 'persons.phone', email: 'persons.email' } as const;

export function openPerson(keyring: Keyring, row: PersonRow): Person {
  const idNumber = row.id_number_enc ? keyring.open(row.id_number_enc, AAD.idNumber) : null;
  const facts = idNumber && row.id_type === 'resident_id' && idNumber.length === 18 ? idNumberFacts(idNumber) : null;
  return {
    id: row.id,
    sub: row.sub,
    idType: row.id_type,
    idNumber,
    name: row.name,
    phone: row.phone_enc ? keyring.open(row.phone_enc, AAD.phone) : null,
    phoneVerified: row.phone_verified,
    email: row.email_enc ? keyring.open(row.email_enc, AAD.email) : null,
    emailVerified: row.email_verified,
    passwordHash: row.password_hash,
    realNameLevel: row.real_name_level,
    status: row.status,
    gender: facts?.gender ?? null,
    birthdate: facts?.birthdate ?? null,
  };
}
