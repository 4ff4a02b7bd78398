// "经办人管理" (/orgs/:uscc/agents): the legal representative's list of the org's agents, the form
// that authorises one more, and revoking (asked first). Thin handlers: parse, check CSRF, call the
// service, render or redirect (POST-redirect-GET).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { formField as field } from '../http/forms.ts';
import { tr, trf } from '../i18n/ui.ts';
import { AppError } from '../errors.ts';
import { grantAuthorization, grantFormErrors, revokeAuthorization, type GrantField } from './authorizations.ts';
import { orgAgents } from './org-views.ts';
import { OrgUnavailableError } from './lookups.ts';
import { errorView, validityText } from './page-text.ts';
import { form, type OrgsLayout, type Signed } from './self-service-layout.ts';

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

export function agentsRoutes(app: AppContext, layout: OrgsLayout, router: Router) {
  const { requireSignIn, render, errorPage, csrfOk, confirmPage } = layout;

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
