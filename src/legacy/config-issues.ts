// Bilingual validation of configuration (profiles, scheme parameters) with zod. zod's own locales
// give the generic texts; our custom checks carry their {zh, en} in the issue's params. The error
// map is passed per parse, never set globally, so other domains keep their zod configuration.
import { z } from 'zod';
import type { Bilingual } from './messages.ts';

export type IssuePath = readonly (string | number)[];

export interface ConfigIssue extends Bilingual {
  path: IssuePath;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

const zhLocale = z.locales.zhCN().localeError;
const enLocale = z.locales.en().localeError;

type Issue = Parameters<typeof enLocale>[0];

function bilingualParams(issue: Issue): Bilingual | undefined {
  const p = (issue as { params?: Record<string, unknown> }).params;
  return typeof p?.zh === 'string' && typeof p?.en === 'string' ? { zh: p.zh, en: p.en } : undefined;
}

function errorMap(lang: 'zh' | 'en') {
  return (issue: Issue) => bilingualParams(issue)?.[lang] ?? (lang === 'zh' ? zhLocale : enLocale)(issue);
}

/**
 * A custom issue for `ctx.issues.push(...)` that survives both locales. No `message`: an explicit
 * message would win over the per-parse error map, and the zh-CN pass would print English.
 */
export function customIssue(path: IssuePath, text: Bilingual) {
  return { code: 'custom' as const, path: [...path], params: { zh: text.zh, en: text.en }, input: undefined };
}

/** Parse with zod; on failure report every issue in zh-CN and en with its path. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): Validated<z.output<S>> {
  const en = schema.safeParse(input, { error: errorMap('en') });
  if (en.success) return { ok: true, value: en.data };
  // Parsing is deterministic, so the second pass yields the same issues in the same order.
  const zh = schema.safeParse(input, { error: errorMap('zh') });
  const zhIssues = zh.success ? [] : zh.error.issues;
  return {
    ok: false,
    issues: en.error.issues.map((issue, i) => ({
      path: issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k)),
      en: issue.message,
      zh: zhIssues[i]?.message ?? issue.message,
    })),
  };
}

/** `$.password.params.iterations`, `$.columns`, `$[3]`: a JSON path a person can follow. */
export function formatPath(path: IssuePath): string {
  let out = '$';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_][\w-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return out;
}

export function prefixIssues(prefix: IssuePath, issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
}
