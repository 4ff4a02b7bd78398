// Pages: the select_entity prompt page ("办理身份") and its POST route, and the self-service pages
// "我的单位" (/orgs) and "经办人管理" (/orgs/:uscc/agents). Thin handlers: parse, check CSRF, call
// the service, render or redirect (POST-redirect-GET).
//
// Self-service pages run on the provider's own sign-in session, read with oidc-provider's public
// `provider.Session.get(ctx)` (it takes any koa context and reads the signed session cookie). With
// no session, the shared self-service sign-in (src/selfservice/portal.ts) starts an authorization
// request for the built-in portal client; after sign-in the browser comes back here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { UserError, type Locale } from '../i18n/messages.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import { maskName } from '../identity/mask.ts';
import type { InteractionDetails } from '../feature.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { answerAuthorization, grantAuthorization, revokeAuthorization } from './authorizations.ts';
import { entityOptions, type EntityOptions } from './entity-options.ts';
import { orgAgents } from './org-views.ts';
import { OrgUnavailableError } from './lookups.ts';
import { lastDayCst, type Unusable } from './org.ts';
import { PROMPT, resolveSubmission } from './prompt.ts';
import { csrfOk as sessionCsrfOk, requireSignIn as selfServiceSignIn, type SignedIn } from '../selfservice/portal.ts';

type Details = InteractionDetails;

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'orgs.css'));
const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

function field(ctx: Context, name: string): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

function messagePage(ctx: Context, status: number, code: string) {
  const locale = localeOf(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code });
}

const roleText = (locale: Locale, role: string) => tr(locale, `entity.role.${role}`);
const whyText = (locale: Locale, why: Unusable) => tr(locale, `entity.why.${why}`);

// ---------------------------------------------------------------------------------------------
// select_entity prompt

async function renderSelectEntity(app: AppContext, provider: Provider, ctx: Context, details: Details, extra: { error?: string; selected?: string } = {}) {
  const locale = localeOf(ctx);
  const person = await findPersonBySub(app, details.session!.accountId);
  if (!person) return messagePage(ctx, 400, 'interaction.expired');
  const options = await entityOptions(app, person.id);
  const client = await provider.Client.find(String(details.params.client_id));
  ctx.type = 'html';
  ctx.body = renderPage(
    'select-entity',
    locale,
    {
      uid: details.uid,
      csrf: csrfToken(app.keyring, details.uid),
      clientName: client?.clientName ?? null,
      personName: maskName(person.name),
      selected: extra.selected ?? 'person',
      error: extra.error,
      options: options.usable.map((o) => ({ uscc: o.org.uscc, name: o.org.name, role: roleText(locale, o.role), until: o.validUntil ? lastDayCst(o.validUntil) : null })),
      unusable: options.unusable.filter((u) => u.reason !== 'declined' && u.reason !== 'relinquished').map((u) => ({ name: u.org.name, why: whyText(locale, u.reason) })),
    },
    `/interaction/${details.uid}`,
  );
}

/** The page core's GET /interaction/:uid shows for the select_entity prompt. */
export function selectEntityPage(app: AppContext, ctx: Context, details: Details, provider: Provider): Promise<void> {
  return renderSelectEntity(app, provider, ctx, details);
}

function interactionRoutes(app: AppContext, getProvider: () => Provider, router: Router) {
  router.post('/interaction/:uid/select-entity', form, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    const provider = getProvider();
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) return messagePage(ctx, 400, 'interaction.expired');
      throw err;
    }
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) return messagePage(ctx, 403, 'csrf.invalid');
    if (details.prompt.name !== PROMPT || !details.session?.accountId) return messagePage(ctx, 400, 'interaction.expired');
    const locale = localeOf(ctx);
    const entity = field(ctx, 'entity').normalize('NFKC').trim().slice(0, 64);
    const clientId = String(details.params.client_id);
    const person = await findPersonBySub(app, details.session.accountId);
    if (!person) return messagePage(ctx, 400, 'interaction.expired');
    if (!entity) {
      ctx.status = 400;
      return renderSelectEntity(app, provider, ctx, details, { error: tr(locale, 'org.entity_missing') });
    }
    const option = await resolveSubmission(app, person.id, entity === 'person' ? 'person' : entity.toUpperCase());
    if (option === undefined) {
      await app.audit.append({ event: 'org.entity.select', outcome: 'denied', actor: person.sub, clientId, ip: ctx.ip, detail: { entity: entity.slice(0, 32) } });
      ctx.status = 403;
      return renderSelectEntity(app, provider, ctx, details, { error: tr(locale, 'org.entity_not_allowed') });
    }
    await app.audit.append({
      event: 'org.entity.select',
      outcome: 'success',
      actor: person.sub,
      clientId,
      ip: ctx.ip,
      detail: option ? { entity: 'legal_person', org_id: option.org.id, uscc: option.org.uscc, role: option.role } : { entity: 'natural_person' },
    });
    await provider.interactionFinished(ctx.req, ctx.res, { [PROMPT]: { entity: option ? option.org.uscc : 'person' } }, { mergeWithLastSubmission: true });
  });
}

// ---------------------------------------------------------------------------------------------
// self-service pages

type Signed = SignedIn;

const DONE = new Set(['accepted', 'declined', 'granted', 'revoked']);
const doneText = (ctx: Context, locale: Locale) => {
  const d = typeof ctx.query.done === 'string' ? ctx.query.done : '';
  return DONE.has(d) ? tr(locale, `orgs.done.${d}`) : undefined;
};

function validityText(locale: Locale, until: Date | null): string {
  return until ? `${tr(locale, 'orgs.through')} ${lastDayCst(until)}` : tr(locale, 'orgs.permanent');
}

function homeData(locale: Locale, options: EntityOptions) {
  return {
    usable: options.usable.map((o) => ({
      uscc: o.org.uscc,
      name: o.org.name,
      role: roleText(locale, o.role),
      validity: validityText(locale, o.validUntil),
      manage: o.role === 'legal_representative',
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

function selfServiceRoutes(app: AppContext, getProvider: () => Provider, router: Router) {
  const requireSignIn = (ctx: Context): Promise<Signed | null> => selfServiceSignIn(app, getProvider(), ctx, 'org.sign_in_required');

  const renderHome = async (ctx: Context, s: Signed, extra: { error?: string } = {}) => {
    const locale = localeOf(ctx);
    const options = await entityOptions(app, s.person.id);
    ctx.type = 'html';
    ctx.body = renderPage('orgs-home', locale, { ...homeData(locale, options), csrf: s.csrf, personName: maskName(s.person.name), done: doneText(ctx, locale), ...extra }, '/orgs');
  };

  const renderAgents = async (ctx: Context, s: Signed, uscc: string, extra: { error?: string; form?: Record<string, string> } = {}) => {
    const locale = localeOf(ctx);
    const { org, agents } = await orgAgents(app, s.person, uscc);
    ctx.type = 'html';
    ctx.body = renderPage(
      'orgs-agents',
      locale,
      {
        org: { uscc: org.uscc, name: org.name },
        agents: agents.map((a) => ({
          id: a.authorization.id,
          name: a.name,
          idNumber: a.maskedIdNumber,
          state: a.state ?? 'active',
          status: tr(locale, `status.${a.state ?? 'active'}`),
          validity: validityText(locale, a.authorization.validUntil),
          revocable: a.authorization.status === 'pending' || a.authorization.status === 'active',
        })),
        csrf: s.csrf,
        personName: maskName(s.person.name),
        done: doneText(ctx, locale),
        form: extra.form ?? {},
        error: extra.error,
      },
      `/orgs/${org.uscc}/agents`,
    );
  };

  const csrfOk = (ctx: Context, s: Signed) => sessionCsrfOk(s, field(ctx, 'csrf'));

  router.get('/assets/orgs.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

  router.get('/orgs', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (s) await renderHome(ctx, s);
  });

  router.post('/orgs/authorizations/:id/:answer', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return messagePage(ctx, 403, 'csrf.invalid');
    const answer = ctx.params.answer;
    if (answer !== 'accept' && answer !== 'decline') return messagePage(ctx, 404, 'not_found');
    try {
      await answerAuthorization(app, s.person, ctx.params.id, answer, { ip: ctx.ip });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.status = err.status;
      return renderHome(ctx, s, { error: tr(localeOf(ctx), err.code) });
    }
    ctx.status = 303;
    ctx.redirect(`/orgs?done=${answer === 'accept' ? 'accepted' : 'declined'}`);
  });

  const agentsPage = async (ctx: Context, s: Signed, uscc: string, extra: { error?: string; form?: Record<string, string> } = {}) => {
    try {
      await renderAgents(ctx, s, uscc, extra);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      messagePage(ctx, err.status, err.code);
    }
  };

  router.get('/orgs/:uscc/agents', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (s) await agentsPage(ctx, s, ctx.params.uscc);
  });

  router.post('/orgs/:uscc/agents', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return messagePage(ctx, 403, 'csrf.invalid');
    const uscc = ctx.params.uscc;
    const input = { name: field(ctx, 'name').slice(0, 64), until: field(ctx, 'until').slice(0, 16) };
    try {
      await grantAuthorization(
        app,
        { uscc, agentIdNumber: field(ctx, 'id_number').slice(0, 32), agentName: input.name, until: input.until || null },
        { actor: s.person.sub, legalRep: s.person, activate: false, ip: ctx.ip },
      );
    } catch (err) {
      if (err instanceof OrgUnavailableError) return messagePage(ctx, err.status, err.code);
      if (!(err instanceof UserError)) throw err;
      ctx.status = err.status;
      return agentsPage(ctx, s, uscc, { error: tr(localeOf(ctx), err.code), form: input });
    }
    ctx.status = 303;
    ctx.redirect(`/orgs/${encodeURIComponent(uscc)}/agents?done=granted`);
  });

  router.post('/orgs/:uscc/agents/:id/revoke', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return messagePage(ctx, 403, 'csrf.invalid');
    const uscc = ctx.params.uscc;
    try {
      await revokeAuthorization(app, { uscc, authorizationId: ctx.params.id }, { actor: s.person.sub, legalRep: s.person, ip: ctx.ip });
    } catch (err) {
      if (err instanceof OrgUnavailableError) return messagePage(ctx, err.status, err.code);
      if (!(err instanceof UserError)) throw err;
      ctx.status = err.status;
      return agentsPage(ctx, s, uscc, { error: tr(localeOf(ctx), err.code) });
    }
    ctx.status = 303;
    ctx.redirect(`/orgs/${encodeURIComponent(uscc)}/agents?done=revoked`);
  });
}

export function orgsRouter(app: AppContext, getProvider: () => Provider): Router {
  const router = new Router();
  interactionRoutes(app, getProvider, router);
  selfServiceRoutes(app, getProvider, router);
  return router;
}
