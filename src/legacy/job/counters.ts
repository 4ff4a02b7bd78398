// An import's counters: per batch from its plan, summed into the job's totals (stored with the job,
// reported, audited).
export interface ImportCounters {
  rows_read: number;
  persons_created: number;
  persons_merged: number;
  unverified_accounts: number;
  accounts_linked: number;
  accounts_unchanged: number;
  in_review: number;
  conflicts: number;
  rejected: number;
  orgs_created: number;
  orgs_linked: number;
  orgs_unregistered: number;
  passwords_rehashed: number;
  warnings: Record<string, number>;
  rejections_by_code: Record<string, number>;
}

export function emptyCounters(): ImportCounters {
  return {
    rows_read: 0,
    persons_created: 0,
    persons_merged: 0,
    unverified_accounts: 0,
    accounts_linked: 0,
    accounts_unchanged: 0,
    in_review: 0,
    conflicts: 0,
    rejected: 0,
    orgs_created: 0,
    orgs_linked: 0,
    orgs_unregistered: 0,
    passwords_rehashed: 0,
    warnings: {},
    rejections_by_code: {},
  };
}

export function addCounters(a: ImportCounters, b: ImportCounters): ImportCounters {
  const out = { ...a, warnings: { ...a.warnings }, rejections_by_code: { ...a.rejections_by_code } };
  for (const k of Object.keys(b) as (keyof ImportCounters)[]) {
    if (k === 'warnings' || k === 'rejections_by_code') {
      for (const [code, n] of Object.entries(b[k])) out[k][code] = (out[k][code] ?? 0) + n;
    } else out[k] = (out[k] as number) + (b[k] as number);
  }
  return out;
}

/** The counters without their per-code breakdowns, for audit details. */
export const auditCounts = (c: ImportCounters) => {
  const { warnings: _w, rejections_by_code: _r, ...numbers } = c;
  return numbers;
};
