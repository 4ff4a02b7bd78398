// Server-rendered pages (eta templates under views/, auto-escaped). Every page gets the locale,
// a translator and the language switch.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Locale } from '../i18n/messages.ts';
import { tr } from '../i18n/ui.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');
const eta = new Eta({ views: root, autoEscape: true, cache: true });

export function renderPage(view: string, locale: Locale, data: Record<string, unknown>, switchUrl?: string): string {
  const other: Locale = locale === 'zh-CN' ? 'en' : 'zh-CN';
  const base = switchUrl ?? '?';
  const sep = base.includes('?') ? (base.endsWith('?') ? '' : '&') : '?';
  return eta.render(view, { ...data, locale, t: (key: string) => tr(locale, key), langSwitch: { href: `${base}${sep}lang=${other}`, label: other === 'en' ? 'English' : '中文' } });
}
