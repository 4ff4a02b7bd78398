// What the citizen pages share: reading form fields, CSRF for pages outside a sign-in (a per-browser
// random cookie and its HMAC in the form), and messages that are looked up when the page renders.
import crypto from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { safeEqual } from '../crypto/keyring.ts';
import { t, type Locale } from '../i18n/messages.ts';

export const formParser = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

/** A message key with its parameters, translated when the page is rendered. */
export interface Msg {
  key: string;
  params?: Record<string, string | number>;
}

export type FieldErrors = Partial<Record<string, Msg>>;

export function text(locale: Locale, m: Msg | undefined): string | undefined {
  return m ? t(locale, m.key, m.params) : undefined;
}

export function translateFields(locale: Locale, fields: FieldErrors): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, m]) => [k, t(locale, m!.key, m!.params)]));
}

// C0 controls and DEL: nobody types them, and they are echoed back into the form
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A form field as a string (arrays, objects and absent fields are ''), without control characters, cut to `max`. */
export function field(ctx: Context, name: string, max = 256): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max).replace(CONTROL, '') : '';
}

/** True when the POST was the "get code" button rather than the final submit. */
export function isSendCode(ctx: Context): boolean {
  return field(ctx, 'action', 32) === 'send_code';
}

const FORM_COOKIE = 'yt_form';

/** The CSRF token for a form outside a sign-in; sets the browser's random cookie the first time. */
export function formCsrf(app: AppContext, ctx: Context): string {
  let value = ctx.cookies.get(FORM_COOKIE, { signed: false });
  if (!value || !/^[A-Za-z0-9_-]{22,64}$/.test(value)) {
    value = crypto.randomBytes(18).toString('base64url');
    ctx.cookies.set(FORM_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: app.config.issuer.startsWith('https:'), path: '/', overwrite: true, signed: false });
  }
  return app.keyring.blindIndex('form-csrf', value);
}

export function formCsrfValid(app: AppContext, ctx: Context, submitted: string): boolean {
  const value = ctx.cookies.get(FORM_COOKIE, { signed: false });
  return Boolean(value && submitted) && safeEqual(app.keyring.blindIndex('form-csrf', value!), submitted);
}

/** An interaction uid as oidc-provider makes them (the sign-in a registration continues). */
export function interactionUid(raw: unknown): string | null {
  return typeof raw === 'string' && /^[A-Za-z0-9_-]{10,64}$/.test(raw) ? raw : null;
}
