// SMS codes as a second factor (issue 11): for a person who chose it and has a verified phone, a
// 6-digit code (purpose `mfa`, subject the person's id) sent to that phone, typed into the same
// `otp` field as an authenticator app code. Never phishing-resistant: it reaches `mfa`, never `phr`.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { verifiedPhoneOf } from '../accounts/phone.ts';
import { OneTimeCodes } from '../codes/service.ts';
import { sendMessage } from '../codes/messages.ts';
import { createSmsSender } from '../sms/index.ts';
import { CODE_FORMAT } from '../codes/service.ts';
import type { OtpFactor } from './factors.ts';
import { smsStore } from './store.ts';

const services = new WeakMap<AppContext, OneTimeCodes>();

/** The code service of this app (one per app: its gateway breaker is shared by every send). */
export function mfaCodes(app: AppContext): OneTimeCodes {
  let codes = services.get(app);
  if (!codes) {
    codes = new OneTimeCodes(app, createSmsSender(app.config.sms));
    services.set(app, codes);
  }
  return codes;
}

export const smsFactor: OtpFactor = {
  amr: 'sms',
  async enrolled(app, person) {
    return verifiedPhoneOf(person) !== null && (await smsStore.chosen(app.db, person.id));
  },
  async check(app, person, raw) {
    const code = raw.replace(/\s+/g, '');
    if (!CODE_FORMAT.test(code)) return { ok: false, reason: 'format' };
    if (!verifiedPhoneOf(person)) return { ok: false, reason: 'none' };
    const r = await mfaCodes(app).check('mfa', person.id, code, { consume: true });
    if (!r.ok) return { ok: false, reason: 'wrong' };
    return r.personId === person.id ? { ok: true } : { ok: false, reason: 'wrong' };
  },
  async send(app, person: Person, ip: string) {
    const phone = verifiedPhoneOf(person);
    if (!phone || !(await smsStore.chosen(app.db, person.id))) return { ok: false, message: 'sms.unavailable' };
    const outcome = await mfaCodes(app).send({ purpose: 'mfa', subject: person.id, to: { phone, personId: person.id, sub: person.sub }, ip, conceal: false });
    const said = sendMessage(outcome, null);
    return { ok: !said.error, message: said.key, params: said.params };
  },
};
