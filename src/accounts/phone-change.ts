// A person's new mobile number, proven by an SMS code to it (the account centre). The number becomes
// verified; one verified number belongs to one person, so SMS login and recovery stay unambiguous.
import type { AppContext } from '../context.ts';
import type { Person } from './person.ts';
import { AAD } from './person.ts';
import { personStore } from './store.ts';

export type PhoneChange = { ok: true } | { ok: false; reason: 'taken' };

export async function changePhone(app: AppContext, person: Person, phone: string, actor: string, ip: string | null): Promise<PhoneChange> {
  const bidx = app.keyring.blindIndex('phone', phone);
  return app.db.transaction().execute(async (trx) => {
    const holders = await personStore.byVerifiedPhone(trx, app.keyring.blindIndexes('phone', phone));
    if (holders.some((h) => h.id !== person.id)) return { ok: false, reason: 'taken' } as const;
    await personStore.update(trx, person.id, { phone_enc: app.keyring.seal(phone, AAD.phone), phone_bidx: bidx, phone_verified: true, updated_at: new Date() });
    await app.audit.append({ event: 'phone.change', outcome: 'success', actor, ip, detail: { sub: person.sub, phone } }, trx);
    return { ok: true } as const;
  });
}
