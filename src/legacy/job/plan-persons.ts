// What a batch does to persons: creates new ones, and fills the empty name, phone and e-mail of
// the ones it merges into (contact data never overwrites what a person has).
import type { PersonDraft } from '../../accounts/service.ts';
import type { PreparedRow } from './prepare.ts';

export interface ExistingPerson {
  id: string;
  name: string;
  hasPhone: boolean;
  hasEmail: boolean;
}

/** A person this batch creates: the accounts service's draft, sealed values from the prepared row. */
export type NewPerson = PersonDraft;

export interface PersonFill {
  id: string;
  name: string | null;
  phoneEnc: string | null;
  phoneBidx: string | null;
  emailEnc: string | null;
  emailBidx: string | null;
}

export function newPerson(item: PreparedRow, id: string, sub: string): NewPerson {
  return {
    id,
    sub,
    idType: item.row.idType,
    idEnc: item.idKey ? item.idEnc : null,
    idBidx: item.idKey ? item.idBidx : null,
    name: item.row.name ?? '',
    phoneEnc: item.phoneEnc,
    phoneBidx: item.phoneBidx,
    emailEnc: item.emailEnc,
    emailBidx: item.emailBidx,
  };
}

/** A person created earlier in this batch takes the later row's missing details directly. */
export function fillCreated(p: NewPerson, item: PreparedRow): void {
  if (p.name === '' && item.row.name) p.name = item.row.name;
  if (!p.phoneBidx && item.phoneBidx) [p.phoneEnc, p.phoneBidx] = [item.phoneEnc, item.phoneBidx];
  if (!p.emailBidx && item.emailBidx) [p.emailEnc, p.emailBidx] = [item.emailEnc, item.emailBidx];
}

/** An existing person's empty name, phone or e-mail is filled from the first row that has one. */
export function fillExisting(p: ExistingPerson, item: PreparedRow, fills: Map<string, PersonFill>): void {
  const wantName = p.name === '' && item.row.name !== null;
  const wantPhone = !p.hasPhone && item.phoneBidx !== null;
  const wantEmail = !p.hasEmail && item.emailBidx !== null;
  if (!wantName && !wantPhone && !wantEmail) return;
  let f = fills.get(p.id);
  if (!f) {
    f = { id: p.id, name: null, phoneEnc: null, phoneBidx: null, emailEnc: null, emailBidx: null };
    fills.set(p.id, f);
  }
  if (wantName) {
    f.name = item.row.name;
    p.name = item.row.name!;
  }
  if (wantPhone) {
    [f.phoneEnc, f.phoneBidx] = [item.phoneEnc, item.phoneBidx];
    p.hasPhone = true;
  }
  if (wantEmail) {
    [f.emailEnc, f.emailBidx] = [item.emailEnc, item.emailBidx];
    p.hasEmail = true;
  }
}
