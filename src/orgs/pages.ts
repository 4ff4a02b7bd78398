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
import { tr, trf } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { AppError } from '../errors.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import { maskName } from '../identity/mask.ts';
import type { InteractionDetails } from '../feature.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { answerAuthorization, grantAuthorization, grantFormErrors, relinquishAuthorization, revokeAuthorization, type GrantField } from './authorizations.ts';
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

const DONE = new Set(['accepted', 'declined', 'granted', 'revoked', 'relinquished']);
const doneText = (ctx: Context, locale: Locale) => {
  const d = typeof ctx.query.done === 'string' ? ctx.query.done : '';
  return DONE.has(d) ? tr(locale, `orgs.done.${d}`) : undefined;
};

function validityText(locale: Locale, until: Date | null): string {
  return until ? `${tr(locale, 'orgs.through')} ${lastDayCst(until)}` : tr(locale, 'orgs.permanent');
}

/** An error in plain words, with what to do next (`orgs.next.CODE`, else a general next step). */
export interface ErrorView {
  code: string;
  message: string;
  next: string;
}

export function errorView(locale: Locale, code: string): ErrorView {
  const key = `orgs.next.${code}`;
  const next = tr(locale, key);
  return { code, message: tr(locale, code), next: next === key ? tr(locale, 'orgs.next.default') : next };
}

/** The grant form field a service error is about (null: the form as a whole, e.g. ID number and name do not match). */
function grantErrorField(code: string): GrantField | null {
  if (code.startsWith('id_number.') || code === 'org.person_unknown' || code === 'org.person_inactive' || code === 'org.agent_is_legal_rep') return 'id_number';
  if (code.startsWith('org.until_')) return 'until';
  if (code === 'org.agent_name_missing') return 'name';
  return null;
}

/** The grant form as typed, with what is wrong next to each field. */
interface GrantForm {
  values: Record<GrantField, string>;
  fieldErrors?: Partial<Record<GrantField, string>>;
  formError?: string;
}

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

function selfServiceRoutes(app: AppContext, getProvider: () => Provider, router: Router) {
  const requireSignIn = (ctx: Context): Promise<Signed | null> => selfServiceSignIn(app, getProvider(), ctx, 'org.sign_in_required', '/orgs');

  /** Renders a page in the orgs layout (who is signed in, sign-out, language switch). */
  const render = (ctx: Context, s: Signed, view: string, data: Record<string, unknown>, switchUrl: string) => {
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, { done: doneText(ctx, locale), ...data, csrf: s.csrf, personName: maskName(s.person.name) }, switchUrl);
  };

  /** An error as the answer to a request, still in the orgs layout: the way on is a link and sign-out. */
  const errorPage = (ctx: Context, s: Signed, status: number, code: string) => {
    const locale = localeOf(ctx);
    ctx.status = status;
    // a POST's address is no page to switch language on
    render(ctx, s, 'orgs-message', { error: errorView(locale, code) }, ctx.method === 'GET' ? ctx.path : '/orgs');
  };

  const renderHome = async (ctx: Context, s: Signed, extra: { error?: string } = {}) => {
    const locale = localeOf(ctx);
    const options = await entityOptions(app, s.person.id);
    render(ctx, s, 'orgs-home', { ...homeData(locale, options), error: extra.error ? errorView(locale, extra.error) : undefined }, '/orgs');
  };

  const renderAgents = async (ctx: Context, s: Signed, uscc: string, extra: { error?: string; grant?: GrantForm } = {}) => {
    const locale = localeOf(ctx);
    const { org, agents } = await orgAgents(app, s.person, uscc);
    render(
      ctx,
      s,
      'orgs-agents',
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
        form: extra.grant?.values ?? {},
        fieldErrors: Object.fromEntries(Object.entries(extra.grant?.fieldErrors ?? {}).map(([k, code]) => [k, errorView(locale, code)])),
        formError: extra.grant?.formError ? errorView(locale, extra.grant.formError) : undefined,
        error: extra.error ? errorView(locale, extra.error) : undefined,
        up: { href: '/orgs', label: tr(locale, 'orgs.heading') },
      },
      `/orgs/${org.uscc}/agents`,
    );
  };

  const csrfOk = (ctx: Context, s: Signed) => sessionCsrfOk(s, field(ctx, 'csrf'));

  /** The page that asks before an authorisation ends (revoke, give up): a form, no script. */
  const confirmPage = (
    ctx: Context,
    s: Signed,
    data: { heading: string; question: string; detail: { title: string; facts: { label: string; value: string; mono?: boolean }[] }; action: string; yes: string; back: string; no: string },
  ) => render(ctx, s, 'orgs-confirm', data, ctx.path);

  const seeOther = (ctx: Context, to: string) => {
    ctx.status = 303;
    ctx.redirect(to);
  };

  router.get('/assets/orgs.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

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

  const agentsPage = async (ctx: Context, s: Signed, uscc: string, extra: { error?: string; grant?: GrantForm } = {}) => {
    try {
      await renderAgents(ctx, s, uscc, extra);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      errorPage(ctx, s, err.status, err.code);
    }
  };

  router.get('/orgs/:uscc/agents', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (s) await agentsPage(ctx, s, ctx.params.uscc);
  });

  router.post('/orgs/:uscc/agents', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return errorPage(ctx, s, 403, 'csrf.invalid');
    const uscc = ctx.params.uscc;
    // everything typed comes back with the errors, so nothing has to be typed twice
    const values = { id_number: field(ctx, 'id_number').slice(0, 32), name: field(ctx, 'name').slice(0, 64), until: field(ctx, 'until').slice(0, 16) };
    const fieldErrors = grantFormErrors({ agentIdNumber: values.id_number, agentName: values.name, until: values.until });
    if (Object.keys(fieldErrors).length) {
      ctx.status = 400;
      return agentsPage(ctx, s, uscc, { grant: { values, fieldErrors } });
    }
    try {
      await grantAuthorization(
        app,
        { uscc, agentIdNumber: values.id_number, agentName: values.name, until: values.until || null },
        { actor: s.person.sub, legalRep: s.person, activate: false, ip: ctx.ip },
      );
    } catch (err) {
      if (err instanceof OrgUnavailableError) return errorPage(ctx, s, err.status, err.code);
      if (!(err instanceof AppError)) throw err;
      ctx.status = err.status;
      const at = grantErrorField(err.code);
      return agentsPage(ctx, s, uscc, { grant: at ? { values, fieldErrors: { [at]: err.code } } : { values, formError: err.code } });
    }
    ctx.status = 303;
    ctx.redirect(`/orgs/${encodeURIComponent(uscc)}/agents?done=granted`);
  });

  // revoking asks first: the agent, the org and what happens
  router.get('/orgs/:uscc/agents/:id/revoke', async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    let found;
    try {
      found = await orgAgents(app, s.person, ctx.params.uscc);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return errorPage(ctx, s, err.status, err.code);
    }
    const { org, agents } = found;
    const a = agents.find((x) => x.authorization.id === ctx.params.id && (x.authorization.status === 'pending' || x.authorization.status === 'active'));
    if (!a) return errorPage(ctx, s, 404, 'org.authorization_unknown');
    confirmPage(ctx, s, {
      heading: tr(locale, 'agents.confirm_revoke.heading'),
      question: trf(locale, a.authorization.status === 'pending' ? 'agents.confirm_revoke.question_pending' : 'agents.confirm_revoke.question', { name: a.name, org: org.name }),
      detail: {
        title: a.name,
        facts: [
          { label: tr(locale, 'orgs.org'), value: org.name },
          { label: tr(locale, 'agents.id_number'), value: a.maskedIdNumber, mono: true },
          { label: tr(locale, 'orgs.status'), value: tr(locale, `status.${a.state ?? 'active'}`) },
          { label: tr(locale, 'orgs.validity'), value: validityText(locale, a.authorization.validUntil) },
        ],
      },
      action: `/orgs/${org.uscc}/agents/${a.authorization.id}/revoke`,
      yes: tr(locale, 'agents.confirm_revoke.yes'),
      back: `/orgs/${org.uscc}/agents`,
      no: tr(locale, 'agents.confirm_revoke.no'),
    });
  });

  router.post('/orgs/:uscc/agents/:id/revoke', form, async (ctx) => {
    const s = await requireSignIn(ctx);
    if (!s) return;
    if (!csrfOk(ctx, s)) return errorPage(ctx, s, 403, 'csrf.invalid');
    const uscc = ctx.params.uscc;
    try {
      await revokeAuthorization(app, { uscc, authorizationId: ctx.params.id }, { actor: s.person.sub, legalRep: s.person, ip: ctx.ip });
    } catch (err) {
      if (err instanceof OrgUnavailableError) return errorPage(ctx, s, err.status, err.code);
      if (!(err instanceof AppError)) throw err;
      ctx.status = err.status;
      return agentsPage(ctx, s, uscc, { error: err.code });
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
