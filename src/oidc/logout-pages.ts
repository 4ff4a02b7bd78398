// The pages of RP-initiated logout (oidc-provider's logoutSource and postLogoutSuccessSource hooks).
// The confirmation submits oidc-provider's own form: `logout=yes` signs out of Yitong and every app;
// the other button sends no `logout`, which oidc-provider treats as "sign out of the requesting app
// only", so the Yitong session stays. Without a post_logout_redirect_uri both end on the success
// page, which says which of the two happened by looking at the session itself.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';

type Ctx = KoaContextWithOIDC;
type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

// oidc-provider names the app on the success page only when the person stayed signed in; this
// short-lived signed cookie remembers it for the other case, so the page can lead back to the app.
const FROM_APP_COOKIE = 'yt_logout_app';
const fromAppCookie = (ctx: Ctx) => ({ path: new URL(ctx.oidc.urlFor('end_session')).pathname, httpOnly: true, sameSite: 'lax' as const, signed: true, overwrite: true });

const appName = (client: Client) => client.clientName ?? client.clientId;

/** Where "back to the app" leads: its home page, else where it wants people after logout, else its origin. */
function appHome(client: Client): string | undefined {
  const target = client.clientUri ?? client.postLogoutRedirectUris?.[0] ?? client.redirectUris?.[0];
  if (!target) return undefined;
  return client.clientUri || client.postLogoutRedirectUris?.length ? target : `${new URL(target).origin}/`;
}

export async function logoutSource(ctx: Ctx, form: string): Promise<void> {
  const locale = localeOf(ctx, ctx.oidc.params?.ui_locales);
  const client = ctx.oidc.client;
  if (client) ctx.cookies.set(FROM_APP_COOKIE, client.clientId, { ...fromAppCookie(ctx), maxAge: 15 * 60_000 });
  ctx.type = 'html';
  ctx.body = renderPage('logout', locale, { form, stayHint: client ? trf(locale, 'logout.stay_hint', { app: appName(client) }) : null });
}

export async function postLogoutSuccessSource(ctx: Ctx): Promise<void> {
  const locale = localeOf(ctx);
  const { provider } = ctx.oidc;
  const stillSignedIn = Boolean((await provider.Session.get(ctx)).accountId);
  const remembered = ctx.cookies.get(FROM_APP_COOKIE, { signed: true });
  if (remembered) ctx.cookies.set(FROM_APP_COOKIE, null, fromAppCookie(ctx));
  const client = ctx.oidc.client ?? (remembered ? await provider.Client.find(remembered).catch(() => undefined) : undefined);
  const home = client && appHome(client);
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, {
    heading: tr(locale, stillSignedIn ? 'logout.still_heading' : 'logout.heading'),
    message: tr(locale, stillSignedIn ? 'logout.still' : 'logout.done'),
    link: home ? { href: home, label: trf(locale, 'logout.back_to_app', { app: appName(client) }) } : null,
    next: home ? null : tr(locale, 'logout.close'),
  });
}
