// Erasure of a cancelled account's personal data (PIPL 注销). The row stays as a tombstone, so its
// sub is never given to anyone else (subs are unique and the row is never deleted); everything
// that identifies or reaches the person is cleared: name, ID number (sealed value and blind index,
// so the same person may register again, with a new sub), phone, e-mail and password.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { personStore } from './store.ts';

export const ERASED_STATUS = 'erased';
/** what an erased person's name reads (the column is NOT NULL) */
export const ERASED_NAME = '已注销';

export async function erasePersonalData(trx: Transaction<Database>, personId: string): Promise<void> {
  await personStore.update(trx, personId, {
    name: ERASED_NAME,
    id_number_enc: null,
    id_number_bidx: null,
    phone_enc: null,
    phone_bidx: null,
    phone_verified: false,
    email_enc: null,
    email_bidx: null,
    email_verified: false,
    password_hash: null,
    password_changed_at: null,
    status: ERASED_STATUS,
  });
}
