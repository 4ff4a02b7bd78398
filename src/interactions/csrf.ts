// CSRF token for interaction forms: an HMAC of the interaction uid. The uid is bound to the
// browser by oidc-provider's interaction cookie, and unknown to a cross-site attacker.
import type { Keyring } from '../crypto/keyring.ts';
import { safeEqual } from '../crypto/keyring.ts';

export function csrfToken(keyring: Keyring, uid: string): string {
  return keyring.blindIndex('csrf', uid);
}

export function csrfValid(keyring: Keyring, uid: string, submitted: unknown): boolean {
  return typeof submitted === 'string' && submitted.length > 0 && safeEqual(csrfToken(keyring, uid), submitted);
}
