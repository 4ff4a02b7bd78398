// Step 2 of a batch: plain decisions over prepared rows and what the account library already holds.
// Rows are decided in source order, as if one at a time, so the outcome does not depend on where
// batch boundaries fall (an uninterrupted run and a resumed one decide every row alike):
//
// - (department, legacy uid) already linked by an earlier job: unchanged (re-runs are idempotent);
//   linked or held for review earlier in this job: the source repeats the uid, the row is rejected.
// - a validated ID number matching a person (from any department, or created by an earlier row):
//   merged into that person when the names agree (or one is missing); a different name is a
//   conflict, held for review and never merged. Phone and e-mail are contact data, never merge keys:
//   they only fill a merged person's empty fields.
// - no match: a new person. A row whose ID failed validation (imported unverified per profile)
//   becomes a person of its own without an ID number.
import { maskName } from '../../identity/mask.ts';
import { orgTypeFromUscc } from '../../orgs/org.ts';
import { maskLoginName } from '../mask.ts';
import { message, type Bilingual, type MessageCode } from '../messages.ts';
import { normaliseName, type NormalisedRow } from '../normalise.ts';
import type { ImportProfile } from '../profile.ts';
import { emptyCounters, type ImportCounters } from './counters.ts';
import { fillCreated, fillExisting, newPerson, type ExistingPerson, type NewPerson, type PersonFill } from './plan-persons.ts';
import type { PreparedItem, PreparedRejection, PreparedRow } from './prepare.ts';

export interface PriorUse {
  jobId: string;
  rowNumber: number;
}

export interface BatchLookup {
  /** legacy uids of the batch already linked in this department */
  links: Map<string, PriorUse>;
  /** legacy uids of the batch waiting in the review queue */
  pending: Map<string, PriorUse>;
  /** persons holding the batch's validated ID numbers, by idKey */
  persons: Map<string, ExistingPerson>;
  /** orgs holding the batch's USCCs */
  orgs: Map<string, string>;
}

export interface NewAccount {
  legacyUid: string;
  personId: string;
  loginBidx: string | null;
  pwScheme: string | null;
  pwEnc: string | null;
  unverifiedEnc: string | null;
  uscc: string | null;
  orgName: string | null;
  orgId: string | null;
  rowNumber: number;
  status: 'active' | 'disabled';
}

export interface NewOrg {
  id: string;
  sub: string;
  uscc: string;
  orgCode: string;
  name: string;
  type: string;
  legalRepPersonId: string;
}

export interface NewConflict {
  id: string;
  rowNumber: number;
  legacyUid: string;
  personId: string;
  code: MessageCode;
  message: Bilingual;
  column: string | null;
  values: Record<string, string>;
  rowEnc: string;
}

export interface NewRejection {
  rowNumber: number;
  line: number | null;
  code: MessageCode;
  message: Bilingual;
  column: string | null;
  values: Record<string, string>;
}

export interface BatchPlan {
  persons: NewPerson[];
  fills: PersonFill[];
  accounts: NewAccount[];
  orgs: NewOrg[];
  conflicts: NewConflict[];
  rejections: NewRejection[];
  counters: ImportCounters;
  /** on_error "stop": the first rejected row; nothing of the batch is to be written */
  stop: NewRejection | null;
}

/** What a conflict keeps (sealed) to carry out the decision later. */
export interface ConflictRecord {
  row: NormalisedRow;
}

export interface PlanContext {
  jobId: string;
  profile: ImportProfile;
  newId(): string;
  newSub(): string;
  sealConflict(conflictId: string, record: ConflictRecord): string;
}

function namesAgree(recorded: string, row: string | null): boolean {
  return row === null || recorded === '' || normaliseName(recorded) === row;
}

export function planBatch(items: readonly PreparedItem[], lookup: BatchLookup, ctx: PlanContext): BatchPlan {
  const plan: BatchPlan = { persons: [], fills: [], accounts: [], orgs: [], conflicts: [], rejections: [], counters: emptyCounters(), stop: null };
  const c = plan.counters;
  const seen = new Map<string, number>();
  // persons created in this batch (patched in place) and existing ones (filled through updates)
  const created = new Map<string, NewPerson>();
  const fills = new Map<string, PersonFill>();
  const orgs = new Map<string, string>();
  const stopOnError = ctx.profile.on_error === 'stop';

  const reject = (r: NewRejection): boolean => {
    c.rejected++;
    c.rejections_by_code[r.code] = (c.rejections_by_code[r.code] ?? 0) + 1;
    plan.rejections.push(r);
    if (stopOnError) plan.stop = r;
    return stopOnError;
  };

  for (const item of items) {
    c.rows_read++;
    if (item.kind === 'rejected') {
      if (reject(rejection(item))) return plan;
      continue;
    }
    const { row } = item;
    const uid = row.legacyUid;
    for (const w of item.warnings) c.warnings[w] = (c.warnings[w] ?? 0) + 1;

    const link = lookup.links.get(uid);
    const pending = lookup.pending.get(uid);
    const first = seen.get(uid) ?? (link?.jobId === ctx.jobId ? link.rowNumber : undefined) ?? (pending?.jobId === ctx.jobId ? pending.rowNumber : undefined);
    if (first !== undefined) {
      const dup = { rowNumber: item.rowNumber, line: item.line, code: 'legacy_uid.duplicate' as const, message: message('legacy_uid.duplicate', { first }), column: ctx.profile.columns.legacy_uid, values: { legacy_uid: uid } };
      if (reject(dup)) return plan;
      continue;
    }
    seen.set(uid, item.rowNumber);
    if (link) {
      c.accounts_unchanged++;
      continue;
    }
    if (pending) {
      c.in_review++;
      continue;
    }

    let personId: string;
    let verified = false;
    if (item.idKey) {
      const existing = created.get(item.idKey) ?? lookup.persons.get(item.idKey);
      if (!existing) {
        const person = newPerson(item, ctx.newId(), ctx.newSub());
        plan.persons.push(person);
        created.set(item.idKey, person);
        c.persons_created++;
        personId = person.id;
      } else {
        if (!namesAgree(existing.name, row.name)) {
          plan.conflicts.push(conflict(item, existing.id, existing.name, ctx));
          c.conflicts++;
          continue;
        }
        personId = existing.id;
        c.persons_merged++;
        // the lookup's objects are this batch's own: filling them records what later rows see
        if ('sub' in existing) fillCreated(existing, item);
        else fillExisting(existing, item, fills);
      }
      verified = true;
    } else {
      const person = newPerson(item, ctx.newId(), ctx.newSub());
      plan.persons.push(person);
      c.unverified_accounts++;
      personId = person.id;
    }
    if (item.rehashed) c.passwords_rehashed++;

    let orgId: string | null = null;
    if (row.uscc) {
      orgId = orgs.get(row.uscc) ?? lookup.orgs.get(row.uscc) ?? null;
      if (orgId) c.orgs_linked++;
      else if (ctx.profile.org_role === 'legal_representative' && verified && row.orgName) {
        const org: NewOrg = {
          id: ctx.newId(),
          sub: ctx.newSub(),
          uscc: row.uscc,
          orgCode: row.uscc.slice(8, 17),
          name: row.orgName,
          type: orgTypeFromUscc(row.uscc),
          legalRepPersonId: personId,
        };
        plan.orgs.push(org);
        orgs.set(row.uscc, org.id);
        orgId = org.id;
        c.orgs_created++;
      } else c.orgs_unregistered++;
    }

    plan.accounts.push({
      legacyUid: uid,
      personId,
      loginBidx: item.loginBidx,
      pwScheme: item.pwScheme,
      pwEnc: item.pwEnc,
      unverifiedEnc: item.unverifiedEnc,
      uscc: row.uscc,
      orgName: row.orgName,
      orgId,
      rowNumber: item.rowNumber,
      status: row.status ?? 'active',
    });
    c.accounts_linked++;
  }
  plan.fills = [...fills.values()];
  return plan;
}

function rejection(item: PreparedRejection): NewRejection {
  return { rowNumber: item.rowNumber, line: item.line, code: item.code, message: item.message, column: item.column, values: item.values };
}

function conflict(item: PreparedRow, personId: string, recordedName: string, ctx: PlanContext): NewConflict {
  const id = ctx.newId();
  const { row } = item;
  const values: Record<string, string> = { legacy_uid: row.legacyUid };
  if (item.maskedId) values.id_number = item.maskedId;
  if (row.name) values.name_in_row = maskName(row.name);
  values.name_on_record = maskName(recordedName);
  if (row.loginName) values.login_name = maskLoginName(row.loginName);
  return {
    id,
    rowNumber: item.rowNumber,
    legacyUid: row.legacyUid,
    personId,
    code: 'conflict.name_mismatch',
    message: message('conflict.name_mismatch'),
    column: ctx.profile.columns.name ?? null,
    values,
    rowEnc: ctx.sealConflict(id, { row }),
  };
}
