// The review queue: rows whose ID number matched a person under a different name. An administrator
// either merges the legacy account into that person, or keeps it apart as an account of its own
// (without the ID number, which belongs to the person on record), or swaps: the queued row is the
// person of record (the earlier row under the wrong name came first by chance). Every decision, and
// every look at unmasked names, is audited.
//
// Swap: the person of record keeps its sub and ID number and takes the queued row's name and
// contact data; the queued row is linked to it. Everything the wrong-name rows brought (every link
// the person had, the name, phone and e-mail) is kept apart as an account of its own, unverified
// (lowest real-name level, no ID number; the number is kept sealed on each moved link for review),
// as --keep-apart would have made it. Refused once the person of record has signed in (an argon2id
// password, a retired legacy hash): its sub is then in use, and a swap would hand that holder's
// sign-ins to someone else.
import type { AppContext } from '../context.ts';
import { openPerson, sealPersonFields } from '../accounts/person.ts';
import { draftPerson, insertPersons } from '../accounts/service.ts';
import { personStore } from '../accounts/store.ts';
import { bulkTx } from '../db/bulk.ts';
import { orgStore } from '../orgs/store.ts';
import { AppError } from '../errors.ts';
import { maskIdNumber } from '../identity/mask.ts';
import type { ConflictRecord } from './job/plan.ts';
import { conflictEntry, type ConflictEntry } from './job/report.ts';
import { loginNameIndex, openConflictRow, sealLegacyHash, sealUnverifiedId } from './secrets.ts';
import { legacyAccountStore } from './account-store.ts';
import { conflictStore } from './store.ts';

export type Decision = 'merge' | 'keep_apart' | 'swap';

export interface ListedConflict extends ConflictEntry {
  job_id: string;
  department: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  /** with --reveal only: the names as written, for telling people apart */
  revealed?: { name_in_row: string | null; name_on_record: string; id_number: string | null };
}

export async function listConflicts(
  app: AppContext,
  filter: { jobId?: string; all?: boolean; limit: number },
  opts: { reveal?: boolean; actor: string },
): Promise<ListedConflict[]> {
  const rows = await conflictStore.page(app.db, { jobId: filter.jobId, status: filter.all ? undefined : 'pending' }, null, filter.limit);
  const out: ListedConflict[] = [];
  for (const c of rows) {
    const entry: ListedConflict = {
      ...conflictEntry(c),
      job_id: c.job_id,
      department: c.department_code,
      created_at: new Date(c.created_at).toISOString(),
      decided_by: c.decided_by,
      decided_at: c.decided_at ? new Date(c.decided_at).toISOString() : null,
    };
    if (opts.reveal) {
      const { row } = openConflictRow<ConflictRecord>(app.keyring, c.id, c.row_enc);
      const person = await personStore.byId(app.db, c.person_id);
      entry.revealed = { name_in_row: row.name, name_on_record: person?.name ?? '', id_number: row.idNumber ? maskIdNumber(row.idNumber) : null };
    }
    out.push(entry);
  }
  if (opts.reveal && out.length) {
    await app.audit.append({ event: 'import.conflicts.reveal', outcome: 'info', actor: opts.actor, detail: { conflicts: out.map((c) => c.id) } });
  }
  return out;
}

export interface Resolution {
  conflict_id: string;
  status: 'merged' | 'kept_apart' | 'swapped';
  department: string;
  legacy_uid: string;
  sub: string;
  /** swap: the account the earlier wrong-name links were moved to, and those links */
  kept_apart?: { sub: string; links: string[] };
}

export async function resolveConflict(app: AppContext, conflictId: string, decision: Decision, actor: string): Promise<Resolution> {
  if (!/^[0-9a-f-]{36}$/i.test(conflictId)) throw new AppError('import.conflict_unknown', 'not_found', conflictId);
  const { keyring } = app;
  return app.db.transaction().execute(async (trx) => {
    const c = await conflictStore.byId(trx, conflictId, { forUpdate: true });
    if (!c) throw new AppError('import.conflict_unknown', 'not_found', conflictId);
    if (c.status !== 'pending') throw new AppError('import.conflict_decided', 'conflict', c.status);
    if (await legacyAccountStore.exists(trx, c.department_code, c.legacy_uid)) throw new AppError('import.account_exists', 'conflict', `${c.department_code}/${c.legacy_uid}`);
    const { row } = openConflictRow<ConflictRecord>(keyring, c.id, c.row_enc);
    // sealed as the person's own fields; the ID number stays with the person on record
    const contact = sealPersonFields(keyring, { idType: row.idType, idNumber: null, phone: row.phone, email: row.email });

    let personId: string;
    let sub: string;
    let apart: Resolution['kept_apart'];
    if (decision === 'swap') {
      const person = await personStore.byId(trx, c.person_id);
      if (!person) throw new AppError('import.conflict_unknown', 'not_found', conflictId);
      if (person.password_hash || (await legacyAccountStore.hasRetired(trx, person.id))) throw new AppError('import.swap_signed_in', 'conflict');
      const recorded = openPerson(keyring, person);
      // the wrong-name rows' account: their name and contact data, no ID number
      const other = draftPerson(keyring, { idType: person.id_type, idNumber: null, name: person.name, phone: recorded.phone, email: recorded.email });
      await insertPersons(bulkTx(trx), [other]);
      const links = await legacyAccountStore.linksForUpdate(trx, person.id);
      for (const l of links) {
        const unverified = recorded.idNumber ? sealUnverifiedId(keyring, l.department_code, l.legacy_uid, recorded.idNumber) : null;
        await legacyAccountStore.moveLink(trx, l, other.id, unverified);
      }
      await personStore.update(trx, person.id, {
        name: row.name ?? '',
        phone_enc: contact.phoneEnc,
        phone_bidx: contact.phoneBidx,
        phone_verified: false,
        email_enc: contact.emailEnc,
        email_bidx: contact.emailBidx,
      });
      personId = person.id;
      sub = person.sub;
      apart = { sub: other.sub, links: links.map((l) => `${l.department_code}/${l.legacy_uid}`) };
    } else if (decision === 'merge') {
      const person = await personStore.byId(trx, c.person_id);
      if (!person) throw new AppError('import.conflict_unknown', 'not_found', conflictId);
      personId = person.id;
      sub = person.sub;
      // Contact data fills empty fields only, as in the import.
      const patch: Record<string, string> = {};
      if (!person.phone_bidx && contact.phoneBidx) Object.assign(patch, { phone_enc: contact.phoneEnc, phone_bidx: contact.phoneBidx });
      if (!person.email_bidx && contact.emailBidx) Object.assign(patch, { email_enc: contact.emailEnc, email_bidx: contact.emailBidx });
      if (Object.keys(patch).length) await personStore.update(trx, person.id, patch);
    } else {
      // An account of its own. The ID number is kept only sealed on the legacy account, for review,
      // and the account starts at the lowest real-name level.
      const draft = draftPerson(keyring, { idType: row.idType, idNumber: null, name: row.name ?? '', phone: row.phone, email: row.email });
      await insertPersons(bulkTx(trx), [draft]);
      personId = draft.id;
      sub = draft.sub;
    }
    const orgId = row.uscc ? ((await orgStore.byUscc(trx, row.uscc))?.id ?? null) : null;
    await legacyAccountStore.insertMany(bulkTx(trx), [
      {
        department_code: c.department_code,
        legacy_uid: c.legacy_uid,
        person_id: personId,
        login_name_bidx: row.loginName ? loginNameIndex(keyring, c.department_code, row.loginName) : null,
        password_scheme: row.password?.scheme ?? null,
        password_enc: row.password ? sealLegacyHash(keyring, c.department_code, c.legacy_uid, row.password) : null,
        id_number_unverified_enc:
          decision === 'keep_apart' && (row.idNumber ?? row.idNumberUnverified)
            ? sealUnverifiedId(keyring, c.department_code, c.legacy_uid, (row.idNumber ?? row.idNumberUnverified)!)
            : null,
        uscc: row.uscc,
        org_name: row.orgName,
        org_id: orgId,
        job_id: c.job_id,
        row_number: c.row_number,
        status: row.status ?? 'active',
      },
    ]);
    const status = decision === 'merge' ? 'merged' : decision === 'swap' ? 'swapped' : 'kept_apart';
    await conflictStore.decide(trx, c.id, { status, decided_by: actor, resolved_person_id: personId });
    await app.audit.append(
      {
        event: 'import.conflict.resolve',
        outcome: 'success',
        actor,
        detail: {
          conflict_id: c.id,
          job_id: c.job_id,
          department: c.department_code,
          legacy_uid: c.legacy_uid,
          decision: status,
          sub,
          ...(apart ? { kept_apart_sub: apart.sub, moved_links: apart.links } : {}),
        },
      },
      trx,
    );
    return { conflict_id: c.id, status, department: c.department_code, legacy_uid: c.legacy_uid, sub, ...(apart ? { kept_apart: apart } : {}) };
  });
}
