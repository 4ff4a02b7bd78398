// Identity document types as departments wrote them, mapped to our codes. Only unambiguous names
// are built in; numeric codes differ between systems ("01" is not always the resident ID), so a
// profile maps those explicitly with id_type_map.
import type { IdType } from './profile.ts';

const BUILT_IN: Record<string, IdType> = {
  resident_id: 'resident_id',
  身份证: 'resident_id',
  居民身份证: 'resident_id',
  二代身份证: 'resident_id',
  passport: 'passport',
  护照: 'passport',
  hk_macao_permit: 'hk_macao_permit',
  港澳居民来往内地通行证: 'hk_macao_permit',
  港澳通行证: 'hk_macao_permit',
  taiwan_permit: 'taiwan_permit',
  台湾居民来往大陆通行证: 'taiwan_permit',
  台胞证: 'taiwan_permit',
  foreign_permanent_id: 'foreign_permanent_id',
  外国人永久居留身份证: 'foreign_permanent_id',
  外国人永久居留证: 'foreign_permanent_id',
};

const key = (v: string) => v.normalize('NFKC').trim().toLowerCase();

/** A resolver for one profile: an empty value means the resident ID; null means unknown. */
export function idTypeResolver(profileMap: Record<string, IdType> | undefined): (raw: string) => IdType | null {
  const map = new Map<string, IdType>(Object.entries(BUILT_IN));
  for (const [k, v] of Object.entries(profileMap ?? {})) map.set(key(k), v);
  return (raw) => {
    const k = key(raw);
    return k === '' ? 'resident_id' : (map.get(k) ?? null);
  };
}

/**
 * Documents other than the resident ID have no check character: only their form is checked
 * (letters and digits, 5 to 20), so they are matched as written, never corrected.
 */
export function parseOtherIdNumber(raw: string): { ok: true; value: string } | { ok: false; error: 'id_number.empty' | 'id_number.length' | 'id_number.charset' } {
  const v = raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
  if (v === '') return { ok: false, error: 'id_number.empty' };
  if (!/^[A-Z0-9]+$/.test(v)) return { ok: false, error: 'id_number.charset' };
  if (v.length < 5 || v.length > 20) return { ok: false, error: 'id_number.length' };
  return { ok: true, value: v };
}
