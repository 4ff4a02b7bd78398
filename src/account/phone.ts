// 更换手机号 (/account/security/phone): the new number gets a code by SMS; the final submit with the
// code makes it the account's verified number. Form fields per DESIGN.md: phone, the send_code
// button, sms_code.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { formBody, formField } from '../http/forms.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { t } from '../i18n/messages.ts';
import { parseMobile } from '../identity/contact.ts';
import { maskName, maskPhone } from '../identity/mask.ts';
import { requireSignIn, csrfOk, type SignedIn } from '../selfservice/portal.ts';
import { changePhone } from '../accounts/phone-change.ts';
import { CODE_FORMAT, type OneTimeCodes } from '../codes/service.ts';
import { checkMessage, sendMessage } from '../codes/messages.ts';

const PATH = '/account/security/phone';
const form = formBody('16kb');
const field = formField;

interface View {
  phone?: string;
  sms_code?: string;
  errors?: Record<string, string>;
  notice?: string;
  focus?: 'phone' | 'sms_code';
}

function page(ctx: Context, s: SignedIn, v: View = {}) {
  const locale = localeOf(ctx);
  ctx.type = 'html';
  ctx.body = renderPage(
    'account-phone',
    locale,
    {
      csrf: s.csrf,
      personName: maskName(s.person.name),
      currentPhone: s.person.phone ? maskPhone(s.person.phone) : null,
      phone: v.phone ?? '',
      sms_code: v.sms_code ?? '',
      errors: v.errors ?? {},
      notice: v.notice ?? null,
      focus: v.focus ?? 'phone',
    },
    PATH,
  );
}

export function phoneRouter(app: AppContext, getProvider: () => Provider, codes: OneTimeCodes): Router {
  const router = new Router();
  router.get(PATH, async (ctx) => {
    const s = await requireSignIn(app, getProvider(), ctx);
    if (s) page(ctx, s);
  });

  router.post(PATH, form, async (ctx) => {
    const s = await requireSignIn(app, getProvider(), ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    if (!csrfOk(s, (ctx.request.body as Record<string, unknown> | undefined)?.csrf)) {
      ctx.status = 403;
      return page(ctx, s, { errors: { form: t(locale, 'csrf.invalid') } });
    }
    const typed = field(ctx, 'phone', 32);
    const code = field(ctx, 'sms_code', 16).trim();
    const parsed = parseMobile(typed);
    if (!parsed.ok) {
      ctx.status = 400;
      return page(ctx, s, { phone: typed, errors: { phone: t(locale, parsed.error) } });
    }
    const phone = parsed.value;
    if (phone === s.person.phone && s.person.phoneVerified) {
      ctx.status = 400;
      return page(ctx, s, { phone: typed, errors: { phone: tr(locale, 'account.phone.same') } });
    }
    if (field(ctx, 'action', 32) === 'send_code') {
      const said = sendMessage(await codes.send({ purpose: 'phone_change', subject: phone, to: { phone, personId: s.person.id, sub: s.person.sub }, ip: ctx.ip, conceal: false }), null);
      const text = t(locale, said.key, said.params);
      if (said.error) ctx.status = 429;
      return page(ctx, s, { phone: typed, ...(said.error ? { errors: { phone: text } } : { notice: text, focus: 'sms_code' }) });
    }
    if (!CODE_FORMAT.test(code)) {
      ctx.status = 400;
      return page(ctx, s, { phone: typed, sms_code: code, errors: { sms_code: t(locale, 'code.format') }, focus: 'sms_code' });
    }
    const checked = await codes.check('phone_change', phone, code, { consume: true });
    if (!checked.ok || checked.personId !== s.person.id) {
      ctx.status = 400;
      const said = checked.ok ? { key: 'code.invalid', params: undefined } : checkMessage(checked);
      return page(ctx, s, { phone: typed, errors: { sms_code: t(locale, said.key, said.params) }, focus: 'sms_code' });
    }
    const r = await changePhone(app, s.person, phone, s.person.sub, ctx.ip);
    if (!r.ok) {
      ctx.status = 409;
      return page(ctx, s, { phone: typed, errors: { phone: tr(locale, 'account.phone.taken') } });
    }
    ctx.status = 303;
    ctx.redirect('/account/security?done=phone');
  });
  return router;
}
