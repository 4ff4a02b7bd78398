// Field checks of the citizen forms: each answers the normalised value or the message shown next
// to the field. Format only: nothing here looks at the database.
import { parseIdNumber } from '../identity/id-number.ts';
import { parseEmail, parseMobile } from '../identity/contact.ts';
import { passwordPolicyError } from '../crypto/password.ts';
import { weakPasswordError, type PersonalFacts } from '../crypto/common-passwords.ts';
import { CODE_FORMAT } from '../codes/service.ts';
import type { Msg } from './forms.ts';

export type Checked<T = string> = { ok: true; value: T } | { ok: false; msg: Msg };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = (key: string): Checked<never> => ({ ok: false, msg: { key } });

export function checkIdNumber(raw: string): Checked {
  const r = parseIdNumber(raw);
  return r.ok ? ok(r.value) : bad(r.error);
}

export function checkPhone(raw: string): Checked {
  if (!raw.trim()) return bad('phone.empty');
  const r = parseMobile(raw);
  return r.ok ? ok(r.value) : bad(r.error);
}

/** A name as on the ID card: letters of any script, the middle dot of minority names, spaces. */
export function checkName(raw: string): Checked {
  const v = raw.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (!v) return bad('name.empty');
  if ([...v].length > 64 || !/^[\p{L}\p{M}·・. '-]+$/u.test(v) || !/\p{L}/u.test(v)) return bad('name.invalid');
  return ok(v);
}

export function checkCode(raw: string): Checked {
  const v = raw.normalize('NFKC').replace(/\s+/g, '');
  if (!v) return bad('code.missing');
  return CODE_FORMAT.test(v) ? ok(v) : bad('code.format');
}

/** Policy (length, classes), then common passwords and the person's own numbers. */
export function checkNewPassword(raw: string, personal: PersonalFacts = {}): Checked {
  if (!raw) return bad('password.empty');
  const policy = passwordPolicyError(raw);
  if (policy) return bad(policy);
  const weak = weakPasswordError(raw, personal);
  return weak ? bad(weak) : ok(raw);
}

/** What a recovery starts from: an ID number, mobile number or e-mail, normalised. */
export function checkIdentifier(raw: string): Checked {
  const v = raw.normalize('NFKC').trim();
  if (!v) return bad('identifier.empty');
  const id = parseIdNumber(v);
  if (id.ok) return ok(id.value);
  const phone = parseMobile(v);
  if (phone.ok) return ok(phone.value);
  const email = parseEmail(v);
  if (email.ok) return ok(email.value);
  // an 18-character attempt at an ID number gets the ID number's own message
  if (/^[\dXx]{15,18}$/.test(v.replace(/\s+/g, ''))) return bad((id as { error: string }).error);
  if (LEGACY_LOGIN.test(v)) return ok(v);
  return bad('identifier.invalid');
}

/** A former departmental account, `DEPARTMENT/loginname` (as the login form takes it). */
export const LEGACY_LOGIN = /^([A-Za-z0-9_-]{1,32})\/(.{1,128})$/su;
