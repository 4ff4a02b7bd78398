// SMS login (短信验证码登录) for persons with a verified mobile number: acr urn:yitong:acr:pwd (one
// factor), amr ["sms"]. The same brute-force rules as passwords, on the same counters: the account
// key is the person's (or, for a number nobody has verified, the number's), so failures by SMS and
// by password add up, and a lock stops both. "Get code" answers alike for every number.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonByVerifiedPhone } from '../accounts/phone.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import { loginMetric } from '../http/metrics.ts';
import { maskPhone } from '../identity/mask.ts';
import { checkMessage, sendMessage } from '../codes/messages.ts';
import type { FieldErrors, Msg } from './forms.ts';
import type { CitizenDeps, Requester } from './registration.ts';
import { checkCode, checkPhone } from './validate.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sendLoginCode(app: AppContext, deps: CitizenDeps, phoneRaw: string, who: Requester): Promise<{ fields: FieldErrors; notice?: Msg & { error: boolean } }> {
  const phone = checkPhone(phoneRaw);
  if (!phone.ok) return { fields: { phone: phone.msg } };
  if (!deps.codes.configured) return { fields: {}, notice: { key: 'sms.off', error: true } };
  const person = await findPersonByVerifiedPhone(app, phone.value);
  const to = person && person.status === 'active' ? { phone: phone.value, personId: person.id, sub: person.sub } : null;
  const outcome = await deps.codes.send({ purpose: 'login', subject: phone.value, to, ip: who.ip, conceal: true, clientId: who.clientId });
  return { fields: {}, notice: sendMessage(outcome, 'phone') };
}

export type SmsLoginOutcome = { ok: true; person: Person } | { ok: false; fields: FieldErrors; message?: Msg };

export async function smsAuthenticate(
  app: AppContext,
  deps: CitizenDeps & { throttle: LoginThrottle },
  form: { phone: string; smsCode: string },
  who: Requester,
): Promise<SmsLoginOutcome> {
  const phone = checkPhone(form.phone);
  const code = checkCode(form.smsCode);
  if (!phone.ok || !code.ok) return { ok: false, fields: { ...(phone.ok ? {} : { phone: phone.msg }), ...(code.ok ? {} : { sms_code: code.msg }) } };

  const person = await findPersonByVerifiedPhone(app, phone.value);
  // the keys password login uses for this person, or for this number typed as an identifier
  const account = person ? `p:${person.id}` : `i:${app.keyring.blindIndex('login-identifier', phone.value)}`;
  const keys = { account, ip: who.ip };
  const auditBase = { actor: person?.sub ?? null, clientId: who.clientId, ip: who.ip };
  const masked = maskPhone(phone.value);

  const state = await deps.throttle.check(keys);
  if (state.locked) {
    loginMetric.inc({ outcome: 'locked' });
    await app.audit.append({ ...auditBase, event: 'login.failure', outcome: 'denied', detail: { identifier: masked, method: 'sms', reason: 'locked' } });
    return { ok: false, fields: {}, message: { key: 'login.throttled' } };
  }
  if (state.delayMs > 0) await sleep(state.delayMs);

  const checked = await deps.codes.check('login', phone.value, code.value, { consume: true });
  const good = checked.ok && person !== null && person.status === 'active' && checked.personId === person.id;
  if (!good) {
    const { lockedNow } = await deps.throttle.recordFailure(keys);
    loginMetric.inc({ outcome: 'failure' });
    await app.audit.append({ ...auditBase, event: 'login.failure', outcome: 'failure', detail: { identifier: masked, method: 'sms', reason: checked.ok ? 'no_account' : `code_${checked.reason}` } });
    if (lockedNow) await app.audit.append({ ...auditBase, event: 'login.lockout', outcome: 'info', detail: { identifier: masked } });
    return { ok: false, fields: { sms_code: checked.ok ? { key: 'code.invalid' } : checkMessage(checked) } };
  }
  await deps.throttle.recordSuccess(keys);
  loginMetric.inc({ outcome: 'success' });
  await app.audit.append({ ...auditBase, event: 'login.success', outcome: 'success', detail: { identifier: masked, method: 'sms' } });
  return { ok: true, person: person! };
}
