// Contact data normalisation: mobile numbers (mainland) and e-mail addresses.

export function parseMobile(raw: string | null | undefined): { ok: true; value: string } | { ok: false; error: 'phone.invalid' } {
  if (raw == null) return { ok: false, error: 'phone.invalid' };
  let v = String(raw).normalize('NFKC').replace(/[\s-]+/g, '');
  if (v.startsWith('+86')) v = v.slice(3);
  else if (v.startsWith('0086')) v = v.slice(4);
  return /^1[3-9]\d{9}$/.test(v) ? { ok: true, value: v } : { ok: false, error: 'phone.invalid' };
}

export function parseEmail(raw: string | null | undefined): { ok: true; value: string } | { ok: false; error: 'email.invalid' } {
  if (raw == null) return { ok: false, error: 'email.invalid' };
  const v = String(raw).normalize('NFKC').trim().toLowerCase();
  if (v.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return { ok: false, error: 'email.invalid' };
  return { ok: true, value: v };
}
