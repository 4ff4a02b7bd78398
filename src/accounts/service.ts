// Person lifecycle: registration, lookup by any login identifier, password checks.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { parseEmail, parseMobile } from '../identity/contact.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { hashPassword, passwordPolicyError, verifyArgon2, needsRehash } from '../crypto/password.ts';
import { AppError } from '../errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { bulkTx, type BulkTx } from '../db/bulk.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { personStore, type NewPersonRow } from './store.ts';
import { openPerson, sealPersonFields, type Person, type SealedPersonFields } from './person.ts';

export interface NewPerson {
  idNumber: string;
  name: string;
  phone?: string | null;
  email?: string | null;
  password?: string | null;
  realNameLevel?: number;
  /** the phone was verified (an SMS code at registration); false when absent */
  phoneVerified?: boolean;
}

export const REAL_NAME_LEVELS = [1, 2, 3, 4] as const; // self-declared, population base, real person, certificate/counter

export function newSub(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** A person about to be created: a fresh id and sub, personal fields already sealed. */
export interface PersonDraft extends SealedPersonFields {
  id: string;
  sub: string;
  idType: string;
  name: string;
  passwordHash?: string | null;
  /** 1 when absent */
  realNameLevel?: number;
  /** an administrator or a profile vouches for the phone (codes go only to verified phones) */
  phoneVerified?: boolean;
}

/** Seals the personal fields and draws the id and sub of a person about to be created. */
export function draftPerson(
  keyring: Keyring,
  input: { idType: string; idNumber: string | null; name: string; phone: string | null; email: string | null; realNameLevel?: number; phoneVerified?: boolean },
): PersonDraft {
  return {
    id: crypto.randomUUID(),
    sub: newSub(),
    idType: input.idType,
    name: input.name,
    ...sealPersonFields(keyring, input),
    realNameLevel: input.realNameLevel ?? 1,
    phoneVerified: Boolean(input.phone && input.phoneVerified),
  };
}

function personRow(d: PersonDraft): NewPersonRow {
  return {
    id: d.id,
    sub: d.sub,
    id_type: d.idType,
    id_number_enc: d.idEnc,
    id_number_bidx: d.idBidx,
    name: d.name,
    phone_enc: d.phoneEnc,
    phone_bidx: d.phoneBidx,
    phone_verified: d.phoneVerified ?? false,
    email_enc: d.emailEnc,
    email_bidx: d.emailBidx,
    password_hash: d.passwordHash ?? null,
    password_changed_at: d.passwordHash ? new Date() : null,
    real_name_level: d.realNameLevel ?? 1,
  };
}

/**
 * The one way persons come to be, one or a batch: registration and administration (createPerson),
 * a legacy import's batches (COPY on its connection) and the review queue's "keep apart". Callers
 * check their own rules first; a unique violation means the ID number or sub is taken.
 */
export async function insertPersons(tx: BulkTx, drafts: readonly PersonDraft[]): Promise<void> {
  await personStore.insertMany(tx, drafts.map(personRow));
}

export async function createPerson(ctx: AppContext, input: NewPerson, actor: string): Promise<Person> {
  const id = parseIdNumber(input.idNumber);
  if (!id.ok) throw new AppError(id.error);
  const name = input.name?.normalize('NFKC').trim();
  if (!name || [...name].length > 64) throw new AppError('name.invalid');
  let phone: string | null = null;
  if (input.phone) {
    const p = parseMobile(input.phone);
    if (!p.ok) throw new AppError(p.error);
    phone = p.value;
  }
  let email: string | null = null;
  if (input.email) {
    const e = parseEmail(input.email);
    if (!e.ok) throw new AppError(e.error);
    email = e.value;
  }
  if (input.password != null) {
    const policy = passwordPolicyError(input.password);
    if (policy) throw new AppError(policy);
  }
  const level = input.realNameLevel ?? 1;
  if (!REAL_NAME_LEVELS.includes(level as 1)) throw new AppError('person.real_name_level');

  const { keyring, db } = ctx;
  const draft = draftPerson(keyring, { idType: 'resident_id', idNumber: id.value, name, phone, email, realNameLevel: level, phoneVerified: input.phoneVerified });
  if (await personStore.byIdNumberIndex(db, draft.idType, keyring.blindIndexes(draft.idType, id.value))) throw new AppError('person.exists', 'conflict');
  draft.passwordHash = input.password != null ? await hashPassword(input.password) : null;

  const row = await db.transaction().execute(async (trx) => {
    await insertPersons(bulkTx(trx), [draft]).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new AppError('person.exists', 'conflict');
      throw err;
    });
    const inserted = (await personStore.byId(trx, draft.id))!;
    await ctx.audit.append(
      { event: 'person.create', outcome: 'success', actor, detail: { sub: inserted.sub, id_number: maskIdNumber(id.value) } },
      trx,
    );
    return inserted;
  });
  return openPerson(keyring, row);
}

export async function findPersonBySub(ctx: AppContext, sub: string): Promise<Person | null> {
  const row = await personStore.bySub(ctx.db, sub);
  return row ? openPerson(ctx.keyring, row) : null;
}

/**
 * Resolve what a person typed into the login box: ID number, mobile number or e-mail. A mobile or
 * e-mail shared by several persons resolves to nobody (contact data is not an identity key).
 */
export async function findPersonByIdentifier(ctx: AppContext, identifier: string): Promise<Person | null> {
  const raw = identifier.normalize('NFKC').trim();
  if (!raw || raw.length > 256) return null;
  const { keyring, db } = ctx;
  const id = parseIdNumber(raw);
  if (id.ok) {
    const row = await personStore.byIdNumberIndex(db, 'resident_id', keyring.blindIndexes('resident_id', id.value));
    return row ? openPerson(keyring, row) : null;
  }
  const phone = parseMobile(raw);
  const email = parseEmail(raw);
  const lookup = phone.ok
    ? personStore.byContactIndex(db, 'phone_bidx', keyring.blindIndexes('phone', phone.value))
    : email.ok
      ? personStore.byContactIndex(db, 'email_bidx', keyring.blindIndexes('email', email.value))
      : Promise.resolve([]);
  const rows = await lookup;
  return rows.length === 1 ? openPerson(keyring, rows[0]) : null;
}

/** Verifies the person's argon2id password; re-hashes when the parameters have been raised. */
export async function checkPassword(ctx: AppContext, person: Person, password: string): Promise<boolean> {
  if (!person.passwordHash) return false;
  const ok = await verifyArgon2(person.passwordHash, password);
  if (ok && needsRehash(person.passwordHash)) {
    await personStore.update(ctx.db, person.id, { password_hash: await hashPassword(password) });
  }
  return ok;
}
