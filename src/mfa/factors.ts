// One-time-code second factors, typed into the one `input[name=otp]` of the second-factor page.
// TOTP is built here. SMS codes (sms.ts: `smsFactor`) plug in as one
// more OtpFactor passed to `mfaFeatureWith({ otpFactors: [...] })`: amr `sms`, `enrolled` true only
// for a person who chose SMS as a second factor and has a verified phone, `send` behind
// `button[name=action][value=send_code]`. SMS is never phishing-resistant: it reaches `mfa`, never
// `phr`. Passkeys are not one-time codes and have their own path (passkeys.ts).
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { checkCode, hasTotp, type CodeCheck } from './totp.ts';

export interface OtpFactor {
  /** RFC 8176 method: `otp` (authenticator app), `sms` */
  amr: string;
  /** the person has set this factor up as a second factor */
  enrolled(app: AppContext, person: Person): Promise<boolean>;
  /** checks a typed code and, when right, uses it up (a code works once) */
  check(app: AppContext, person: Person, code: string): Promise<CodeCheck>;
  /** sends a code (SMS); the page then shows a send button. Resolves to a message key (and its params) to show. */
  send?(app: AppContext, person: Person, ip: string): Promise<{ ok: boolean; message: string; params?: Record<string, string | number> }>;
}

export const totpFactor: OtpFactor = {
  amr: 'otp',
  enrolled: hasTotp,
  check: (app, person, code) => checkCode(app, person, code),
};
