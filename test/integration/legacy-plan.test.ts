// The batch planner's promise: rows are decided as if one at a time, so where batch boundaries fall
// (a resumed job re-cuts nothing, but a changed batch size or a retry might) never changes the end
// state. Checked against an in-memory library with random sources full of repeats, conflicts,
// missing contact data and rejected rows.
import { describe, expect, it } from 'vitest';
import { addCounters, emptyCounters, type ImportCounters } from '../../src/legacy/job/counters.ts';
import { planBatch, type BatchLookup } from '../../src/legacy/job/plan.ts';
import type { ExistingPerson } from '../../src/legacy/job/plan-persons.ts';
import type { PreparedItem, PreparedRow } from '../../src/legacy/job/prepare.ts';
import { message } from '../../src/legacy/messages.ts';
import { profile } from '../fixtures/legacy/support.ts';

const JOB = 'job-1';
const p = profile({
  source: { type: 'csv' },
  columns: { legacy_uid: 'u', name: 'n', id_number: 'i', phone: 'p', uscc: 'c', org_name: 'o', password_hash: 'h' },
  password: { scheme: 'md5' },
  on_invalid_id: 'import_unverified',
  on_error: 'skip',
  org_role: 'legal_representative',
});

/** A tiny deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function source(seed: number, n: number): PreparedItem[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const items: PreparedItem[] = [];
  for (let i = 1; i <= n; i++) {
    if (r() < 0.08) {
      items.push({ kind: 'rejected', rowNumber: i, line: i + 1, code: 'hash.shape', message: message('hash.shape', { scheme: 'md5' }), column: 'h', values: {} });
      continue;
    }
    const person = Math.floor(r() * 12);
    const unverified = r() < 0.1;
    const name = r() < 0.1 ? null : r() < 0.15 ? `X${person}` : `N${person}`;
    const phone = r() < 0.5 ? `ph${person}-${Math.floor(r() * 2)}` : null;
    const uscc = r() < 0.2 ? pick(['U1', 'U2']) : null;
    const row: PreparedRow = {
      kind: 'row',
      rowNumber: i,
      line: i + 1,
      row: {
        legacyUid: `u${Math.floor(r() * n * 0.8)}`,
        loginName: null,
        name,
        idType: 'resident_id',
        idNumber: unverified ? null : `id${person}`,
        idValid: !unverified,
        idNumberUnverified: unverified ? 'bad' : null,
        phone,
        email: null,
        uscc,
        orgName: uscc ? `org ${uscc}` : null,
        password: null,
      },
      idKey: unverified ? null : `resident_id\u0000b${person}`,
      idBidx: unverified ? null : `b${person}`,
      idEnc: unverified ? null : `enc${person}`,
      phoneBidx: phone,
      phoneEnc: phone ? `enc-${phone}` : null,
      emailBidx: null,
      emailEnc: null,
      loginBidx: null,
      unverifiedEnc: unverified ? 'enc-bad' : null,
      pwScheme: 'md5',
      pwEnc: `pw${i}`,
      maskedId: null,
      warnings: [],
      rehashed: false,
    };
    items.push(row);
  }
  return items;
}

interface Library {
  persons: Map<string, { key: string; name: string; phone: string | null }>;
  accounts: Map<string, { person: string; row: number; org: string | null }>;
  conflicts: Map<string, { row: number; person: string }>;
  rejections: [number, string][];
  orgs: Map<string, string>;
  counters: ImportCounters;
}

/** Runs the source through planBatch in batches of `size`, applying each plan to an in-memory library. */
function importInBatches(items: PreparedItem[], size: number): Library {
  const lib: Library = { persons: new Map(), accounts: new Map(), conflicts: new Map(), rejections: [], orgs: new Map(), counters: emptyCounters() };
  const keyOf = new Map<string, string>(); // person id -> stable key
  let next = 0;
  for (let start = 0; start < items.length; start += size) {
    const batch = items.slice(start, start + size);
    const lookup: BatchLookup = { links: new Map(), pending: new Map(), persons: new Map(), orgs: new Map(lib.orgs) };
    for (const it of batch) {
      if (it.kind !== 'row') continue;
      const a = lib.accounts.get(it.row.legacyUid);
      if (a) lookup.links.set(it.row.legacyUid, { jobId: JOB, rowNumber: a.row });
      const c = lib.conflicts.get(it.row.legacyUid);
      if (c) lookup.pending.set(it.row.legacyUid, { jobId: JOB, rowNumber: c.row });
      if (it.idKey) {
        for (const [id, person] of lib.persons) {
          if (person.key === it.idKey) lookup.persons.set(it.idKey, { id, name: person.name, hasPhone: person.phone !== null, hasEmail: false } satisfies ExistingPerson);
        }
      }
    }
    const plan = planBatch(batch, lookup, { jobId: JOB, profile: p, newId: () => `id-${next++}`, newSub: () => 'sub', sealConflict: () => 'sealed' });
    for (const np of plan.persons) {
      const key = np.idBidx ? `resident_id\u0000${np.idBidx}` : `unverified:${plan.accounts.find((a) => a.personId === np.id)!.legacyUid}`;
      keyOf.set(np.id, key);
      lib.persons.set(np.id, { key, name: np.name, phone: np.phoneBidx });
    }
    for (const f of plan.fills) {
      const person = lib.persons.get(f.id)!;
      if (person.name === '' && f.name) person.name = f.name;
      if (!person.phone && f.phoneBidx) person.phone = f.phoneBidx;
    }
    for (const o of plan.orgs) lib.orgs.set(o.uscc, o.id);
    for (const a of plan.accounts) lib.accounts.set(a.legacyUid, { person: a.personId, row: a.rowNumber, org: a.orgId });
    for (const c of plan.conflicts) lib.conflicts.set(c.legacyUid, { row: c.rowNumber, person: c.personId });
    for (const r of plan.rejections) lib.rejections.push([r.rowNumber, r.code]);
    lib.counters = addCounters(lib.counters, plan.counters);
  }
  return lib;
}

/** The library with generated ids replaced by stable keys. */
function canonical(lib: Library) {
  const key = (id: string) => lib.persons.get(id)!.key;
  const orgKey = new Map([...lib.orgs].map(([uscc, id]) => [id, uscc]));
  return {
    persons: [...lib.persons.values()].sort((a, b) => a.key.localeCompare(b.key)),
    accounts: [...lib.accounts].map(([uid, a]) => [uid, key(a.person), a.row, a.org ? orgKey.get(a.org) : null]).sort(),
    conflicts: [...lib.conflicts].map(([uid, c]) => [uid, key(c.person), c.row]).sort(),
    rejections: lib.rejections,
    orgs: [...lib.orgs.keys()].sort(),
    counters: lib.counters,
  };
}

describe('batch boundaries do not change decisions', () => {
  it('gives the same library for batch sizes 1, 2, 3, 7, 50 and all-at-once, over 40 random sources', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const items = source(seed, 60);
      const one = canonical(importInBatches(items, 1));
      for (const size of [2, 3, 7, 50, items.length]) expect(canonical(importInBatches(items, size)), `seed ${seed}, batch ${size}`).toEqual(one);
    }
  });

  it('exercises merges, conflicts, repeated uids, fills, unverified rows and org creation', () => {
    const totals = emptyCounters();
    let all = totals;
    for (let seed = 1; seed <= 40; seed++) all = addCounters(all, importInBatches(source(seed, 60), 5).counters);
    expect(all.persons_merged).toBeGreaterThan(50);
    expect(all.conflicts).toBeGreaterThan(20);
    expect(all.rejections_by_code['legacy_uid.duplicate']).toBeGreaterThan(20);
    expect(all.unverified_accounts).toBeGreaterThan(20);
    expect(all.orgs_created).toBeGreaterThan(20);
    expect(all.orgs_linked).toBeGreaterThan(20);
  });

  it('stops at the first rejected row under on_error "stop", planning nothing after it', () => {
    const stop = profile({ ...p, on_error: 'stop' });
    const items = source(7, 60);
    const firstBad = items.find((i) => i.kind === 'rejected')!;
    const plan = planBatch(items, { links: new Map(), pending: new Map(), persons: new Map(), orgs: new Map() }, { jobId: JOB, profile: stop, newId: () => 'x', newSub: () => 's', sealConflict: () => '' });
    expect(plan.stop).toMatchObject({ rowNumber: firstBad.rowNumber, code: 'hash.shape' });
    expect(plan.counters.rows_read).toBe(firstBad.rowNumber);
  });
});
