// Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4), minted fresh for every attempt and
// signed with the provider's current key for the app's ID token algorithm. Built here rather than
// through oidc-provider's Client#backchannelLogout so that an app that was disabled is still told,
// and so that the HTTP status decides between retry and give-up.
import crypto from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const LIFETIME_SECONDS = 120;

/** Signing keys by algorithm, newest first (the JWKS order oidc-provider signs with). */
export type SigningKeys = Map<string, { kid: string; key: Awaited<ReturnType<typeof importJWK>> }>;

export async function signingKeys(jwks: { keys: JWK[] }): Promise<SigningKeys> {
  const out: SigningKeys = new Map();
  for (const jwk of jwks.keys) {
    if (!jwk.alg || out.has(jwk.alg)) continue;
    out.set(jwk.alg, { kid: jwk.kid!, key: await importJWK(jwk, jwk.alg) });
  }
  return out;
}

export async function logoutToken(keys: SigningKeys, c: { issuer: string; clientId: string; alg: string; sub: string; sid: string | null }): Promise<string> {
  const k = keys.get(c.alg) ?? keys.get('ES256');
  if (!k) throw new Error(`no signing key for ${c.alg}`);
  return new SignJWT({ events: { [LOGOUT_EVENT]: {} }, ...(c.sid ? { sid: c.sid } : {}) })
    .setProtectedHeader({ alg: keys.has(c.alg) ? c.alg : 'ES256', kid: k.kid, typ: 'logout+jwt' })
    .setIssuer(c.issuer)
    .setAudience(c.clientId)
    .setSubject(c.sub)
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .setJti(crypto.randomUUID())
    .sign(k.key);
}
