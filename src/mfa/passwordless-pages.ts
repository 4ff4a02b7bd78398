// Passwordless sign-in: a passkey with user verification instead of the password (acr phr), offered
// while the login prompt is pending (/interaction/:uid/passkey). Failures count toward the login's
// throttle like password failures.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { messagePage } from '../http/forms.ts';
import { tr } from '../i18n/ui.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import { lockedMessage } from '../interactions/routes.ts';
import { personThrottleAccount } from '../interactions/authenticate.ts';
import type { ThrottleKeys } from '../interactions/throttle.ts';
import { ACR_PHR } from '../oidc/acr.ts';
import { authenticationOptions, verifyAssertion } from './passkeys.ts';
import { allowPasskeyScript } from './csp.ts';
import { field, form, type Details, type MfaPageDeps, type PageState } from './prompt-interaction.ts';

async function findPersonById(app: AppContext, id: string): Promise<Person | null> {
  const row = await personStore.byId(app.db, id);
  return row ? openPerson(app.keyring, row) : null;
}

export function passwordlessRoutes(app: AppContext, getProvider: () => Provider, deps: MfaPageDeps, router: Router) {
  /** The interaction while the login prompt is pending; null after answering. */
  const atLogin = async (ctx: Context, post: boolean): Promise<{ provider: Provider; details: Details } | null> => {
    ctx.set('cache-control', 'no-store');
    const provider = getProvider();
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        messagePage(ctx, 400, 'interaction.expired');
        return null;
      }
      throw err;
    }
    if (post && !csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) {
      messagePage(ctx, 403, 'csrf.invalid');
      return null;
    }
    if (details.prompt.name !== 'login') {
      messagePage(ctx, 400, 'interaction.expired');
      return null;
    }
    return { provider, details };
  };

  const passwordlessPage = async (ctx: Context, provider: Provider, details: Details, state: PageState = {}) => {
    const client = await provider.Client.find(String(details.params.client_id));
    const options = await authenticationOptions(app, null, details.uid, 'required');
    allowPasskeyScript(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(
      'mfa-passwordless',
      localeOf(ctx),
      { uid: details.uid, csrf: csrfToken(app.keyring, details.uid), appName: client?.clientName ?? null, passkeyOptions: JSON.stringify(options), ...state },
      `/interaction/${details.uid}/passkey`,
    );
  };

  router.get('/interaction/:uid/passkey', async (ctx) => {
    const at = await atLogin(ctx, false);
    if (at) await passwordlessPage(ctx, at.provider, at.details);
  });

  router.post('/interaction/:uid/passkey', form, async (ctx) => {
    const at = await atLogin(ctx, true);
    if (!at) return;
    const { provider, details } = at;
    const clientId = String(details.params.client_id ?? '') || null;
    const locale = localeOf(ctx);
    const r = await verifyAssertion(app, null, details.uid, field(ctx, 'passkey_response', 16_384), { requireUserVerification: true });
    const personId = r.personId;
    const keys: ThrottleKeys = { account: personId ? personThrottleAccount(personId) : null, ip: ctx.ip };
    const state = await deps.throttle.check(keys);
    if (state.retryAfterSeconds > 0) {
      ctx.status = 401;
      ctx.set('retry-after', String(state.retryAfterSeconds));
      return passwordlessPage(ctx, provider, details, { error: lockedMessage(locale, state.retryAfterSeconds), locked: true });
    }
    const person = r.ok ? await findPersonById(app, r.personId) : null;
    if (!r.ok || !person || person.status !== 'active') {
      const { lockedNow } = await deps.throttle.recordFailure(keys);
      await app.audit.append({ event: 'login.failure', outcome: 'failure', actor: null, clientId, ip: ctx.ip, detail: { method: 'passkey', reason: r.ok ? 'inactive' : r.reason } });
      if (lockedNow && person) await app.audit.append({ event: 'login.lockout', outcome: 'info', actor: person.sub, clientId, ip: ctx.ip, detail: { after: 'passkey' } });
      ctx.status = 401;
      return passwordlessPage(ctx, provider, details, { error: tr(locale, 'mfa.failed') });
    }
    await deps.throttle.recordSuccess(keys);
    await app.audit.append({ event: 'login.success', outcome: 'success', actor: person.sub, clientId, ip: ctx.ip, detail: { method: 'passkey', acr: ACR_PHR } });
    const login = { accountId: person.sub, acr: ACR_PHR, amr: [r.amr, 'mfa'], remember: false };
    await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  });
}
