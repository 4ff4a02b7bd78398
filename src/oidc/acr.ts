// Authentication context classes (DESIGN.md, "Assurance"): how strongly a login was made, weakest
// first. `acr_values`, an `acr` claim request and an app's --min-acr are minimums on this order.
// (How well the identity was proven is the person's real_name_level: the two never mix.)

export const ACR_PWD = 'urn:yitong:acr:pwd';
export const ACR_MFA = 'urn:yitong:acr:mfa';
export const ACR_PHR = 'urn:yitong:acr:phr';

export type Acr = typeof ACR_PWD | typeof ACR_MFA | typeof ACR_PHR;

/** weakest first */
export const ACR_ORDER: readonly Acr[] = [ACR_PWD, ACR_MFA, ACR_PHR];

export function isAcr(v: unknown): v is Acr {
  return typeof v === 'string' && (ACR_ORDER as readonly string[]).includes(v);
}

/** 0, 1, 2 for pwd, mfa, phr; -1 for a value Yitong does not define */
export function acrRank(v: unknown): number {
  return isAcr(v) ? ACR_ORDER.indexOf(v) : -1;
}

/** The stronger of two (null: none). */
export function strongerAcr(a: Acr | null, b: Acr | null): Acr | null {
  if (!a) return b;
  if (!b) return a;
  return acrRank(a) >= acrRank(b) ? a : b;
}
