// Server-rendered pages (eta templates under views/, auto-escaped). Every page gets the locale,
// a translator, the language switch and the footer.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Middleware } from 'koa';
import type { Locale } from '../i18n/messages.ts';
import type { FooterConfig } from '../config/env.ts';
import { tr } from '../i18n/ui.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');
const eta = new Eta({ views: root, autoEscape: true, cache: true });

/** What a server's pages share beyond the locale. */
export interface PageSettings {
  footer: FooterConfig;
}

// Pages are rendered by our handlers, by features and inside oidc-provider's callbacks (logout,
// errors), none of which carry the config; the request's async context does, so two servers in
// one process (tests) keep their own footers.
const settings = new AsyncLocalStorage<PageSettings>();

/** Middleware: pages rendered while handling this request use these settings. */
export function pageSettings(s: PageSettings): Middleware {
  return (_ctx, next) => settings.run(s, next);
}

const NO_FOOTER: FooterConfig = { operator: null, icp: null, hotline: null, privacyUrl: null };

export function renderPage(view: string, locale: Locale, data: Record<string, unknown>, switchUrl?: string): string {
  const other: Locale = locale === 'zh-CN' ? 'en' : 'zh-CN';
  const base = switchUrl ?? '?';
  const sep = base.includes('?') ? (base.endsWith('?') ? '' : '&') : '?';
  const footer = settings.getStore()?.footer ?? NO_FOOTER;
  return eta.render(view, {
    ...data,
    locale,
    t: (key: string) => tr(locale, key),
    langSwitch: { href: `${base}${sep}lang=${other}`, label: other === 'en' ? 'English' : '中文' },
    footer: { ...footer, tel: footer.hotline ? footer.hotline.replace(/[^0-9+]/g, '') : null },
  });
}
