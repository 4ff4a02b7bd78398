// Audit details must never hold raw personal data. Callers pass masked values; this is the safety
// net applied to every detail before it is written: ID-number-shaped and mobile-number-shaped
// substrings are masked, secret-looking keys are redacted, and the value is reduced to plain JSON
// that survives a round trip through jsonb unchanged (so the chain MAC recomputes exactly).
import { maskIdNumber, maskPhone } from '../identity/mask.ts';

// 18-char resident ID (17 digits + digit/X) or a 15-digit pre-1999 number, not part of a longer
// alphanumeric token.
const ID_NUMBER = /(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;
// Mainland mobile, optionally written with +86 / 0086 and spaces or hyphens between groups.
const MOBILE = /(?<![0-9A-Za-z+])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![0-9A-Za-z])/g;
const SECRET_KEY = /(?:^|_)pass(?:wd)?$|password|secret|^otp$|^pin$|^mm$/i;
const MAX_STRING = 2000;
const MAX_DETAIL_CHARS = 16_000;

/** Masks ID numbers and mobile numbers found inside free text. */
export function scrubText(text: string): string {
  // NFKC first, so that full-width digits cannot slip a number past the patterns. Lone surrogates
  // and NUL are not storable in PostgreSQL text/jsonb.
  let s = text.normalize('NFKC').toWellFormed().replace(/\u0000/g, '');
  // mobile first: 0086 + a mobile number is 15 digits, like an old ID number (which never starts 00)
  s = s.replace(MOBILE, (m) => maskPhone(m.replace(/^(?:\+|00)86/, '').replace(/[\s-]/g, '')));
  s = s.replace(ID_NUMBER, (m) => maskIdNumber(m.toUpperCase()));
  return s.length > MAX_STRING ? s.slice(0, MAX_STRING) + '…' : s;
}

function scrubValue(value: unknown, key: string | null): unknown {
  if (key !== null && SECRET_KEY.test(key) && (typeof value === 'number' || (typeof value === 'string' && value !== ''))) return '[redacted]';
  if (typeof value === 'string') return scrubText(value);
  // A number can be an ID or mobile number too (a spreadsheet export turned it into a float):
  // masked, it becomes text.
  if (typeof value === 'number') {
    const text = String(value);
    const masked = scrubText(text);
    return masked === text ? value : masked;
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, null));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[scrubText(k)] = scrubValue(v, k);
    return out;
  }
  return value;
}

/**
 * Returns a plain-JSON copy of `detail` that is safe to store: masked, bounded in size, and equal to
 * what jsonb will give back. Never throws: an unserialisable detail is replaced by a marker.
 */
export function scrubDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> {
  if (detail === undefined || detail === null) return {};
  let plain: unknown;
  try {
    plain = JSON.parse(JSON.stringify(detail));
  } catch {
    return { detail_error: 'unserialisable' };
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return { detail_error: 'not_an_object' };
  const scrubbed = scrubValue(plain, null) as Record<string, unknown>;
  const size = JSON.stringify(scrubbed).length;
  if (size > MAX_DETAIL_CHARS) return { detail_error: 'too_large', size, keys: Object.keys(scrubbed).slice(0, 50) };
  return scrubbed;
}
