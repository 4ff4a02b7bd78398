// Step 3 of a batch, inside its transaction: look up what the library holds for the batch's keys,
// plan, write everything the plan says, and advance the job's checkpoint and counters. All of it
// commits together or not at all.
import crypto from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { newSub } from '../../accounts/service.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { sealConflictRow } from '../secrets.ts';
import type { ImportProfile } from '../profile.ts';
import { addCounters, planBatch, type BatchLookup, type BatchPlan, type ExistingPerson, type ImportCounters, type NewRejection, type PriorUse } from './plan.ts';
import type { PreparedItem } from './prepare.ts';
import type { BatchTx } from './session.ts';

export interface BatchJob {
  id: string;
  department: string;
  profile: ImportProfile;
  actor: string;
  dryRun: boolean;
  /** whether the orgs table exists (the orgs module is installed) */
  orgs: boolean;
}

/** on_error "stop" met a bad row: the batch is rolled back and the job ends. */
export class StopImport extends Error {
  readonly rejection: NewRejection;
  constructor(rejection: NewRejection) {
    super(rejection.message.en);
    this.name = 'StopImport';
    this.rejection = rejection;
  }
}

/** The checkpoint moved under us: another process runs this job. */
export class CheckpointMoved extends Error {
  constructor(jobId: string) {
    super(`import job ${jobId} was advanced by another process`);
    this.name = 'CheckpointMoved';
  }
}

const json = (v: unknown) => JSON.stringify(v);

async function lookup(tx: BatchTx, job: BatchJob, items: readonly PreparedItem[]): Promise<BatchLookup> {
  const uids: string[] = [];
  const ids = new Map<string, { t: string; b: string }>();
  const usccs = new Set<string>();
  for (const item of items) {
    if (item.kind !== 'row') continue;
    uids.push(item.row.legacyUid);
    if (item.idKey) ids.set(item.idKey, { t: item.row.idType, b: item.idBidx! });
    if (item.row.uscc) usccs.add(item.row.uscc);
  }
  const out: BatchLookup = { links: new Map(), pending: new Map(), persons: new Map(), orgs: job.orgs ? new Map() : null };
  if (!uids.length) return out;
  const prior = (rows: { legacy_uid: string; job_id: string; row_number: number }[], into: Map<string, PriorUse>) => {
    for (const r of rows) into.set(r.legacy_uid, { jobId: r.job_id, rowNumber: Number(r.row_number) });
  };
  const uidList = json(uids);
  prior(
    await tx.query(
      `select legacy_uid, job_id, row_number from legacy_accounts
        where department_code = $1 and legacy_uid in (select value from json_array_elements_text($2::json) as v(value))`,
      [job.department, uidList],
    ),
    out.links,
  );
  prior(
    await tx.query(
      `select legacy_uid, job_id, row_number from import_conflicts
        where department_code = $1 and status = 'pending' and legacy_uid in (select value from json_array_elements_text($2::json) as v(value))`,
      [job.department, uidList],
    ),
    out.pending,
  );
  if (ids.size) {
    const rows = await tx.query<{ id: string; id_type: string; id_number_bidx: string; name: string; has_phone: boolean; has_email: boolean }>(
      `select p.id, p.id_type, p.id_number_bidx, p.name, p.phone_bidx is not null as has_phone, p.email_bidx is not null as has_email
         from json_to_recordset($1::json) as k(t text, b text)
         join persons p on p.id_type = k.t and p.id_number_bidx = k.b and p.id_number_bidx is not null`,
      [json([...ids.values()])],
    );
    for (const r of rows) {
      const person: ExistingPerson = { id: r.id, name: r.name, hasPhone: r.has_phone, hasEmail: r.has_email };
      out.persons.set(`${r.id_type}\u0000${r.id_number_bidx}`, person);
    }
  }
  if (out.orgs && usccs.size) {
    const rows = await tx.query<{ id: string; uscc: string }>(`select id, uscc from orgs where uscc in (select value from json_array_elements_text($1::json) as v(value))`, [
      json([...usccs]),
    ]);
    for (const r of rows) out.orgs.set(r.uscc, r.id);
  }
  return out;
}

const PERSON_COLUMNS = ['id', 'sub', 'id_type', 'id_number_enc', 'id_number_bidx', 'name', 'phone_enc', 'phone_bidx', 'email_enc', 'email_bidx'] as const;
const ACCOUNT_COLUMNS = [
  'department_code',
  'legacy_uid',
  'person_id',
  'login_name_bidx',
  'password_scheme',
  'password_enc',
  'id_number_unverified_enc',
  'uscc',
  'org_name',
  'org_id',
  'job_id',
  'row_number',
] as const;
const REJECTION_COLUMNS = ['job_id', 'row_number', 'line', 'code', 'reason_zh', 'reason_en', 'column_name', 'masked_values'] as const;
const CONFLICT_COLUMNS = ['id', 'job_id', 'row_number', 'department_code', 'legacy_uid', 'person_id', 'code', 'reason_zh', 'reason_en', 'column_name', 'masked_values', 'row_enc'] as const;
const ORG_COLUMNS = ['id', 'sub', 'uscc', 'org_code', 'name', 'type', 'legal_rep_person_id'] as const;

async function apply(app: AppContext, tx: BatchTx, job: BatchJob, plan: BatchPlan): Promise<void> {
  await tx.insert(
    'persons',
    PERSON_COLUMNS,
    plan.persons.map((p) => [p.id, p.sub, p.idType, p.idEnc, p.idBidx, p.name, p.phoneEnc, p.phoneBidx, p.emailEnc, p.emailBidx]),
  );
  if (plan.fills.length) {
    // Only empty fields are filled, re-checked here against the row as it is now.
    await tx.query(
      `update persons p set
          name = case when p.name = '' and v.name is not null then v.name else p.name end,
          phone_enc = case when p.phone_bidx is null and v.phone_bidx is not null then v.phone_enc else p.phone_enc end,
          phone_bidx = coalesce(p.phone_bidx, v.phone_bidx),
          email_enc = case when p.email_bidx is null and v.email_bidx is not null then v.email_enc else p.email_enc end,
          email_bidx = coalesce(p.email_bidx, v.email_bidx),
          updated_at = now()
        from json_to_recordset($1::json) as v(id uuid, name text, phone_enc text, phone_bidx text, email_enc text, email_bidx text)
       where p.id = v.id`,
      [json(plan.fills.map((f) => ({ id: f.id, name: f.name, phone_enc: f.phoneEnc, phone_bidx: f.phoneBidx, email_enc: f.emailEnc, email_bidx: f.emailBidx })))],
    );
  }
  await tx.insert(
    'orgs',
    ORG_COLUMNS,
    plan.orgs.map((o) => [o.id, o.sub, o.uscc, o.orgCode, o.name, o.type, o.legalRepPersonId]),
  );
  await tx.insert(
    'legacy_accounts',
    ACCOUNT_COLUMNS,
    plan.accounts.map((a) => [job.department, a.legacyUid, a.personId, a.loginBidx, a.pwScheme, a.pwEnc, a.unverifiedEnc, a.uscc, a.orgName, a.orgId, job.id, a.rowNumber]),
  );
  await tx.insert(
    'import_conflicts',
    CONFLICT_COLUMNS,
    plan.conflicts.map((c) => [c.id, job.id, c.rowNumber, job.department, c.legacyUid, c.personId, c.code, c.message.zh, c.message.en, c.column, json(c.values), c.rowEnc]),
  );
  await tx.insert(
    'import_rejections',
    REJECTION_COLUMNS,
    plan.rejections.map((r) => [job.id, r.rowNumber, r.line, r.code, r.message.zh, r.message.en, r.column, json(r.values)]),
  );
  if (plan.orgs.length && !job.dryRun) {
    // Appended last: the audit chain's head stays locked only until this batch commits.
    await app.audit.append(
      {
        event: 'import.orgs_create',
        outcome: 'success',
        actor: job.actor,
        detail: { job_id: job.id, department: job.department, count: plan.orgs.length, uscc: plan.orgs.map((o) => o.uscc) },
      },
      tx.trx,
    );
  }
}

export interface BatchResult {
  plan: BatchPlan;
  counters: ImportCounters;
}

/**
 * Writes one batch: source rows from+1 .. to. Resolves with the job's new totals once the
 * caller's transaction commits them; throws StopImport (nothing written) under on_error "stop".
 */
export async function writeBatch(
  app: AppContext,
  tx: BatchTx,
  job: BatchJob,
  items: readonly PreparedItem[],
  range: { from: number; to: number },
  totals: ImportCounters,
): Promise<BatchResult> {
  const found = await lookup(tx, job, items);
  const plan = planBatch(items, found, {
    jobId: job.id,
    profile: job.profile,
    newId: () => crypto.randomUUID(),
    newSub,
    sealConflict: (id, record) => sealConflictRow(app.keyring, id, record),
  });
  if (plan.stop) throw new StopImport(plan.stop);
  await apply(app, tx, job, plan);
  const counters = addCounters(totals, plan.counters);
  const moved = await tx.query(
    `update import_jobs set checkpoint = $1, counters = $2::jsonb, updated_at = now() where id = $3 and checkpoint = $4 returning id`,
    [range.to, json(counters), job.id, range.from],
  );
  if (moved.length !== 1) throw new CheckpointMoved(job.id);
  return { plan, counters };
}

/** A batch that lost a race (the same new ID number or USCC committed meanwhile) is redone. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return isUniqueViolation(err) || code === '40001' || code === '40P01';
}
