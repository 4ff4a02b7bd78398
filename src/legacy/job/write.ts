// Step 3 of a batch, inside its transaction: look up what the library holds for the batch's keys,
// plan, write everything the plan says, and advance the job's checkpoint and counters. All of it
// commits together or not at all.
import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppContext } from '../../context.ts';
import { insertPersons, newSub } from '../../accounts/service.ts';
import { personStore } from '../../accounts/store.ts';
import type { BulkTx } from '../../db/bulk.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Database } from '../../db/schema.ts';
import { orgStore } from '../../orgs/store.ts';
import { sealConflictRow } from '../secrets.ts';
import type { ImportProfile } from '../profile.ts';
import { legacyAccountStore, type UidUse } from '../account-store.ts';
import { conflictStore, jobStore, rejectionStore } from '../store.ts';
import { addCounters, type ImportCounters } from './counters.ts';
import { planBatch, type BatchLookup, type BatchPlan, type NewRejection, type PriorUse } from './plan.ts';
import type { ExistingPerson } from './plan-persons.ts';
import type { PreparedItem } from './prepare.ts';

export interface BatchJob {
  id: string;
  department: string;
  profile: ImportProfile;
  actor: string;
  dryRun: boolean;
  /** the file's path or the SQL source's redacted URL: with the row number, what a rejection is of */
  source: string;
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

async function lookup(trx: Transaction<Database>, job: BatchJob, items: readonly PreparedItem[]): Promise<BatchLookup> {
  const uids: string[] = [];
  const ids = new Map<string, { idType: string; bidx: string }>();
  const usccs = new Set<string>();
  for (const item of items) {
    if (item.kind !== 'row') continue;
    uids.push(item.row.legacyUid);
    if (item.idKey) ids.set(item.idKey, { idType: item.row.idType, bidx: item.idBidx! });
    if (item.row.uscc) usccs.add(item.row.uscc);
  }
  const out: BatchLookup = { links: new Map(), pending: new Map(), persons: new Map(), orgs: new Map() };
  if (!uids.length) return out;
  const prior = (rows: UidUse[], into: Map<string, PriorUse>) => {
    for (const r of rows) into.set(r.legacy_uid, { jobId: r.job_id, rowNumber: Number(r.row_number) });
  };
  prior(await legacyAccountStore.linkedUids(trx, job.department, uids), out.links);
  prior(await conflictStore.pendingUids(trx, job.department, uids), out.pending);
  for (const r of await personStore.byIdNumberIndexes(trx, [...ids.values()])) {
    const person: ExistingPerson = { id: r.id, name: r.name, hasPhone: r.has_phone, hasEmail: r.has_email };
    out.persons.set(`${r.id_type}\u0000${r.id_number_bidx}`, person);
  }
  for (const r of await orgStore.idsByUscc(trx, [...usccs])) out.orgs.set(r.uscc, r.id);
  return out;
}

const json = (v: unknown) => JSON.stringify(v);

async function apply(app: AppContext, tx: BulkTx, job: BatchJob, plan: BatchPlan): Promise<void> {
  await insertPersons(tx, plan.persons);
  await personStore.fillEmpty(
    tx.trx,
    plan.fills.map((f) => ({ id: f.id, name: f.name, phone_enc: f.phoneEnc, phone_bidx: f.phoneBidx, email_enc: f.emailEnc, email_bidx: f.emailBidx })),
  );
  await orgStore.insertMany(
    tx,
    plan.orgs.map((o) => ({ id: o.id, sub: o.sub, uscc: o.uscc, org_code: o.orgCode, name: o.name, type: o.type, legal_rep_person_id: o.legalRepPersonId })),
  );
  await legacyAccountStore.insertMany(
    tx,
    plan.accounts.map((a) => ({
      department_code: job.department,
      legacy_uid: a.legacyUid,
      person_id: a.personId,
      login_name_bidx: a.loginBidx,
      password_scheme: a.pwScheme,
      password_enc: a.pwEnc,
      id_number_unverified_enc: a.unverifiedEnc,
      uscc: a.uscc,
      org_name: a.orgName,
      org_id: a.orgId,
      job_id: job.id,
      row_number: a.rowNumber,
      status: a.status,
    })),
  );
  await conflictStore.insertMany(
    tx,
    plan.conflicts.map((c) => ({
      id: c.id,
      job_id: job.id,
      row_number: c.rowNumber,
      department_code: job.department,
      legacy_uid: c.legacyUid,
      person_id: c.personId,
      code: c.code,
      reason_zh: c.message.zh,
      reason_en: c.message.en,
      column_name: c.column,
      masked_values: json(c.values),
      row_enc: c.rowEnc,
    })),
  );
  // one rejection per source row: a re-run replaces what an earlier job recorded for the same row
  if (plan.rejections.length) await rejectionStore.dropEarlier(tx.trx, { jobId: job.id, department: job.department, source: job.source, rows: plan.rejections.map((r) => r.rowNumber) });
  await rejectionStore.insertMany(
    tx,
    plan.rejections.map((r) => ({
      job_id: job.id,
      row_number: r.rowNumber,
      line: r.line,
      code: r.code,
      reason_zh: r.message.zh,
      reason_en: r.message.en,
      column_name: r.column,
      masked_values: json(r.values),
    })),
  );
  if (plan.orgs.length && !job.dryRun) {
    // Appended last: the audit chain's head stays locked only until this batch commits.
    await app.audit.append(
      {
        event: 'import.orgs.create',
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
  tx: BulkTx,
  job: BatchJob,
  items: readonly PreparedItem[],
  range: { from: number; to: number },
  totals: ImportCounters,
): Promise<BatchResult> {
  const found = await lookup(tx.trx, job, items);
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
  const moved = await jobStore.advance(tx.trx, job.id, { from: range.from, to: range.to, counters: counters as unknown as Record<string, unknown> });
  if (!moved) throw new CheckpointMoved(job.id);
  return { plan, counters };
}

/** A batch that lost a race (the same new ID number or USCC committed meanwhile) is redone. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return isUniqueViolation(err) || code === '40001' || code === '40P01';
}
