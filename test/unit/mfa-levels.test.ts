// Assurance levels of a session (src/mfa/levels.ts) and acr as a minimum (src/oidc/acr.ts), as
// pure functions: what counts, what a token may say, when a second factor is asked for.
import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR, ACR_PWD, acrRank, strongerAcr } from '../../src/oidc/acr.ts';
import { combinedAmr, effectiveLevel, firstFactorUnconfirmed, levelOf, meets, reached, type LevelMaxAges } from '../../src/mfa/levels.ts';
import { normaliseCode } from '../../src/mfa/totp.ts';
import { normaliseRecoveryCode } from '../../src/mfa/recovery.ts';
import { requestedAcr } from '../../src/mfa/prompt.ts';

const AGES: LevelMaxAges = { [ACR_PWD]: null, [ACR_MFA]: 600, [ACR_PHR]: 300 };

describe('acr order', () => {
  it('ranks pwd < mfa < phr and ignores what Yitong does not define', () => {
    expect([ACR_PWD, ACR_MFA, ACR_PHR].map(acrRank)).toEqual([0, 1, 2]);
    expect(acrRank('urn:other')).toBe(-1);
    expect(strongerAcr(ACR_MFA, ACR_PWD)).toBe(ACR_MFA);
    expect(strongerAcr(null, ACR_PHR)).toBe(ACR_PHR);
    expect(levelOf('urn:other')).toBe(ACR_PWD);
  });

  it('reads the weakest Yitong value asked for, from acr_values and the acr claim', () => {
    const oidc = (params: Record<string, unknown>, claims?: unknown) => ({ params, claims }) as never;
    expect(requestedAcr(oidc({ acr_values: `${ACR_PHR} ${ACR_MFA}` }))).toBe(ACR_MFA);
    expect(requestedAcr(oidc({ acr_values: 'urn:other' }))).toBeNull();
    expect(requestedAcr(oidc({}, { id_token: { acr: { essential: true, value: ACR_PHR } } }))).toBe(ACR_PHR);
    expect(requestedAcr(oidc({}, { id_token: { acr: { values: ['x', ACR_MFA] } } }))).toBe(ACR_MFA);
    expect(requestedAcr(oidc({}))).toBeNull();
  });
});

describe('session levels', () => {
  const t0 = 1_000_000;
  const pwd = reached({}, ACR_PWD, ['pwd'], t0);
  const stepped = reached(pwd, ACR_MFA, ['pwd', 'otp', 'mfa'], t0 + 100);

  it('meets a requirement with any level at least as strong that still counts', () => {
    expect(meets(pwd, ACR_PWD, t0 + 10, AGES)).toBe(true);
    expect(meets(pwd, ACR_MFA, t0 + 10, AGES)).toBe(false);
    expect(meets(stepped, ACR_MFA, t0 + 200, AGES)).toBe(true);
    expect(meets(stepped, ACR_PWD, t0 + 200, AGES, 150)).toBe(true); // the mfa level is fresh enough for a pwd max_age
    expect(meets(stepped, ACR_PHR, t0 + 200, AGES)).toBe(false);
  });

  it('lets an elevated level drop back when older than its own maximum age or the request max_age', () => {
    expect(effectiveLevel(stepped, t0 + 200, AGES)).toBe(ACR_MFA);
    expect(effectiveLevel(stepped, t0 + 100 + 601, AGES)).toBe(ACR_PWD);
    expect(meets(stepped, ACR_MFA, t0 + 200, AGES, 60)).toBe(false);
    expect(meets(stepped, ACR_MFA, t0 + 120, AGES, 60)).toBe(true);
  });

  it('asks for the second factor after a first-factor sign-in that none followed', () => {
    expect(firstFactorUnconfirmed({})).toBe(true);
    expect(firstFactorUnconfirmed(pwd)).toBe(true);
    expect(firstFactorUnconfirmed(stepped)).toBe(false);
    expect(firstFactorUnconfirmed(reached(stepped, ACR_PWD, ['pwd'], t0 + 500))).toBe(true); // signed in again with the password
    expect(firstFactorUnconfirmed(reached({}, ACR_PHR, ['hwk', 'mfa'], t0))).toBe(false); // a passkey alone
  });

  it('lists every method once, with mfa', () => {
    expect(combinedAmr(['pwd'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(combinedAmr(['pwd', 'otp', 'mfa'], ['hwk'])).toEqual(['pwd', 'otp', 'hwk', 'mfa']);
    expect(combinedAmr(undefined, ['hwk'])).toEqual(['hwk', 'mfa']);
  });
});

describe('what people type', () => {
  it('accepts six digits, full-width or spaced; recovery codes in any case, with or without the hyphen', () => {
    expect(normaliseCode('１２３ ４５６')).toBe('123456');
    expect(normaliseCode('12345')).toBeNull();
    expect(normaliseCode('12345a')).toBeNull();
    expect(normaliseRecoveryCode('acdef-ghjkm')).toBe('ACDEFGHJKM');
    expect(normaliseRecoveryCode('ACDEF GHJKM')).toBe('ACDEFGHJKM');
    expect(normaliseRecoveryCode('ACDEF-GHJK0')).toBeNull(); // 0 is not in the alphabet
  });
});
