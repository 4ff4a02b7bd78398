// The select_entity prompt page ("办理身份"): in which capacity the person signs in to the app (as
// themself or for an org), and its POST route. Thin handlers: parse, check CSRF, call the service,
// render again or finish the interaction.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { formBody, formField as field, messagePage } from '../http/forms.ts';
import { tr } from '../i18n/ui.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import { maskName } from '../identity/mask.ts';
import type { InteractionDetails } from '../feature.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { entityOptions } from './entity-options.ts';
import { lastDayCst } from './org.ts';
import { PROMPT, resolveSubmission } from './prompt.ts';
import { roleText, whyText } from './page-text.ts';

type Details = InteractionDetails;

const form = formBody('16kb');

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

/** POST /interaction/:uid/select-entity: the chosen capacity, checked, audited and handed back to the provider. */
export function selectEntityRoutes(app: AppContext, getProvider: () => Provider, router: Router) {
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
