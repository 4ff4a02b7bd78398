// Unified social credit code (统一社会信用代码), GB 32100-2015: 17 chars + MOD 31 check character.

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export type UsccError = 'uscc.empty' | 'uscc.length' | 'uscc.charset' | 'uscc.check_char';
export type UsccResult = { ok: true; value: string; orgCode: string } | { ok: false; error: UsccError };

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARSET.indexOf(first17[i]) * WEIGHTS[i];
  return CHARSET[(31 - (sum % 31)) % 31];
}

export function parseUscc(raw: string | null | undefined): UsccResult {
  if (raw == null) return { ok: false, error: 'uscc.empty' };
  const v = String(raw).normalize('NFKC').replace(/\s+/g, '').toUpperCase();
  if (v === '') return { ok: false, error: 'uscc.empty' };
  if (v.length !== 18) return { ok: false, error: 'uscc.length' };
  for (const c of v) if (!CHARSET.includes(c)) return { ok: false, error: 'uscc.charset' };
  if (usccCheckChar(v) !== v[17]) return { ok: false, error: 'uscc.check_char' };
  // Positions 9-17 hold the pre-2015 organisation code (组织机构代码), kept for lookup.
  return { ok: true, value: v, orgCode: v.slice(8, 17) };
}
