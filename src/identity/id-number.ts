// Resident ID number (居民身份证号码), GB 11643-1999: 17 digits + MOD 11-2 check character.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export type IdNumberError =
  | 'id_number.empty'
  | 'id_number.float_mangled'
  | 'id_number.length'
  | 'id_number.charset'
  | 'id_number.birthdate'
  | 'id_number.check_char';

export type IdNumberResult =
  | { ok: true; value: string; upgraded: boolean }
  | { ok: false; error: IdNumberError };

export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** NFKC (full-width digits), strip spaces, upper-case X. Does not validate. */
export function cleanIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

function validBirthdate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1850 || m < 1 || m > 12 || d < 1) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d && date.getTime() <= Date.now();
}

/**
 * Normalise and validate. 15-digit pre-1999 numbers are upgraded (insert "19", compute the check
 * character). A wrong check character is rejected, never "fixed".
 */
export function parseIdNumber(raw: string | null | undefined): IdNumberResult {
  if (raw == null) return { ok: false, error: 'id_number.empty' };
  const v = cleanIdNumber(String(raw));
  if (v === '') return { ok: false, error: 'id_number.empty' };
  // Spreadsheet exports turn long numbers into floats: 1.10105E+17, 110105194912310000.0
  if (/^\d(\.\d+)?E\+?\d+$/i.test(v) || /^\d+\.\d*$/.test(v)) return { ok: false, error: 'id_number.float_mangled' };
  if (v.length === 15) {
    if (!/^\d{15}$/.test(v)) return { ok: false, error: 'id_number.charset' };
    const first17 = v.slice(0, 6) + '19' + v.slice(6);
    if (!validBirthdate(first17.slice(6, 14))) return { ok: false, error: 'id_number.birthdate' };
    return { ok: true, value: first17 + idCheckChar(first17), upgraded: true };
  }
  if (v.length !== 18) return { ok: false, error: 'id_number.length' };
  if (!/^\d{17}[\dX]$/.test(v)) return { ok: false, error: 'id_number.charset' };
  if (!validBirthdate(v.slice(6, 14))) return { ok: false, error: 'id_number.birthdate' };
  if (idCheckChar(v) !== v[17]) return { ok: false, error: 'id_number.check_char' };
  return { ok: true, value: v, upgraded: false };
}

/** Birthdate (YYYY-MM-DD) and gender derived from a valid 18-char ID number. */
export function idNumberFacts(id: string): { birthdate: string; gender: 'male' | 'female' } {
  return {
    birthdate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    gender: Number(id[16]) % 2 === 1 ? 'male' : 'female',
  };
}
