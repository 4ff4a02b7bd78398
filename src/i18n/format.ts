// The one catalogue shape (zh-CN first, en second) with `{name}` parameters, shared by pages, the
// command line and import reports.
export type Locale = 'zh-CN' | 'en';

export type Catalogue = Record<string, { 'zh-CN': string; en: string }>;

export type MessageParams = Record<string, string | number>;

/** Fills `{name}` placeholders; unknown ones stay as written. */
export function format(template: string, params?: MessageParams): string {
  return params ? template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : template;
}
