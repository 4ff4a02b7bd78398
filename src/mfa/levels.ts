// Assurance levels of a sign-in session (step-up after Keycloak's model, without its flaw of a
// level that never drops). Each level (acr) remembers when it was last reached and by which
// methods (amr). A level counts while it is younger than its own maximum age (configuration) and,
// when the app sends max_age, younger than that too; a requirement is met by any level at least as
// strong that still counts. What a token says is the strongest level that still counts, so an
// elevated level drops back when it grows old.
//
// The record lives in mfa_session_levels, keyed by the provider session's uid, and is written when
// an authorization resumes from a sign-in (the login result names its acr and amr).
import type { Acr } from '../oidc/acr.ts';
import { ACR_ORDER, ACR_PWD, acrRank } from '../oidc/acr.ts';
import type { LevelRecord } from './tables.ts';

export type { LevelRecord };

/** Seconds a level counts after it was reached; null: as long as the session lives. */
export type LevelMaxAges = Record<Acr, number | null>;

/** Normalises an acr from a login result: a value Yitong does not define counts as one factor. */
export function levelOf(acr: unknown): Acr {
  return acrRank(acr) >= 0 ? (acr as Acr) : ACR_PWD;
}

/**
 * The record after a sign-in of `acr` by `amr` at `at` (epoch seconds). A level below it that the
 * session never reached is reached with it (a passkey alone is also one factor), so that the
 * session falls back to it when the stronger level grows old.
 */
export function reached(levels: LevelRecord, acr: unknown, amr: unknown, at: number): LevelRecord {
  const methods = Array.isArray(amr) ? amr.filter((m): m is string => typeof m === 'string') : [];
  const level = levelOf(acr);
  const out: LevelRecord = { ...levels, [level]: { at, amr: methods } };
  for (const lower of ACR_ORDER.slice(0, acrRank(level))) {
    out[lower] ??= { at, amr: lower === ACR_PWD ? methods.filter((m) => m !== 'mfa') : methods };
  }
  return out;
}

function counts(levels: LevelRecord, acr: Acr, now: number, maxAges: LevelMaxAges, requestMaxAge: number | undefined): boolean {
  const l = levels[acr];
  if (!l) return false;
  const age = now - l.at;
  const own = maxAges[acr];
  if (own !== null && age > own) return false;
  return requestMaxAge === undefined || age <= requestMaxAge;
}

/** The strongest level that still counts, or null. */
export function effectiveLevel(levels: LevelRecord, now: number, maxAges: LevelMaxAges, requestMaxAge?: number): Acr | null {
  for (const acr of [...ACR_ORDER].reverse()) if (counts(levels, acr, now, maxAges, requestMaxAge)) return acr;
  return null;
}

/** A level at least as strong as `required` still counts. */
export function meets(levels: LevelRecord, required: Acr, now: number, maxAges: LevelMaxAges, requestMaxAge?: number): boolean {
  const eff = effectiveLevel(levels, now, maxAges, requestMaxAge);
  return eff !== null && acrRank(eff) >= acrRank(required);
}

/**
 * The first factor was used after the last second factor (or no second factor was ever used in
 * this session): a person who has enrolled one is asked for it.
 */
export function firstFactorUnconfirmed(levels: LevelRecord): boolean {
  const first = levels[ACR_PWD]?.at;
  const second = Math.max(...ACR_ORDER.slice(1).map((a) => levels[a]?.at ?? -Infinity));
  if (second === -Infinity) return true;
  return first !== undefined && first > second;
}

/** When the strongest second-factor level was reached (epoch seconds), or null. */
export function lastSecondFactorAt(levels: LevelRecord): number | null {
  const t = Math.max(...ACR_ORDER.slice(1).map((a) => levels[a]?.at ?? -Infinity));
  return t === -Infinity ? null : t;
}

/** The amr of a session after a second factor: the first factor's methods, the second's, and `mfa`. */
export function combinedAmr(first: unknown, second: string[]): string[] {
  const base = Array.isArray(first) ? first.filter((m): m is string => typeof m === 'string' && m !== 'mfa') : [];
  return [...new Set([...base, ...second, 'mfa'])];
}
