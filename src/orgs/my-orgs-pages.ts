// "我的单位" (/orgs): the orgs the person can act for, authorisations waiting for an answer (accept,
// decline) and ended ones; an agent can give an authorisation up (放弃), asked first.
// Thin handlers: parse, check CSRF, call the service, render or redirect (POST-redirect-GET).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { AppError } from '../errors.ts';
import { answerAuthorization, relinquishAuthorization } from './authorizations.ts';
import { entityOptions, type EntityOptions } from './entity-options.ts';
import { errorView, roleText, validityText, whyText } from './page-text.ts';
import { form, type OrgsLayout, type Signed } from './self-service-layout.ts';

function homeData(locale: Locale, options: EntityOptions) {
  return {
    usable: options.usable.map((o) => ({
      uscc: o.org.uscc,
      name: o.org.name,
      role: roleText(locale, o.role),
      validity: validityText(locale, o.validUntil),
      manage: o.role === 'legal_representative',
      // an agent may give the authorisation up; the legal representative's own right is no authorisation
      relinquish: o.role === 'agent' ? o.authorizationId : null,
    })),
    pending: options.pending.map((p) => ({
      id: p.authorization.id,
      uscc: p.org.uscc,
      name: p.org.name,
      role: roleText(locale, p.authorization.role),
      validity: validityText(locale, p.authorization.validUntil),
    })),
    ended: options.unusable.filter((u) => u.reason !== 'pending').map((u) => ({ uscc: u.org.uscc, name: u.org.name, why: whyText(locale, u.reason) })),
  };
}

export function myOrgsRoutes(app: AppContext, layout: OrgsLayout, router: Router) {
  const { requireSignIn, render, errorPage, csrfOk, confirmPage, seeOther } = layout;

  const renderHome = async (ctx: Context, s: Signed, extra: { error?: string } = {}) => {
    const locale = localeOf(ctx);
    const options = await entityOptions(app, s.person.id);
    render(ctx, s, 'orgs-home', { ...homeData(locale, options), error: extra.error ? errorView(locale, extra.error) : undefined }, '/orgs');
  };

  router.get('/orgs', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (s) await renderHome(ctx, s);
  });

  // giving up (放弃): the agent's own active authorisation, asked first
  router.get('/orgs/authorizations/:id/relinquish', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const option = (await entityOptions(app, s.person.id)).usable.find((o) => o.role === 'agent' && o.authorizationId === ctx.params.id);
    if (!option) return errorPage(ctx, s, 404, 'org.authorization_unknown');
    confirmPage(ctx, s, {
      heading: tr(locale, 'orgs.confirm_relinquish.heading'),
      question: trf(locale, 'orgs.confirm_relinquish.question', { org: option.org.name }),
      detail: {
        title: option.org.name,
        facts: [
          { label: tr(locale, 'orgs.uscc'), value: option.org.uscc, mono: true },
          { label: tr(locale, 'orgs.role'), value: roleText(locale, option.role) },
          { label: tr(locale, 'orgs.validity'), value: validityText(locale, option.validUntil) },
        ],
      },
      action: `/orgs/authorizations/${option.authorizationId}/relinquish`,
      yes: tr(locale, 'orgs.confirm_relinquish.yes'),
      back: '/orgs',
      no: tr(locale, 'orgs.confirm_relinquish.no'),
    });
  });

  router.post('/orgs/authorizations/:id/relinquish', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return errorPage(ctx, s, 403, 'csrf.invalid');
    try {
      await relinquishAuthorization(app, s.person, ctx.params.id, { ip: ctx.ip });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      ctx.status = err.status;
      return renderHome(ctx, s, { error: err.code });
    }
    seeOther(ctx, '/orgs?done=relinquished');
  });

  router.post('/orgs/authorizations/:id/:answer', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return errorPage(ctx, s, 403, 'csrf.invalid');
    const answer = ctx.params.answer;
    if (answer !== 'accept' && answer !== 'decline') return errorPage(ctx, s, 404, 'not_found');
    try {
      await answerAuthorization(app, s.person, ctx.params.id, answer, { ip: ctx.ip });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      ctx.status = err.status;
      return renderHome(ctx, s, { error: err.code });
    }
    ctx.status = 303;
    ctx.redirect(`/orgs?done=${answer === 'accept' ? 'accepted' : 'declined'}`);
  });
}
