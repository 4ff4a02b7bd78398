// Registration (注册): ID number, name, mobile verified by SMS code, password. The order of the
// checks is the point:
//
// 1. field formats (nothing is looked up yet) and the per-address registration throttle;
// 2. the SMS code, which proves the phone; only then is anything said about existing accounts, so
//    each probe of "does this ID number have an account" costs a code to a phone one holds, within
//    the daily SMS caps;
// 3. an ID number that has an account never gets a second (the page offers recovery); a phone
//    verified on another account is not bound twice (SMS login needs one owner per number);
// 4. the population base (IDV_URL): match gives level 2; mismatch and not found refuse and create
//    nothing (the code stays usable for a corrected name); unavailable registers at level 1 and a
//    background task checks again later;
// 5. the code is used up, the person created through the accounts service's one create path, the
//    level recorded with its method, and the registration audited.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { createPerson, findPersonByIdentifier } from '../accounts/service.ts';
import { verifiedPhoneTaken } from '../accounts/phone.ts';
import { AppError } from '../errors.ts';
import { maskIdNumber, maskPhone } from '../identity/mask.ts';
import type { OneTimeCodes } from '../codes/service.ts';
import { checkMessage, sendMessage } from '../codes/messages.ts';
import type { IdvClient, IdvResult } from '../idv/client.ts';
import { auditIdvCheck, scheduleRecheck } from '../idv/rechecks.ts';
import { recordInitialLevel } from '../realname/service.ts';
import type { FieldErrors, Msg } from './forms.ts';
import { checkCode, checkIdNumber, checkName, checkNewPassword, checkPhone } from './validate.ts';

export interface CitizenDeps {
  codes: OneTimeCodes;
  idv: IdvClient | null;
}

export interface RegistrationForm {
  idNumber: string;
  name: string;
  phone: string;
  smsCode: string;
  password: string;
}

export interface Requester {
  ip: string;
  clientId: string | null;
}

export type RegistrationOutcome =
  | { ok: true; person: Person; idv: IdvResult | 'off' }
  | { ok: false; fields: FieldErrors; message?: Msg; offerRecovery?: boolean };

/** "Get code" on the registration form: only the phone is needed. */
export async function sendRegistrationCode(app: AppContext, deps: CitizenDeps, phoneRaw: string, who: Requester): Promise<{ fields: FieldErrors; notice?: Msg & { error: boolean } }> {
  const phone = checkPhone(phoneRaw);
  if (!phone.ok) return { fields: { phone: phone.msg } };
  if (!deps.codes.configured) return { fields: {}, notice: { key: 'sms.off', error: true } };
  const outcome = await deps.codes.send({ purpose: 'register', subject: phone.value, to: { phone: phone.value, personId: null, sub: null }, ip: who.ip, conceal: false, clientId: who.clientId });
  const said = sendMessage(outcome, null);
  if (said.error && outcome.status === 'rejected') return { fields: { phone: said } };
  return { fields: {}, notice: said };
}

export async function register(app: AppContext, deps: CitizenDeps, form: RegistrationForm, who: Requester): Promise<RegistrationOutcome> {
  const id = checkIdNumber(form.idNumber);
  const name = checkName(form.name);
  const phone = checkPhone(form.phone);
  const code = checkCode(form.smsCode);
  const password = checkNewPassword(form.password, { idNumber: id.ok ? id.value : null, phone: phone.ok ? phone.value : null });
  const fields: FieldErrors = {};
  if (!id.ok) fields.id_number = id.msg;
  if (!name.ok) fields.name = name.msg;
  if (!phone.ok) fields.phone = phone.msg;
  if (!code.ok) fields.sms_code = code.msg;
  if (!password.ok) fields.password = password.msg;
  if (!id.ok || !name.ok || !phone.ok || !code.ok || !password.ok) return { ok: false, fields };

  if ((await deps.codes.bumpCounter(`register:ip:${who.ip}`, 3600)) > app.config.registerIpHourly) {
    return { ok: false, fields: {}, message: { key: 'register.throttled' } };
  }

  const checked = await deps.codes.check('register', phone.value, code.value, { consume: false });
  if (!checked.ok) return { ok: false, fields: { sms_code: checkMessage(checked) } };

  const audit = (outcome: 'success' | 'denied' | 'failure', detail: Record<string, unknown>, actor: string | null = null) =>
    app.audit.append({ event: 'person.register', outcome, actor, clientId: who.clientId, ip: who.ip, detail: { id_number: maskIdNumber(id.value), phone: maskPhone(phone.value), ...detail } });

  // The phone is proven: what follows may be told to its holder.
  if (await findPersonByIdentifier(app, id.value)) {
    await deps.codes.use(checked.id);
    await audit('denied', { reason: 'id_number_taken' });
    return { ok: false, fields: {}, message: { key: 'register.exists' }, offerRecovery: true };
  }
  if (await verifiedPhoneTaken(app, phone.value)) {
    await deps.codes.use(checked.id);
    await audit('denied', { reason: 'phone_taken' });
    return { ok: false, fields: { phone: { key: 'register.phone_taken' } }, offerRecovery: true };
  }

  let idv: IdvResult | 'off' = 'off';
  if (deps.idv) {
    const answer = await deps.idv.check(id.value, name.value);
    idv = answer.result;
    await auditIdvCheck(app, answer, { source: 'register', id_number: maskIdNumber(id.value) }, who.ip);
    if (answer.result === 'mismatch' || answer.result === 'not_found') {
      await audit('denied', { reason: `idv_${answer.result}` });
      return { ok: false, fields: answer.result === 'mismatch' ? { name: { key: 'register.idv_mismatch' } } : { id_number: { key: 'register.idv_not_found' } } };
    }
  }

  if (!(await deps.codes.use(checked.id))) return { ok: false, fields: { sms_code: { key: 'code.expired' } } };
  let person: Person;
  try {
    person = await createPerson(
      app,
      { idNumber: id.value, name: name.value, phone: phone.value, phoneVerified: true, password: password.value, realNameLevel: idv === 'match' ? 2 : 1 },
      'self:register',
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'person.exists') {
      await audit('denied', { reason: 'id_number_taken' });
      return { ok: false, fields: {}, message: { key: 'register.exists' }, offerRecovery: true };
    }
    throw err;
  }
  await recordInitialLevel(app, person, idv === 'match' ? 'idv' : 'self', person.sub, idv === 'match' ? undefined : idv === 'off' ? 'no IDV configured' : 'IDV unavailable');
  if (idv === 'unavailable') await scheduleRecheck(app, person.id);
  await audit('success', { sub: person.sub, real_name_level: person.realNameLevel, idv }, person.sub);
  return { ok: true, person, idv };
}
