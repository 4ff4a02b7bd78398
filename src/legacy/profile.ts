// The import profile: where a department's user table comes from, which column means what, and how
// its passwords were hashed. Validated up front with every problem reported at its JSON path, so an
// administrator fixes the profile once instead of discovering mistakes a million rows in.
import fs from 'node:fs/promises';
import { z } from 'zod';
import { customIssue, formatPath, prefixIssues, validate, type ConfigIssue } from './config-issues.ts';
import { getScheme, SCHEME_NAMES } from './schemes/index.ts';

export const CSV_ENCODINGS = ['auto', 'utf-8', 'gbk', 'gb18030'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/** Identity document types the account library knows; only resident_id has a check character. */
export const ID_TYPES = ['resident_id', 'passport', 'hk_macao_permit', 'taiwan_permit', 'foreign_permanent_id'] as const;
export type IdType = (typeof ID_TYPES)[number];

export const LEGACY_STATUSES = ['active', 'disabled'] as const;

const columnName = z.string().trim().min(1).max(128);

const csvSource = z.strictObject({
  type: z.literal('csv'),
  encoding: z.enum(CSV_ENCODINGS).default('auto'),
  delimiter: z
    .string()
    .length(1)
    .refine((c) => !['"', '\r', '\n'].includes(c), {
      params: { zh: '分隔符不能是引号或换行符', en: 'the delimiter cannot be a quote or a line break' },
    })
    .default(','),
  // Columns are mapped by name, so a header row is mandatory.
  header: z.literal(true).default(true),
});

const jsonlSource = z.strictObject({ type: z.literal('jsonl') });

const SQL_URL = /^(postgres|postgresql|mysql|mariadb):\/\/\S+$/;
const sqlSource = z.strictObject({
  type: z.literal('sql'),
  url: z.string().refine((u) => SQL_URL.test(u) && URL.canParse(u), {
    params: {
      zh: '应为 postgres://、postgresql://、mysql:// 或 mariadb:// 开头的连接地址',
      en: 'expected a postgres://, postgresql://, mysql:// or mariadb:// connection URL',
    },
  }),
  query: z.string().trim().min(1),
});

export const sourceSchema = z.discriminatedUnion('type', [csvSource, jsonlSource, sqlSource]);
export type ImportSource = z.output<typeof sourceSchema>;
export type CsvSource = z.output<typeof csvSource>;
export type JsonlSource = z.output<typeof jsonlSource>;
export type SqlSource = z.output<typeof sqlSource>;

const columnsSchema = z.strictObject({
  legacy_uid: columnName,
  login_name: columnName.optional(),
  name: columnName.optional(),
  id_type: columnName.optional(),
  id_number: columnName.optional(),
  phone: columnName.optional(),
  email: columnName.optional(),
  uscc: columnName.optional(),
  org_name: columnName.optional(),
  password_hash: columnName.optional(),
  salt: columnName.optional(),
  /** Per-row scheme selector: its value picks an entry of password.schemes (systems that changed hashing over time). */
  password_scheme: columnName.optional(),
  /** The account's status in the old system (RuoYi `status`, `zt`), mapped by status_map. */
  status: columnName.optional(),
});
export type ColumnMapping = z.output<typeof columnsSchema>;
export type ColumnField = keyof ColumnMapping;

const schemeChoice = z.strictObject({
  scheme: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});

const baseSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  source: sourceSchema,
  columns: columnsSchema,
  /** Source values of the id_type column mapped to our codes, e.g. {"01": "resident_id"}. */
  id_type_map: z.record(z.string(), z.enum(ID_TYPES)).optional(),
  /** Source values of the status column -> the link's status, e.g. {"0": "active", "1": "disabled"}. */
  status_map: z.record(z.string(), z.enum(LEGACY_STATUSES)).optional(),
  password: z
    .strictObject({
      scheme: z.string().min(1).optional(),
      params: z.record(z.string(), z.unknown()).default({}),
      /** Value of columns.password_scheme -> the scheme of that row, e.g. {"1": {"scheme": "md5"}}. */
      schemes: z.record(z.string(), schemeChoice).optional(),
    })
    .optional(),
  /**
   * What the account holder is to the org in the uscc column. `member` (default): the account is
   * linked to the org when it is already registered, never more. `legal_representative`: an org not
   * yet registered is created with the row's (verified) person as its legal representative.
   */
  org_role: z.enum(['member', 'legal_representative']).default('member'),
  on_invalid_id: z.enum(['reject', 'import_unverified']).default('reject'),
  on_error: z.enum(['skip', 'stop']).default('stop'),
  batch_size: z.int().min(1).max(50_000).default(1000),
});

type BaseProfile = z.output<typeof baseSchema>;

// Rules that span fields, and the scheme's own parameter validation. Params come out with their
// defaults filled in, so what is stored with each hash is explicit.
function crossCheck(p: BaseProfile, issues: ConfigIssue[]): BaseProfile {
  const { columns, password } = p;
  if (!columns.id_number && p.on_invalid_id === 'reject') {
    issues.push({
      path: ['columns', 'id_number'],
      zh: '未映射证件号码列时，on_invalid_id 必须为 import_unverified（否则每一行都会被拒绝）',
      en: 'without an id_number column, on_invalid_id must be import_unverified (every row would be rejected)',
    });
  }
  if (p.id_type_map && !columns.id_type) {
    issues.push({ path: ['id_type_map'], zh: '设置了 id_type_map 但未映射 id_type 列', en: 'id_type_map is set but no id_type column is mapped' });
  }
  if (columns.status && !p.status_map) {
    issues.push({
      path: ['status_map'],
      zh: '映射了 status 列时必须声明 status_map（原系统取值 → active 或 disabled）',
      en: 'a status column needs a status_map (source value -> active or disabled)',
    });
  }
  if (p.status_map && !columns.status) {
    issues.push({ path: ['columns', 'status'], zh: '设置了 status_map 但未映射 status 列', en: 'status_map is set but no status column is mapped' });
  }
  if (p.status_map && Object.keys(p.status_map).length === 0) {
    issues.push({ path: ['status_map'], zh: 'status_map 不能为空', en: 'status_map cannot be empty' });
  }
  if (!password) {
    if (columns.password_hash) {
      issues.push({ path: ['password'], zh: '映射了 password_hash 列时必须声明密码算法', en: 'a password scheme is required when password_hash is mapped' });
    }
    if (columns.password_scheme) {
      issues.push({ path: ['columns', 'password_scheme'], zh: '映射了 password_scheme 列时必须声明 password.schemes', en: 'password.schemes is required when password_scheme is mapped' });
    }
    return p;
  }
  if (!columns.password_hash) {
    issues.push({ path: ['columns', 'password_hash'], zh: '声明了密码算法但未映射 password_hash 列', en: 'a password scheme is declared but no password_hash column is mapped' });
  }
  if ((password.scheme === undefined) === (password.schemes === undefined)) {
    issues.push({
      path: ['password'],
      zh: '应在 password.scheme（全表一种算法）与 password.schemes（按 password_scheme 列逐行选择）中二选一',
      en: 'give either password.scheme (one scheme for the table) or password.schemes (chosen per row by the password_scheme column)',
    });
    return p;
  }
  if (password.schemes) {
    if (!columns.password_scheme) {
      issues.push({ path: ['columns', 'password_scheme'], zh: '使用 password.schemes 时必须映射 password_scheme 列', en: 'password.schemes needs a password_scheme column' });
    }
    const keys = Object.keys(password.schemes);
    if (keys.length === 0) issues.push({ path: ['password', 'schemes'], zh: 'password.schemes 不能为空', en: 'password.schemes cannot be empty' });
    const schemes: Record<string, { scheme: string; params: Record<string, unknown> }> = {};
    for (const key of keys) {
      const checked = checkScheme(password.schemes[key], ['password', 'schemes', key], columns, issues);
      if (checked) schemes[key] = checked;
    }
    if (password.params && Object.keys(password.params).length) {
      issues.push({ path: ['password', 'params'], zh: '使用 password.schemes 时参数写在各算法条目中', en: 'with password.schemes, parameters go inside each entry' });
    }
    return { ...p, password: { params: {}, schemes } };
  }
  if (columns.password_scheme) {
    issues.push({ path: ['columns', 'password_scheme'], zh: '只有使用 password.schemes 时才映射 password_scheme 列', en: 'map password_scheme only together with password.schemes' });
  }
  const checked = checkScheme({ scheme: password.scheme!, params: password.params }, ['password'], columns, issues);
  return checked ? { ...p, password: checked } : p;
}

/** One scheme choice: known name, valid parameters (defaults filled in), the columns it needs. */
function checkScheme(
  choice: { scheme: string; params: Record<string, unknown> },
  at: (string | number)[],
  columns: ColumnMapping,
  issues: ConfigIssue[],
): { scheme: string; params: Record<string, unknown> } | null {
  const scheme = getScheme(choice.scheme);
  if (!scheme) {
    issues.push({
      path: [...at, 'scheme'],
      zh: `未知的密码算法“${choice.scheme}”，可用：${SCHEME_NAMES.join('、')}`,
      en: `unknown password scheme "${choice.scheme}"; known: ${SCHEME_NAMES.join(', ')}`,
    });
    return null;
  }
  const params = scheme.validateParams(choice.params);
  if (!params.ok) {
    issues.push(...prefixIssues([...at, 'params'], params.issues));
    return null;
  }
  for (const input of scheme.requires(params.params)) {
    const field = input === 'salt' ? 'salt' : 'login_name';
    if (!columns[field] && !issues.some((i) => i.path.join('.') === `columns.${field}`)) {
      issues.push({
        path: ['columns', field],
        zh: `密码算法“${scheme.name}”需要 ${field} 列`,
        en: `password scheme "${scheme.name}" needs a ${field} column`,
      });
    }
  }
  return { scheme: scheme.name, params: params.params as Record<string, unknown> };
}

export const importProfileSchema = baseSchema.transform((p, ctx) => {
  const issues: ConfigIssue[] = [];
  const out = crossCheck(p, issues);
  for (const i of issues) ctx.issues.push(customIssue(i.path, i));
  return issues.length ? z.NEVER : out;
});

export type ImportProfile = z.output<typeof importProfileSchema>;

export type ProfileIssue = ConfigIssue;
export type ProfileResult = { ok: true; profile: ImportProfile } | { ok: false; issues: ProfileIssue[] };

export function parseProfile(input: unknown): ProfileResult {
  const r = validate(importProfileSchema, input);
  return r.ok ? { ok: true, profile: r.value } : r;
}

// A profile is a few hundred bytes; anything this large is the wrong file.
const MAX_PROFILE_BYTES = 1 << 20;

export async function loadProfile(file: string): Promise<ProfileResult> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_PROFILE_BYTES) {
      return { ok: false, issues: [{ path: [], zh: '导入配置文件过大（上限 1 MiB）', en: 'the profile file is too large (1 MiB at most)' }] };
    }
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, issues: [{ path: [], zh: `无法读取导入配置文件（${reason}）`, en: `cannot read the profile file (${reason})` }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const detail = (err as Error).message;
    return { ok: false, issues: [{ path: [], zh: `导入配置不是有效的 JSON：${detail}`, en: `the profile is not valid JSON: ${detail}` }] };
  }
  return parseProfile(json);
}

/** One line per issue, zh-CN first: `profile.json $.source.encoding: 无效选项… / Invalid option…`. */
export function formatProfileIssues(issues: readonly ProfileIssue[], file?: string): string {
  return issues.map((i) => `${file ? `${file} ` : ''}${formatPath(i.path)}: ${i.zh} / ${i.en}`).join('\n');
}

/** The source columns a profile refers to, for checking a header before any row is read. */
export function profileColumns(profile: ImportProfile): { field: ColumnField; column: string }[] {
  return (Object.entries(profile.columns) as [ColumnField, string | undefined][])
    .filter((e): e is [ColumnField, string] => typeof e[1] === 'string')
    .map(([field, column]) => ({ field, column }));
}
