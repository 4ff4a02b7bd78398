// Signing in with a legacy account.
//
// - `DEPARTMENT/loginname` resolves through the login-name blind index of legacy accounts (one
//   person, or nobody when the name is ambiguous); everything else goes to the core resolver (ID,
//   mobile, e-mail).
// - Password check: a person's argon2id hash first, when there is one. Until the first successful
//   login, every linked legacy hash that is not retired also lets the person in. The first success
//   stores an argon2id hash of the password (when it was a legacy one) and retires every foreign
//   hash in one transaction, audited as password.upgrade; the person keeps the same sub.
// - No timing oracle: with no argon2id hash, the argon2id hash of the typed password is computed
//   in parallel with the legacy verifications, whatever their outcome. A wrong password thus costs
//   one argon2id computation, like a wrong argon2id password or an unknown user (burnVerify), and a
//   right one costs what an argon2id login costs (the upgrade hash is the work already done).
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { burnVerify, hashPassword } from '../crypto/password.ts';
import type { IdentifierResolver, PasswordVerifier } from '../feature.ts';
import { logger } from '../log.ts';
import { verifyLegacyHash, type StoredLegacyHash } from './schemes/index.ts';
import { loginNameIndexes, openLegacyHash } from './secrets.ts';
import { legacyAccountStore, type LegacyHashRow } from './account-store.ts';

const LEGACY_LOGIN = /^([A-Za-z0-9_-]{1,32})\/(.{1,128})$/su;

export async function findPersonByLegacyLogin(app: AppContext, department: string, loginName: string): Promise<Person | null> {
  const ids = await legacyAccountStore.personsByLogin(app.db, loginNameIndexes(app.keyring, department, loginName));
  if (ids.length !== 1) return null;
  const row = await personStore.byId(app.db, ids[0]);
  return row ? openPerson(app.keyring, row) : null;
}

/** Wraps the core resolver: `CODE/loginname` first, then ID number, mobile and e-mail. */
export function legacyIdentifierResolver(app: AppContext, next: IdentifierResolver): IdentifierResolver {
  return async (identifier) => {
    const m = LEGACY_LOGIN.exec(identifier.normalize('NFKC').trim());
    if (m) {
      const person = await findPersonByLegacyLogin(app, m[1], m[2]);
      if (person) return person;
    }
    return next(identifier);
  };
}

interface Candidate {
  row: LegacyHashRow;
  stored: StoredLegacyHash | null;
}

function openCandidates(app: AppContext, rows: LegacyHashRow[]): Candidate[] {
  return rows.map((row) => {
    try {
      return { row, stored: openLegacyHash(app.keyring, row.department_code, row.legacy_uid, row.password_enc) };
    } catch (err) {
      // A sealed value that does not open was tampered with or moved: it never lets anyone in.
      logger.warn({ department: row.department_code, err: (err as Error).message }, 'legacy hash does not open');
      return { row, stored: null };
    }
  });
}

/** Verifies against every candidate (no early exit); the first that matches, or null. */
async function verifyAll<C extends { stored: StoredLegacyHash | null }>(candidates: C[], password: string): Promise<C | null> {
  const results = await Promise.all(
    candidates.map((c) =>
      c.stored
        ? verifyLegacyHash(password, c.stored).catch((err: Error) => {
            logger.warn({ scheme: c.stored?.scheme, err: err.message }, 'legacy hash cannot be verified');
            return false;
          })
        : Promise.resolve(false),
    ),
  );
  const i = results.indexOf(true);
  return i === -1 ? null : candidates[i];
}

async function upgrade(app: AppContext, person: Person, hash: string, via: Candidate): Promise<void> {
  await app.db.transaction().execute(async (trx) => {
    await personStore.update(trx, person.id, { password_hash: hash, password_changed_at: new Date() });
    const retired = await legacyAccountStore.retireAll(trx, person.id);
    await app.audit.append(
      {
        event: 'password.upgrade',
        outcome: 'success',
        actor: person.sub,
        detail: { sub: person.sub, via: 'legacy', department: via.row.department_code, scheme: via.row.password_scheme, retired },
      },
      trx,
    );
  });
}

async function retireAfterArgon2(app: AppContext, person: Person): Promise<void> {
  await app.db.transaction().execute(async (trx) => {
    const retired = await legacyAccountStore.retireAll(trx, person.id);
    if (retired) {
      await app.audit.append({ event: 'password.upgrade', outcome: 'success', actor: person.sub, detail: { sub: person.sub, via: 'argon2id', retired } }, trx);
    }
  });
}

/**
 * The legacy half of a login, without the database: every candidate hash is verified (no early
 * exit) while the argon2id hash of the typed password is computed alongside. The hash is the
 * upgrade when a candidate matches, and the work that equalises timing when none does.
 */
export async function checkLegacyPassword<C extends { stored: StoredLegacyHash | null }>(candidates: C[], password: string): Promise<{ match: C | null; argon2id: string }> {
  const [match, argon2id] = await Promise.all([verifyAll(candidates, password), hashPassword(password)]);
  return { match, argon2id };
}

/** Wraps the core verifier (argon2id, with its re-hash on raised parameters) with legacy hashes. */
export function legacyPasswordVerifier(app: AppContext, next: PasswordVerifier): PasswordVerifier {
  return async (person, password) => {
    const rows = await legacyAccountStore.activeHashes(app.db, person.id);
    if (person.passwordHash) {
      if (await next(person, password)) {
        if (rows.length) await retireAfterArgon2(app, person);
        return true;
      }
      if (!rows.length) return false;
      // Not the argon2id password; one of the legacy ones still counts until the first success.
      const match = await verifyAll(openCandidates(app, rows), password);
      if (!match) return false;
      await upgrade(app, person, await hashPassword(password), match);
      return true;
    }
    if (!rows.length) return burnVerify(password);
    const { match, argon2id } = await checkLegacyPassword(openCandidates(app, rows), password);
    if (!match) return false;
    await upgrade(app, person, argon2id, match);
    return true;
  };
}

/** For tests and tools: the sub's foreign hashes still active. */
export async function activeLegacyHashes(app: AppContext, sub: string): Promise<number> {
  const person = await findPersonBySub(app, sub);
  return person ? (await legacyAccountStore.activeHashes(app.db, person.id)).length : 0;
}
