// Password recovery (找回密码): identifier, a code to the account's verified phone, a new password.
//
// Nothing answers differently for an account that does not exist, has no verified phone or is
// disabled: "get code" says the same neutral line after the same work (the code row is written
// either way and the SMS goes out in the background); a code checks the same way (a row nobody
// received never matches); the only different answer needs the right code, i.e. the phone.
//
// Success, in one transaction: the new argon2id hash, every legacy foreign hash retired, every
// session and grant of the person ended with back-channel logout to the apps (reason
// password.reset), and the audit record.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonByIdentifier, findPersonBySub } from '../accounts/service.ts';
import { verifiedPhoneOf } from '../accounts/phone.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { hashPassword } from '../crypto/password.ts';
import { legacyAccountStore } from '../legacy/account-store.ts';
import { findPersonByLegacyLogin } from '../legacy/login.ts';
import { endPersonSessions, type Ended } from '../logout/service.ts';
import { maskIdentifier } from '../interactions/authenticate.ts';
import { checkMessage, sendMessage } from '../codes/messages.ts';
import type { FieldErrors, Msg } from './forms.ts';
import type { CitizenDeps, Requester } from './registration.ts';
import { checkCode, checkIdentifier, checkNewPassword, LEGACY_LOGIN } from './validate.ts';

/** ID number, mobile or e-mail (the core's lookup), or a former departmental login `DEPT/name`. */
async function resolve(app: AppContext, identifier: string): Promise<Person | null> {
  const legacy = LEGACY_LOGIN.exec(identifier);
  if (legacy) return findPersonByLegacyLogin(app, legacy[1], legacy[2]);
  return findPersonByIdentifier(app, identifier);
}

export async function sendRecoveryCode(app: AppContext, deps: CitizenDeps, identifierRaw: string, who: Requester): Promise<{ fields: FieldErrors; notice?: Msg & { error: boolean } }> {
  const identifier = checkIdentifier(identifierRaw);
  if (!identifier.ok) return { fields: { identifier: identifier.msg } };
  if (!deps.codes.configured) return { fields: {}, notice: { key: 'sms.off', error: true } };
  const person = await resolve(app, identifier.value);
  const phone = person ? verifiedPhoneOf(person) : null;
  const outcome = await deps.codes.send({
    purpose: 'recover',
    subject: identifier.value,
    to: person && phone ? { phone, personId: person.id, sub: person.sub } : null,
    ip: who.ip,
    conceal: true,
    clientId: who.clientId,
  });
  return { fields: {}, notice: sendMessage(outcome, 'account') };
}

export interface RecoveryForm {
  identifier: string;
  smsCode: string;
  newPassword: string;
}

export type RecoveryOutcome = { ok: true; person: Person; ended: Ended; retired: number } | { ok: false; fields: FieldErrors; message?: Msg };

export async function resetPassword(app: AppContext, deps: CitizenDeps, form: RecoveryForm, who: Requester): Promise<RecoveryOutcome> {
  const identifier = checkIdentifier(form.identifier);
  const code = checkCode(form.smsCode);
  const policy = checkNewPassword(form.newPassword);
  const fields: FieldErrors = {};
  if (!identifier.ok) fields.identifier = identifier.msg;
  if (!code.ok) fields.sms_code = code.msg;
  if (!policy.ok) fields.new_password = policy.msg;
  if (!identifier.ok || !code.ok || !policy.ok) return { ok: false, fields };

  const checked = await deps.codes.check('recover', identifier.value, code.value, { consume: false });
  const failed = async (reason: string, msg: Msg): Promise<RecoveryOutcome> => {
    await app.audit.append({ event: 'password.reset', outcome: 'failure', clientId: who.clientId, ip: who.ip, detail: { identifier: maskIdentifier(identifier.value), reason } });
    return { ok: false, fields: { sms_code: msg } };
  };
  if (!checked.ok) return failed(checked.reason, checkMessage(checked));
  // A right code for a row that went to nobody cannot happen but by a lucky guess; answer as wrong.
  const row = checked.personId ? await personStore.byId(app.db, checked.personId) : undefined;
  const person = row ? openPerson(app.keyring, row) : null;
  const phone = person ? verifiedPhoneOf(person) : null;
  if (!person || !phone || app.keyring.blindIndex('phone', phone) !== checked.phoneBidx) return failed('no_recipient', { key: 'code.invalid' });

  const personal = checkNewPassword(form.newPassword, { idNumber: person.idNumber, phone });
  if (!personal.ok) return { ok: false, fields: { new_password: personal.msg } };
  if (!(await deps.codes.use(checked.id))) return failed('used', { key: 'code.expired' });

  const hash = await hashPassword(personal.value);
  const { ended, retired } = await app.db.transaction().execute(async (trx) => {
    await personStore.update(trx, person.id, { password_hash: hash, password_changed_at: new Date() });
    const retired = await legacyAccountStore.retireAll(trx, person.id);
    const ended = await endPersonSessions(app, trx, person.sub, 'password.reset', person.sub);
    await app.audit.append(
      {
        event: 'password.reset',
        outcome: 'success',
        actor: person.sub,
        clientId: who.clientId,
        ip: who.ip,
        detail: { sub: person.sub, via: 'sms', legacy_hashes_retired: retired, sessions_ended: ended.sessions, grants_revoked: ended.grants, logouts_queued: ended.queued },
      },
      trx,
    );
    return { ended, retired };
  });
  return { ok: true, person: (await findPersonBySub(app, person.sub)) ?? person, ended, retired };
}
