// Recovery codes: 10 at enrolment, shown once, kept as keyed hashes (HMAC under the master key:
// each code carries 50 random bits, so a slow hash adds nothing), each usable once. Generating a
// new set deletes the old one. Using one is audited and tells how many remain.
import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import type { Person } from '../accounts/person.ts';
import { recoveryStore } from './store.ts';

export const RECOVERY_CODES = 10;
/** no 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing to misread on paper */
const ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';
const LENGTH = 10;

function newCode(): string {
  let s = '';
  while (s.length < LENGTH) {
    for (const b of crypto.randomBytes(16)) {
      // rejection sampling keeps every character equally likely
      if (b < 250 && s.length < LENGTH) s += ALPHABET[b % ALPHABET.length];
    }
  }
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** What a person types, as stored: upper case, without spaces or hyphens. */
export function normaliseRecoveryCode(raw: string): string | null {
  const c = raw.normalize('NFKC').toUpperCase().replace(/[\s-]/g, '');
  return c.length === LENGTH && [...c].every((ch) => ALPHABET.includes(ch)) ? c : null;
}

function hashOf(app: AppContext, personId: string, normalised: string): string {
  return app.keyring.blindIndex('mfa-recovery-code', `${personId}:${normalised}`);
}

/** A new set (the old one is gone); the codes are returned once, for the person to write down. */
export async function generateRecoveryCodes(app: AppContext, trx: Transaction<Database>, person: Person, actor: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newCode);
  await recoveryStore.replace(trx, person.id, codes.map((c) => hashOf(app, person.id, normaliseRecoveryCode(c)!)));
  await app.audit.append({ event: 'mfa.recovery.generate', outcome: 'success', actor, detail: { sub: person.sub, codes: codes.length } }, trx);
  return codes;
}

export type RecoveryCheck = { ok: true; remaining: number } | { ok: false; reason: 'format' | 'wrong' };

/** Uses a code (once); audited by the caller with the number left. */
export async function useRecoveryCode(app: AppContext, person: Person, raw: string): Promise<RecoveryCheck> {
  const code = normaliseRecoveryCode(raw);
  if (!code) return { ok: false, reason: 'format' };
  if (!(await recoveryStore.use(app.db, person.id, app.keyring.lastingIndexes('mfa-recovery-code', `${person.id}:${code}`)))) return { ok: false, reason: 'wrong' };
  return { ok: true, remaining: await recoveryStore.remaining(app.db, person.id) };
}

export const remainingRecoveryCodes = (app: AppContext, person: Person) => recoveryStore.remaining(app.db, person.id);
