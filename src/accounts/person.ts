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

/** A person's identity document number and contact data, sealed, with their blind indexes. */
export interface SealedPersonFields {
  idEnc: string | null;
  idBidx: string | null;
  phoneEnc: string | null;
  phoneBidx: string | null;
  emailEnc: string | null;
  emailBidx: string | null;
}

/**
 * The inverse of openPerson for the personal fields. An ID number is indexed per document type
 * (the index of a resident ID is that of kind `resident_id`); pass null for one not validated.
 */
export function sealPersonFields(
  keyring: Keyring,
  f: { idType: string; idNumber: string | null; phone: string | null; email: string | null },
): SealedPersonFields {
  return {
    idEnc: f.idNumber ? keyring.seal(f.idNumber, AAD.idNumber) : null,
    idBidx: f.idNumber ? keyring.blindIndex(f.idType, f.idNumber) : null,
    phoneEnc: f.phone ? keyring.seal(f.phone, AAD.phone) : null,
    phoneBidx: f.phone ? keyring.blindIndex('phone', f.phone) : null,
    emailEnc: f.email ? keyring.seal(f.email, AAD.email) : null,
    emailBidx: f.email ? keyring.blindIndex('email', f.email) : null,
  };
}
