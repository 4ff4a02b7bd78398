// Interaction pages: login, consent, abort. Thin handlers: parse, check CSRF, call a service,
// render or finish the interaction.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { authenticate, type LoginMethods } from './authenticate.ts';
import type { InteractionDetails, LoginLink, PromptExtension } from '../feature.ts';
import { ACR_PASSWORD } from '../oidc/provider.ts';
import type { LoginThrottle } from './throttle.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { maskName } from '../identity/mask.ts';
import { SCOPE_CLAIMS } from '../oidc/account.ts';
import type { Locale } from '../i18n/messages.ts';

type Details = InteractionDetails;

const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

function field(ctx: Context, name: string): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** When a login lock ends, in words: China Standard Time, with the date when it is not today. */
export function lockedMessage(locale: Locale, retryAfterSeconds: number, now = new Date()): string {
  const until = new Date(now.getTime() + retryAfterSeconds * 1000);
  const day = (d: Date) => d.toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
  const time = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(day(until) === day(now) ? {} : { month: locale === 'en' ? 'short' : 'long', day: 'numeric' }),
  }).format(until);
  const minutes = String(Math.max(1, Math.ceil(retryAfterSeconds / 60)));
  return tr(locale, 'login.locked').replace('{time}', time).replace('{minutes}', minutes);
}

/** What the consent page lists: the scopes asked for, and those of claims asked for one by one. */
function consentScopes(d: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] }): string[] {
  const scopes = new Set(d.missingOIDCScope ?? []);
  for (const claim of d.missingOIDCClaims ?? []) {
    for (const [scope, claims] of Object.entries(SCOPE_CLAIMS)) if ((claims as string[]).includes(claim)) scopes.add(scope);
  }
  return scopes.size ? [...scopes] : ['openid'];
}

export interface InteractionDeps {
  login: LoginMethods;
  throttle: LoginThrottle;
  /** features' prompts, whose pages GET /interaction/:uid shows */
  prompts: PromptExtension[];
  /** features' other ways to sign in, linked from the login page */
  loginLinks?: LoginLink[];
}

export function interactionRouter(app: AppContext, getProvider: () => Provider, deps: InteractionDeps): Router {
  const router = new Router();
  const promptPages = new Map(deps.prompts.map((p) => [p.name, p]));

  const message = (ctx: Context, status: number, code: string) => {
    const locale = localeOf(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code });
  };

  router.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    try {
      await next();
    } catch (err) {
      if (err instanceof errors.SessionNotFound) return message(ctx, 400, 'interaction.expired');
      throw err;
    }
  });

  /** `focus`: the field to put the cursor in (the password after a failed attempt); `locked`: add what to do about a lock. */
  type LoginExtra = { error?: string; identifier?: string; focus?: 'identifier' | 'password' | null; locked?: boolean };
  const renderLogin = async (ctx: Context, details: Details, extra: LoginExtra = {}) => {
    const client = await getProvider().Client.find(String(details.params.client_id));
    const locale = localeOf(ctx);
    const links = (deps.loginLinks ?? []).map((l) => ({ href: `/interaction/${details.uid}${l.path}`, label: tr(locale, l.label) }));
    ctx.type = 'html';
    ctx.body = renderPage(
      'login',
      locale,
      { uid: details.uid, csrf: csrfToken(app.keyring, details.uid), clientName: client?.clientName ?? null, focus: 'identifier', locked: false, links, ...extra },
      `/interaction/${details.uid}`,
    );
  };

  const renderConsent = async (ctx: Context, details: Details) => {
    const clientId = String(details.params.client_id);
    const [client, meta, person] = await Promise.all([
      getProvider().Client.find(clientId),
      loadClientMetadata(app, clientId),
      findPersonBySub(app, details.session!.accountId),
    ]);
    const scopes = consentScopes(details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] });
    ctx.type = 'html';
    ctx.body = renderPage(
      'consent',
      localeOf(ctx),
      {
        uid: details.uid,
        csrf: csrfToken(app.keyring, details.uid),
        clientName: client?.clientName ?? clientId,
        scopes,
        personName: person ? maskName(person.name) : null,
        // an app no department answers for is told the ID number only with a clear warning
        idCardWarning: scopes.includes('id_card') && !meta?.yitong_department,
      },
      `/interaction/${details.uid}`,
    );
  };

  /** Records consent in the grant (what the prompt says is missing) and resumes the flow. */
  const finishConsent = async (ctx: Context, provider: Provider, details: Details, auto: boolean) => {
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) return message(ctx, 400, 'interaction.expired');
    const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await app.audit.append({ event: 'consent.grant', outcome: 'success', actor: accountId, clientId, ip: ctx.ip, detail: { scopes: d.missingOIDCScope ?? [], auto } });
    await provider.interactionFinished(ctx.req, ctx.res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
  };

  router.get('/interaction/:uid', async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === 'login') return renderLogin(ctx, details);
    if (details.prompt.name === 'consent') {
      // Departmental (first-party) apps are approved by the platform: no consent page, even when
      // the app sends prompt=consent (which OIDC requires for offline_access).
      const meta = await loadClientMetadata(app, String(details.params.client_id));
      if (meta?.yitong_first_party) return finishConsent(ctx, provider, details, true);
      return renderConsent(ctx, details);
    }
    const prompt = promptPages.get(details.prompt.name);
    if (prompt) return prompt.page(ctx, details, getProvider);
    return message(ctx, 400, 'interaction.expired');
  });

  router.post('/interaction/:uid/login', form, async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) return message(ctx, 403, 'csrf.invalid');
    if (details.prompt.name !== 'login') return message(ctx, 400, 'interaction.expired');
    const identifier = field(ctx, 'identifier').slice(0, 256);
    const password = field(ctx, 'password').slice(0, 1024);
    const locale = localeOf(ctx);
    if (!identifier.trim() || !password) {
      return renderLogin(ctx, details, { error: tr(locale, 'login.missing'), identifier, focus: identifier.trim() ? 'password' : 'identifier' });
    }

    const result = await authenticate(app, deps.login, deps.throttle, { identifier, password, ip: ctx.ip, clientId: String(details.params.client_id ?? '') || null });
    if (!result.ok) {
      ctx.status = 401;
      if (result.code === 'login.locked') {
        ctx.set('retry-after', String(result.retryAfterSeconds));
        return renderLogin(ctx, details, { error: lockedMessage(locale, result.retryAfterSeconds), identifier, focus: null, locked: true });
      }
      return renderLogin(ctx, details, { error: tr(locale, result.code), identifier, focus: 'password' });
    }
    // A departmental (first-party) app needs no consent page: settle it with the login, which
    // saves the round trip through a second interaction (prompt=consent comes with offline_access).
    const meta = await loadClientMetadata(app, String(details.params.client_id));
    const login = { accountId: result.person.sub, acr: ACR_PASSWORD, amr: ['pwd'], remember: false };
    await provider.interactionFinished(ctx.req, ctx.res, meta?.yitong_first_party ? { login, consent: {} } : { login }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/confirm', form, async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) return message(ctx, 403, 'csrf.invalid');
    if (details.prompt.name !== 'consent') return message(ctx, 400, 'interaction.expired');
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    if (field(ctx, 'consent') !== 'yes') {
      await app.audit.append({ event: 'consent.deny', outcome: 'denied', actor: accountId, clientId, ip: ctx.ip });
      return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User denied consent' }, { mergeWithLastSubmission: false });
    }
    await finishConsent(ctx, provider, details, false);
  });

  router.post('/interaction/:uid/abort', form, async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) return message(ctx, 403, 'csrf.invalid');
    await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  });

  return router;
}
