// Authenticator apps (TOTP, RFC 6238 with otplib): SHA-1, 6 digits, 30 s steps, one step either
// side accepted for clock drift. The secret is sealed at rest (AAD binds it to its column). A code
// is accepted once per step and person: the accepted step is claimed with a conditional update
// (store.ts), so a code replayed on another node, or a code of an earlier step, is refused.
import { generateSecret, generateURI, verify, type VerifyResult as TotpVerifyResult } from 'otplib';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { AppError } from '../errors.ts';
import { totpStore } from './store.ts';

export const TOTP_AAD = 'mfa_totp.secret';
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** seconds either side of now: one step */
const TOLERANCE = TOTP_PERIOD;
const ISSUER = '一通';

export interface Enrolment {
  /** base32, as typed into an app that cannot scan */
  secret: string;
  /** otpauth://totp/... for the QR code */
  uri: string;
}

/** What a person types: full-width digits and spaces allowed; six digits or nothing. */
export function normaliseCode(raw: string): string | null {
  const code = raw.normalize('NFKC').replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/** The label an authenticator app shows: the masked ID number (never the whole number). */
function label(person: Person): string {
  return person.idNumber ? maskIdNumber(person.idNumber) : person.sub.slice(0, 8);
}

export function enrolmentOf(app: AppContext, person: Person, secret: string): Enrolment {
  const host = new URL(app.config.issuer).hostname;
  return { secret, uri: generateURI({ issuer: `${ISSUER} ${host}`, label: label(person), secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD }) };
}

/** An enrolment not confirmed within this long is started again with a new secret. */
export const PENDING_SECONDS = 900;

/** The pending enrolment (started recently, not yet confirmed with a code), if any. */
export async function pendingEnrolment(app: AppContext, person: Person): Promise<Enrolment | null> {
  const row = await totpStore.byPerson(app.db, person.id);
  if (!row || row.confirmed_at || Date.now() - row.created_at.getTime() > PENDING_SECONDS * 1000) return null;
  return enrolmentOf(app, person, app.keyring.open(row.secret_enc, TOTP_AAD));
}

/** Starts (or restarts) an enrolment with a fresh secret; refused while an authenticator is active. */
export async function startEnrolment(app: AppContext, person: Person): Promise<Enrolment> {
  const secret = generateSecret({ length: 20 });
  if (!(await totpStore.putPending(app.db, person.id, app.keyring.seal(secret, TOTP_AAD)))) throw new AppError('mfa.totp.active', 'conflict');
  return enrolmentOf(app, person, secret);
}

/** The pending enrolment, or a new one. */
export async function ensureEnrolment(app: AppContext, person: Person): Promise<Enrolment> {
  return (await pendingEnrolment(app, person)) ?? startEnrolment(app, person);
}

export type CodeCheck = { ok: true } | { ok: false; reason: 'format' | 'wrong' | 'replay' | 'none' };

async function matchStep(secret: string, code: string, now: number): Promise<number | null> {
  const r = (await verify({ secret, token: code, epochTolerance: TOLERANCE, epoch: now, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD })) as TotpVerifyResult;
  return r.valid ? r.timeStep : null;
}

/**
 * Checks a code against the person's authenticator (the pending one when `confirm`, which the
 * first good code activates) and claims its time step.
 */
export async function checkCode(app: AppContext, person: Person, raw: string, opts: { confirm?: boolean; now?: number } = {}): Promise<CodeCheck> {
  const confirm = Boolean(opts.confirm);
  const code = normaliseCode(raw);
  if (!code) return { ok: false, reason: 'format' };
  const row = await totpStore.byPerson(app.db, person.id);
  if (!row || Boolean(row.confirmed_at) === confirm) return { ok: false, reason: 'none' };
  if (confirm && Date.now() - row.created_at.getTime() > PENDING_SECONDS * 1000) return { ok: false, reason: 'none' };
  const step = await matchStep(app.keyring.open(row.secret_enc, TOTP_AAD), code, opts.now ?? Date.now() / 1000);
  if (step === null) return { ok: false, reason: 'wrong' };
  if (!(await totpStore.claimStep(app.db, person.id, step, confirm))) return { ok: false, reason: 'replay' };
  return { ok: true };
}

export async function hasTotp(app: AppContext, person: Person): Promise<boolean> {
  const row = await totpStore.byPerson(app.db, person.id);
  return Boolean(row?.confirmed_at);
}
