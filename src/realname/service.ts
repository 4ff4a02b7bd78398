// Real-name level (实名等级): how well a person's identity was proven, 1 self-declared, 2 checked
// against the population base (IDV), 3 real person, 4 certificate or counter. The level lives on
// the person (the `real_name_level` claim); every change is a history row (level, previous level,
// method, actor, time) and an audit record, in one transaction.
//
// A downgrade ends every session and grant of the person (apps are told over the back channel):
// tokens carry the old level in `real_name_level`, and there is no per-app minimum level yet from
// which "only the apps that required more" could be told apart.
import type { Transaction } from 'kysely';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { AppError } from '../errors.ts';
import { personStore, type PersonRow } from '../accounts/store.ts';
import { REAL_NAME_LEVELS } from '../accounts/service.ts';
import { endPersonSessions, type Ended } from '../logout/service.ts';
import { realNameStore, type LevelHistoryRow } from './store.ts';
import type { LevelMethod } from './tables.ts';

export type { LevelMethod } from './tables.ts';
export const LEVEL_METHODS: readonly LevelMethod[] = ['idv', 'counter', 'upstream', 'self'];

export interface LevelChange {
  sub: string;
  from: number;
  to: number;
  changed: boolean;
  /** set when a downgrade ended the person's sessions */
  ended: Ended | null;
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || !REAL_NAME_LEVELS.includes(level as 1)) throw new AppError('person.real_name_level');
}

/** The level a person was created with (registration, `person add`), recorded as its first history row. */
export async function recordInitialLevel(app: AppContext, person: { id: string; realNameLevel: number }, method: LevelMethod, actor: string, note?: string): Promise<void> {
  await realNameStore.insert(app.db, { person_id: person.id, level: person.realNameLevel, previous_level: null, method, actor, note: note ?? null });
}

async function change(
  app: AppContext,
  trx: Transaction<Database>,
  personId: string,
  level: number,
  method: LevelMethod,
  actor: string,
  opts: { note?: string; onlyRaise?: boolean; expectedFrom?: number },
): Promise<LevelChange | null> {
  await realNameStore.lockPerson(trx, personId);
  const row = await personStore.byId(trx, personId);
  if (!row) return null;
  const from = row.real_name_level;
  // the level the caller saw changed meanwhile: optimistic concurrency of the admin API
  if (opts.expectedFrom !== undefined && opts.expectedFrom !== from) throw new AppError('admin.version_conflict', 'conflict');
  if (opts.onlyRaise && from >= level) return { sub: row.sub, from, to: from, changed: false, ended: null };
  const changed = from !== level;
  if (changed) await personStore.update(trx, personId, { real_name_level: level });
  await realNameStore.insert(trx, { person_id: personId, level, previous_level: from, method, actor, note: opts.note?.slice(0, 500) ?? null });
  const ended = level < from ? await endPersonSessions(app, trx, row.sub, 'real_name.downgrade', actor) : null;
  await app.audit.append(
    { event: 'person.real_name_level', outcome: 'success', actor, detail: { sub: row.sub, from, to: level, method, changed, ...(opts.note ? { note: opts.note.slice(0, 200) } : {}) } },
    trx,
  );
  return { sub: row.sub, from, to: level, changed, ended };
}

/** Sets a person's level (counter staff: `yitong person set-level`). A downgrade ends their sessions. */
export async function setRealNameLevel(app: AppContext, idNumber: string, level: number, method: LevelMethod, actor: string, note?: string): Promise<LevelChange> {
  checkLevel(level);
  if (!LEVEL_METHODS.includes(method)) throw new AppError('real_name.method_invalid');
  const found = await personByIdNumber(app, idNumber);
  const r = await app.db.transaction().execute((trx) => change(app, trx, found.id, level, method, actor, { note }));
  return r!;
}

/** Sets the level of a person found by the admin API (by sub); `expectedFrom`: the level the change is based on. */
export async function setRealNameLevelOf(app: AppContext, personId: string, level: number, method: LevelMethod, actor: string, opts: { note?: string; expectedFrom?: number } = {}): Promise<LevelChange> {
  checkLevel(level);
  if (!LEVEL_METHODS.includes(method)) throw new AppError('real_name.method_invalid');
  const r = await app.db.transaction().execute((trx) => change(app, trx, personId, level, method, actor, opts));
  if (!r) throw new AppError('person.unknown', 'not_found');
  return r;
}

/** Raises a level (never lowers it): a population-base match found later. */
export async function raiseRealNameLevel(app: AppContext, personId: string, level: number, method: LevelMethod, actor: string): Promise<LevelChange | null> {
  checkLevel(level);
  return app.db.transaction().execute((trx) => change(app, trx, personId, level, method, actor, { onlyRaise: true }));
}

export interface LevelHistory {
  sub: string;
  level: number;
  history: { level: number; previous_level: number | null; method: LevelMethod; actor: string; note: string | null; at: string }[];
}

export async function realNameHistory(app: AppContext, idNumber: string): Promise<LevelHistory> {
  const found = await personByIdNumber(app, idNumber);
  const rows: LevelHistoryRow[] = await realNameStore.history(app.db, found.id);
  return {
    sub: found.sub,
    level: found.real_name_level,
    history: rows.map((r) => ({ level: r.level, previous_level: r.previous_level, method: r.method, actor: r.actor, note: r.note, at: r.at.toISOString() })),
  };
}

async function personByIdNumber(app: AppContext, idNumber: string): Promise<PersonRow> {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new AppError(id.error);
  const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndexes('resident_id', id.value));
  if (!row) throw new AppError('person.unknown', 'not_found', maskIdNumber(id.value));
  return row;
}
