// Person lifecycle: registration, lookup by any login identifier, password checks.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { parseEmail, parseMobile } from '../identity/contact.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { hashPassword, passwordPolicyError, verifyArgon2, needsRehash } from '../crypto/password.ts';
import { UserError } from '../i18n/messages.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { personStore } from './store.ts';
import { AAD, openPerson, type Person } from './person.ts';

export interface NewPerson {
  idNumber: string;
  name: string;
  phone?: string | null;
  email?: string | null;
  password?: string | null;
  realNameLevel?: number;
}

export const REAL_NAME_LEVELS = [1, 2, 3, 4] as const; // self-declared, population base, real person, certificate/counter

export function newSub(): string {
  return crypto.randomBytes(16).toString('base64url');
}

export async function createPerson(ctx: AppContext, input: NewPerson, actor: string): Promise<Person> {
  const id = parseIdNumber(input.idNumber);
  if (!id.ok) throw new UserError(id.error);
  const name = input.name?.normalize('NFKC').trim();
  if (!name || [...name].length > 64) throw new UserError('name.invalid');
  let phone: string | null = null;
  if (input.phone) {
    const p = parseMobile(input.phone);
    if (!p.ok) throw new UserError(p.error);
    phone = p.value;
  }
  let email: string | null = null;
  if (input.email) {
    const e = parseEmail(input.email);
    if (!e.ok) throw new UserError(e.error);
    email = e.value;
  }
  if (input.password != null) {
    const policy = passwordPolicyError(input.password);
    if (policy) throw new UserError(policy);
  }
  const level = input.realNameLevel ?? 1;
  if (!REAL_NAME_LEVELS.includes(level as 1)) throw new UserError('person.real_name_level');

  const { keyring, db } = ctx;
  const bidx = keyring.blindIndex('resident_id', id.value);
  if (await personStore.byIdNumberIndex(db, 'resident_id', bidx)) throw new UserError('person.exists', 409);
  const passwordHash = input.password != null ? await hashPassword(input.password) : null;

  const row = await db.transaction().execute(async (trx) => {
    const inserted = await personStore.insert(trx, {
      id: crypto.randomUUID(),
      sub: newSub(),
      id_type: 'resident_id',
      id_number_enc: keyring.seal(id.value, AAD.idNumber),
      id_number_bidx: bidx,
      name,
      phone_enc: phone ? keyring.seal(phone, AAD.phone) : null,
      phone_bidx: phone ? keyring.blindIndex('phone', phone) : null,
      email_enc: email ? keyring.seal(email, AAD.email) : null,
      email_bidx: email ? keyring.blindIndex('email', email) : null,
      password_hash: passwordHash,
      password_changed_at: passwordHash ? new Date() : null,
      real_name_level: level,
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new UserError('person.exists', 409);
      throw err;
    });
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
    const row = await personStore.byIdNumberIndex(db, 'resident_id', keyring.blindIndex('resident_id', id.value));
    return row ? openPerson(keyring, row) : null;
  }
  const phone = parseMobile(raw);
  const email = parseEmail(raw);
  const lookup = phone.ok
    ? personStore.byContactIndex(db, 'phone_bidx', keyring.blindIndex('phone', phone.value))
    : email.ok
      ? personStore.byContactIndex(db, 'email_bidx', keyring.blindIndex('email', email.value))
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
