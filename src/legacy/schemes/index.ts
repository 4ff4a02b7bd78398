// The registry of legacy password-hash schemes, one module per family.
import { argon2 } from './argon2.ts';
import { bcrypt } from './bcrypt.ts';
import { md5, sha1, sha256, sha512, sm3 } from './digest.ts';
import { pbkdf2, pbkdf2Django } from './pbkdf2.ts';
import { plaintext } from './plaintext.ts';
import { ruoyiMd5 } from './ruoyi.ts';
import type { HashScheme, StoredLegacyHash } from './types.ts';

export type { HashScheme, ParamsResult, SchemeInput, StoredLegacyHash } from './types.ts';
export { SchemeParamsError } from './types.ts';

const SCHEMES: readonly HashScheme[] = [plaintext, md5, sha1, sha256, sha512, sm3, ruoyiMd5, bcrypt, pbkdf2, pbkdf2Django, argon2];

// A Map, not an object: a scheme called "constructor" must not resolve to Object.prototype's.
const BY_NAME = new Map(SCHEMES.map((s) => [s.name, s]));

export const SCHEME_NAMES: readonly string[] = SCHEMES.map((s) => s.name);

export function getScheme(name: string): HashScheme | undefined {
  return BY_NAME.get(name);
}

export class UnknownSchemeError extends Error {
  constructor(name: string) {
    super(`unknown legacy hash scheme "${name}"; known: ${SCHEME_NAMES.join(', ')}`);
    this.name = 'UnknownSchemeError';
  }
}

/**
 * Verify a password against a stored foreign hash. Resolves false on a mismatch; throws for an
 * unknown scheme or invalid stored parameters, which are faults to log, never a reason to let in.
 */
export function verifyLegacyHash(password: string, stored: StoredLegacyHash): Promise<boolean> {
  const scheme = getScheme(stored.scheme);
  if (!scheme) return Promise.reject(new UnknownSchemeError(stored.scheme));
  return scheme.verify(password, stored);
}
