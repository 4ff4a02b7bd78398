// Passkeys (WebAuthn, @simplewebauthn/server). The relying party id is the ISSUER's host name and
// the expected origin the ISSUER's origin. Challenges are single use: stored with what they were
// issued for (purpose, and the interaction or session they belong to) and deleted when a response
// comes back, whatever its fate. Counters and credential ids are stored; a counter that does not
// grow (for authenticators that keep one) refuses the assertion.
//
// amr (RFC 8176): a device-bound credential is `hwk`, a synced one (backed up, multi-device) `swk`.
// Only an assertion with user verification (PIN, fingerprint, face) reaches `phr`.
import crypto from 'node:crypto';
import { isUniqueViolation } from '../db/errors.ts';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { logger } from '../log.ts';
import { challengeStore, passkeyStore, type PasskeyRow } from './store.ts';

const CHALLENGE_SECONDS = 300;
const RP_NAME = '一通 Yitong';

export type ChallengePurpose = 'register' | 'authenticate' | 'passwordless';

export function relyingParty(app: AppContext): { rpID: string; origin: string } {
  const u = new URL(app.config.issuer);
  return { rpID: u.hostname, origin: u.origin };
}

async function remember(app: AppContext, challenge: string, purpose: ChallengePurpose, binding: string, personId: string | null) {
  await challengeStore.insert(app.db, { challenge, purpose, binding, person_id: personId, expires_at: new Date(Date.now() + CHALLENGE_SECONDS * 1000) });
}

/** A check for verify*Response that takes the challenge out of the store (so it works once). */
function taker(app: AppContext, purpose: ChallengePurpose, binding: string, personId: string | null) {
  return async (challenge: string) => {
    const row = await challengeStore.take(app.db, challenge, purpose, binding);
    return Boolean(row) && (personId === null || row!.person_id === personId);
  };
}

export const amrOf = (row: Pick<PasskeyRow, 'device_type' | 'backed_up'>) => (row.device_type === 'multiDevice' || row.backed_up ? 'swk' : 'hwk');

export async function registrationOptions(app: AppContext, person: Person, binding: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpID } = relyingParty(app);
  const existing = await passkeyStore.byPerson(app.db, person.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID,
    // the opaque sub, never the ID number: authenticators may show or sync user ids
    userID: new TextEncoder().encode(person.sub),
    userName: person.idNumber ? maskIdNumber(person.idNumber) : person.sub.slice(0, 8),
    userDisplayName: person.name,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: CHALLENGE_SECONDS * 1000,
  });
  await remember(app, options.challenge, 'register', binding, person.id);
  return options;
}

export type RegisterResult = { ok: true; passkey: PasskeyRow; userVerified: boolean } | { ok: false; reason: string };

export async function registerPasskey(app: AppContext, person: Person, binding: string, responseJson: string, name: string): Promise<RegisterResult> {
  const { rpID, origin } = relyingParty(app);
  let response: RegistrationResponseJSON;
  try {
    response = JSON.parse(responseJson) as RegistrationResponseJSON;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  try {
    const v = await verifyRegistrationResponse({
      response,
      expectedChallenge: taker(app, 'register', binding, person.id),
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
    });
    if (!v.verified) return { ok: false, reason: 'unverified' };
    const info = v.registrationInfo;
    const row = {
      id: crypto.randomUUID(),
      person_id: person.id,
      credential_id: info.credential.id,
      public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: (info.credential.transports ?? []).slice(0, 8),
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp,
      name: name.normalize('NFKC').trim().slice(0, 64) || 'Passkey',
      aaguid: info.aaguid ?? null,
    };
    await passkeyStore.insert(app.db, row);
    const stored = (await passkeyStore.byCredentialId(app.db, row.credential_id))!;
    return { ok: true, passkey: stored, userVerified: info.userVerified };
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'duplicate' };
    logger.debug({ err: (err as Error).message }, 'passkey registration refused');
    return { ok: false, reason: 'invalid' };
  }
}

/** Options for an assertion: with the person's credentials (second factor), or none (passwordless). */
export async function authenticationOptions(
  app: AppContext,
  person: Person | null,
  binding: string,
  userVerification: 'required' | 'preferred',
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { rpID } = relyingParty(app);
  const allow = person ? (await passkeyStore.byPerson(app.db, person.id)).map((p) => ({ id: p.credential_id, transports: p.transports })) : undefined;
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: allow, userVerification, timeout: CHALLENGE_SECONDS * 1000 });
  await remember(app, options.challenge, person ? 'authenticate' : 'passwordless', binding, person?.id ?? null);
  return options;
}

export type AssertionResult =
  | { ok: true; personId: string; passkey: PasskeyRow; userVerified: boolean; amr: 'hwk' | 'swk' }
  | { ok: false; reason: string; personId: string | null };

/** Verifies an assertion: for `person` (second factor) or for whoever the credential belongs to (passwordless). */
export async function verifyAssertion(
  app: AppContext,
  person: Person | null,
  binding: string,
  responseJson: string,
  opts: { requireUserVerification: boolean },
): Promise<AssertionResult> {
  const { rpID, origin } = relyingParty(app);
  let response: AuthenticationResponseJSON;
  try {
    response = JSON.parse(responseJson) as AuthenticationResponseJSON;
  } catch {
    return { ok: false, reason: 'malformed', personId: person?.id ?? null };
  }
  const row = typeof response?.id === 'string' ? await passkeyStore.byCredentialId(app.db, response.id) : undefined;
  if (!row || (person && row.person_id !== person.id)) return { ok: false, reason: 'unknown_credential', personId: person?.id ?? null };
  try {
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge: taker(app, person ? 'authenticate' : 'passwordless', binding, person?.id ?? null),
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: row.counter, transports: row.transports },
      requireUserVerification: opts.requireUserVerification,
    });
    if (!v.verified) return { ok: false, reason: 'unverified', personId: row.person_id };
    if (!(await passkeyStore.recordUse(app.db, row.id, row.counter, v.authenticationInfo.newCounter))) return { ok: false, reason: 'counter', personId: row.person_id };
    return { ok: true, personId: row.person_id, passkey: row, userVerified: v.authenticationInfo.userVerified, amr: amrOf(row) };
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'passkey assertion refused');
    return { ok: false, reason: 'invalid', personId: row.person_id };
  }
}

export const listPasskeys = (app: AppContext, person: Person) => passkeyStore.byPerson(app.db, person.id);
