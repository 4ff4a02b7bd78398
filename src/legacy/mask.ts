// Values kept for reviewing a rejected or conflicting row: enough to find the row in the source
// and tell rows apart, never a full ID number, phone number or name (PIPL; reports travel far).
import { cleanIdNumber } from '../identity/id-number.ts';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '../identity/mask.ts';
import type { ColumnField, ImportProfile } from './profile.ts';

const LIMIT = 128;

export function maskLoginName(v: string): string {
  const chars = [...v.trim()];
  return chars.length <= 2 ? '*'.repeat(chars.length) : chars.slice(0, 2).join('') + '***';
}

function maskRawId(v: string): string {
  const cleaned = cleanIdNumber(v);
  // A float-mangled value is shown as it is: it holds no more digits than its mantissa.
  return /[eE.]/.test(cleaned) ? cleaned.slice(0, LIMIT) : maskIdNumber(cleaned.slice(0, 32));
}

const MASKS: Partial<Record<ColumnField, (v: string) => string>> = {
  legacy_uid: (v) => v.trim().slice(0, LIMIT),
  login_name: maskLoginName,
  name: (v) => maskName(v.normalize('NFKC').trim().slice(0, 64)),
  id_type: (v) => v.trim().slice(0, 32),
  id_number: maskRawId,
  phone: (v) => maskPhone(v.normalize('NFKC').replace(/[^\d+]/g, '').slice(0, 20)),
  email: (v) => maskEmail(v.trim().slice(0, 254)),
  uscc: (v) => v.trim().slice(0, 32),
  org_name: (v) => v.trim().slice(0, LIMIT),
  password_scheme: (v) => v.trim().slice(0, 32),
  // password_hash and salt are never copied anywhere
};

/** Masked copies of a raw record's mapped, non-empty fields, keyed by field name. */
export function maskRawFields(profile: ImportProfile, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, column] of Object.entries(profile.columns) as [ColumnField, string | undefined][]) {
    const mask = MASKS[field];
    if (!mask || !column) continue;
    const v = fields[column];
    if (typeof v !== 'string' || v.trim() === '') continue;
    out[field] = mask(v.replace(/\u0000/g, ''));
  }
  return out;
}
