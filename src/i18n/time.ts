// Every date a person reads on our pages: Beijing time, "2026-03-01 14:05", whatever the server's
// zone. Accepts the Date a store returns or the ISO string the admin API answers with.
const PARTS = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function toDate(v: Date | string | null | undefined): Date | null {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 2026-03-01 14:05 (or with seconds, for audit records); null for no or unparseable value. */
export function formatTime(v: Date | string | null | undefined, seconds = false): string | null {
  const d = toDate(v);
  if (!d) return null;
  const p = Object.fromEntries(PARTS.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? ':' + p.second : ''}`;
}

/** 2026-03-01 */
export function formatDay(v: Date): string;
export function formatDay(v: Date | string | null | undefined): string | null;
export function formatDay(v: Date | string | null | undefined): string | null {
  return formatTime(v)?.slice(0, 10) ?? null;
}
