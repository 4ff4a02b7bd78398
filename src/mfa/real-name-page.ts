// The real-name refusal page (prompt `real_name`): the app needs a higher real-name level than the
// person has; the page says how to reach it, and its POST ends the login with access_denied.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findPersonBySub, REAL_NAME_LEVELS } from '../accounts/service.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { messagePage } from '../http/forms.ts';
import { tr, trf } from '../i18n/ui.ts';
import { csrfToken } from '../interactions/csrf.ts';
import { REAL_NAME_PROMPT } from './prompt.ts';
import { form, loadAtPrompt, type Details } from './prompt-interaction.ts';

/** GET /interaction/:uid while the prompt is `real_name`. */
export async function realNamePage(app: AppContext, ctx: Context, details: Details, provider: Provider): Promise<void> {
  const person = details.session?.accountId ? await findPersonBySub(app, details.session.accountId) : null;
  if (!person) return messagePage(ctx, 400, 'interaction.expired');
  const locale = localeOf(ctx);
  const required = Number((details.prompt.details as { min_real_name_level?: unknown }).min_real_name_level ?? 2);
  const client = await provider.Client.find(String(details.params.client_id));
  const appName = client?.clientName ?? String(details.params.client_id);
  const levelText = (n: number) => tr(locale, `account.level.${n}`);
  ctx.type = 'html';
  ctx.body = renderPage(
    'mfa-real-name',
    locale,
    {
      uid: details.uid,
      csrf: csrfToken(app.keyring, details.uid),
      intro: trf(locale, 'realname.intro', { app: appName, required: levelText(required), current: levelText(person.realNameLevel) }),
      steps: REAL_NAME_LEVELS.filter((l) => l > person.realNameLevel && l <= required).map((l) => tr(locale, `realname.how.${l}`)),
    },
    `/interaction/${details.uid}`,
  );
}

/** POST /interaction/:uid/real-name: the person gives up; audited, and the app gets access_denied. */
export function realNameRoutes(app: AppContext, getProvider: () => Provider, router: Router) {
  router.post('/interaction/:uid/real-name', form, async (ctx) => {
    const loaded = await loadAtPrompt(app, getProvider, ctx, REAL_NAME_PROMPT);
    if (!loaded) return;
    const { provider, details, person } = loaded;
    const required = Number((details.prompt.details as { min_real_name_level?: unknown }).min_real_name_level ?? 0);
    const clientId = String(details.params.client_id);
    await app.audit.append({ event: 'login.real_name', outcome: 'denied', actor: person.sub, clientId, ip: ctx.ip, detail: { level: person.realNameLevel, required } });
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: `real-name level ${required} required; the End-User is at level ${person.realNameLevel}` },
      { mergeWithLastSubmission: false },
    );
  });
}
