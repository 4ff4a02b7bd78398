// Bilingual messages for the legacy import. Codes double as keys for reports and i18n; texts never
// contain the offending value itself, because reports travel further than the data (PIPL).

import { format, type Catalogue, type MessageParams } from '../i18n/format.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

const CATALOGUE = {
  // Files and encodings
  'file.unreadable': { 'zh-CN': '无法读取文件：{reason}', en: 'cannot read the file: {reason}' },
  'encoding.invalid_utf8': { 'zh-CN': '不是有效的 UTF-8 字节序列', en: 'invalid UTF-8 byte sequence' },
  'encoding.invalid_gb18030': { 'zh-CN': '不是有效的 GBK/GB18030 字节序列', en: 'invalid GBK/GB18030 byte sequence' },
  'encoding.utf16_unsupported': {
    'zh-CN': '文件为 UTF-16 编码，请另存为 UTF-8 或 GBK 的 CSV',
    en: 'the file is UTF-16; save it as a UTF-8 or GBK CSV',
  },
  // CSV structure
  'csv.empty': { 'zh-CN': '文件为空，缺少表头行', en: 'the file is empty: no header row' },
  'csv.missing_column': {
    'zh-CN': '表头中找不到导入配置引用的列：{columns}',
    en: 'the header lacks columns the profile refers to: {columns}',
  },
  'csv.duplicate_column': { 'zh-CN': '表头中列“{column}”出现了多次', en: 'column "{column}" appears more than once in the header' },
  'csv.too_many_fields': {
    'zh-CN': '字段数 {found} 多于表头的 {expected} 列（可能有未加引号的分隔符）',
    en: '{found} fields, more than the {expected} header columns (an unquoted delimiter?)',
  },
  'csv.too_few_fields': { 'zh-CN': '字段数 {found} 少于表头的 {expected} 列', en: '{found} fields, fewer than the {expected} header columns' },
  'csv.truncated': {
    'zh-CN': '文件在引号内结束，文件可能被截断（未闭合的引号从此行开始）',
    en: 'the file ends inside a quoted field: it may be truncated (the unclosed quote starts in this row)',
  },
  'csv.truncated_row': {
    'zh-CN': '最后一条记录只有 {found} 个字段，少于表头的 {expected} 列：文件可能被截断（修正文件后可继续导入）',
    en: 'the last record has {found} fields, fewer than the {expected} header columns: the file may be truncated (fix the file, then resume)',
  },
  'csv.record_too_large': { 'zh-CN': '单行超过 {limit} 个字符，可能存在未闭合的引号', en: 'a row exceeds {limit} characters: an unclosed quote?' },
  'csv.malformed': { 'zh-CN': 'CSV 格式错误：{reason}', en: 'malformed CSV: {reason}' },
  // JSON Lines
  'jsonl.invalid_json': { 'zh-CN': '该行不是有效的 JSON', en: 'the line is not valid JSON' },
  'jsonl.not_object': { 'zh-CN': '该行应为 JSON 对象', en: 'the line must hold a JSON object' },
  'jsonl.truncated': { 'zh-CN': '最后一行不完整，文件可能被截断', en: 'the last line is incomplete: the file may be truncated' },
  'jsonl.line_too_long': { 'zh-CN': '单行超过 {limit} 个字符', en: 'a line exceeds {limit} characters' },
  'source.unsupported': { 'zh-CN': '此处不支持数据源类型“{type}”', en: 'source type "{type}" is not supported here' },
  // Row normalisation: rejections
  'status.unmapped': {
    'zh-CN': '账号状态“{value}”未在 status_map 中映射（已映射：{known}）',
    en: 'account status "{value}" is not mapped by status_map (mapped: {known})',
  },
  'legacy_uid.empty': { 'zh-CN': '原系统用户 ID 为空', en: 'the legacy user id is empty' },
  'legacy_uid.too_long': { 'zh-CN': '原系统用户 ID 超过 {limit} 个字符', en: 'the legacy user id exceeds {limit} characters' },
  'login_name.too_long': { 'zh-CN': '登录名超过 {limit} 个字符', en: 'the login name exceeds {limit} characters' },
  'name.too_long': { 'zh-CN': '姓名超过 {limit} 个字符', en: 'the name exceeds {limit} characters' },
  'id_type.unknown': { 'zh-CN': '无法识别的证件类型', en: 'unknown identity document type' },
  'id_number.empty': { 'zh-CN': '证件号码为空', en: 'the ID number is missing' },
  'id_number.float_mangled': {
    'zh-CN': '身份证号码被表格软件转成了科学计数法或小数，请以文本格式重新导出',
    en: 'the ID number was turned into a floating-point number by a spreadsheet; export it as text',
  },
  'id_number.length': { 'zh-CN': '身份证号码应为 18 位（或旧版 15 位）', en: 'an ID number has 18 characters (or 15 for old numbers)' },
  'id_number.charset': { 'zh-CN': '证件号码含有不允许的字符', en: 'the ID number holds characters that are not allowed' },
  'id_number.birthdate': { 'zh-CN': '身份证号码中的出生日期无效', en: 'the birth date inside the ID number is not a valid date' },
  'id_number.check_char': { 'zh-CN': '身份证号码校验位不正确', en: 'the ID number check character is wrong' },
  'uscc.empty': { 'zh-CN': '统一社会信用代码为空', en: 'the unified social credit code is empty' },
  'uscc.length': { 'zh-CN': '统一社会信用代码应为 18 位', en: 'a unified social credit code has 18 characters' },
  'uscc.charset': {
    'zh-CN': '统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）',
    en: 'the unified social credit code holds a character outside its charset (no I, O, Z, S, V)',
  },
  'uscc.check_char': { 'zh-CN': '统一社会信用代码校验位不正确', en: 'the unified social credit code check character is wrong' },
  'hash.shape': {
    'zh-CN': '密码哈希的格式与声明的算法“{scheme}”不符',
    en: 'the password hash does not look like output of the declared scheme "{scheme}"',
  },
  'hash.scheme_unknown': {
    'zh-CN': '该行的密码算法标识未在导入配置的 password.schemes 中声明',
    en: "the row's password scheme marker is not one of the profile's password.schemes",
  },
  'hash.salt_missing': { 'zh-CN': '算法“{scheme}”需要盐值，但该行盐值为空', en: 'scheme "{scheme}" needs a salt but the row has none' },
  'hash.login_name_missing': {
    'zh-CN': '算法“{scheme}”需要登录名参与计算，但该行登录名为空',
    en: 'scheme "{scheme}" hashes the login name but the row has none',
  },
  'value.nul': { 'zh-CN': '字段中含有 NUL 控制字符', en: 'a field holds a NUL control character' },
  // Import: rows decided against the account library
  'legacy_uid.duplicate': {
    'zh-CN': '原系统用户 ID 在本次导入中重复出现（第 {first} 条记录已使用）',
    en: 'the legacy user id appears more than once in this import (already used by row {first})',
  },
  'conflict.name_mismatch': {
    'zh-CN': '证件号码与已有账号相同但姓名不同，已转人工审核，未合并',
    en: 'the ID number matches an existing account but the name differs: held for review, not merged',
  },
  // SQL sources
  'source.missing_column': {
    'zh-CN': '查询结果中找不到导入配置引用的列：{columns}',
    en: 'the query result lacks columns the profile refers to: {columns}',
  },
  'source.query_failed': { 'zh-CN': '无法从源数据库读取：{reason}', en: 'cannot read from the source database: {reason}' },
  // Row normalisation: warnings (the row is kept)
  'id_number.upgraded': { 'zh-CN': '15 位身份证号码已升级为 18 位', en: 'a 15-digit ID number was upgraded to 18 digits' },
  'id_number.unverified': {
    'zh-CN': '证件号码未通过校验（{reason}），按配置导入为未核验账号',
    en: 'the ID number failed validation ({reason}); imported as an unverified account per the profile',
  },
  'phone.invalid': { 'zh-CN': '手机号码格式不正确，已忽略', en: 'the mobile number is not valid and was dropped' },
  'email.invalid': { 'zh-CN': '电子邮箱格式不正确，已忽略', en: 'the e-mail address is not valid and was dropped' },
  'name.empty': { 'zh-CN': '姓名为空', en: 'the name is empty' },
  'org.uscc_missing': {
    'zh-CN': '有单位名称但没有统一社会信用代码，未关联单位',
    en: 'an organisation name without a unified social credit code: no organisation linked',
  },
  'password.empty': {
    'zh-CN': '密码哈希为空，该账号无法用原密码登录',
    en: 'the password hash is empty: this account cannot sign in with its old password',
  },
} as const satisfies Catalogue;

export type MessageCode = keyof typeof CATALOGUE;

export type MessageVars = MessageParams;

/** A report message in both languages (reports carry both: they travel to people of either). */
export function message(code: MessageCode, vars?: MessageVars): Bilingual {
  const t = CATALOGUE[code];
  return { zh: format(t['zh-CN'], vars), en: format(t.en, vars) };
}

/** Where a problem is, in both languages; parts that are unknown are left out. */
export interface Location {
  file?: string;
  rowNumber?: number;
  line?: number;
  byteOffset?: number;
  column?: string;
}

export function locate(loc: Location): Bilingual {
  const zh: string[] = [];
  const en: string[] = [];
  if (loc.rowNumber !== undefined) {
    zh.push(loc.rowNumber === 0 ? '表头' : `第 ${loc.rowNumber} 条记录`);
    en.push(loc.rowNumber === 0 ? 'header' : `row ${loc.rowNumber}`);
  }
  if (loc.line !== undefined) {
    zh.push(`第 ${loc.line} 行`);
    en.push(`line ${loc.line}`);
  }
  if (loc.byteOffset !== undefined) {
    zh.push(`字节偏移 ${loc.byteOffset}`);
    en.push(`byte offset ${loc.byteOffset}`);
  }
  if (loc.column !== undefined) {
    zh.push(`列“${loc.column}”`);
    en.push(`column "${loc.column}"`);
  }
  const file = loc.file ?? '';
  return {
    zh: [file, zh.join('，')].filter(Boolean).join('：'),
    en: [file, en.join(', ')].filter(Boolean).join(': '),
  };
}

/** Errors the import commands report (through the CLI's error handling), in the i18n catalogue's shape. */
export const LEGACY_ERRORS = {
  'import.profile_invalid': { 'zh-CN': '导入配置无效', en: 'The import profile is not valid' },
  'import.busy': { 'zh-CN': '该部门已有导入任务在运行', en: 'An import for this department is already running' },
  'import.job_unknown': { 'zh-CN': '导入任务不存在', en: 'No such import job' },
  'import.not_resumable': { 'zh-CN': '该导入任务无需继续（已完成或为试运行）', en: 'This import job cannot be resumed (it is finished or was a dry run)' },
  'import.source_changed': {
    'zh-CN': '源文件自任务开始以来已被修改或替换，无法继续；请用修改后的文件重新导入（已导入的账号不会重复）',
    en: 'The source file changed since the job started, so it cannot be resumed; import the new file instead (accounts already imported are not duplicated)',
  },
  'import.file_required': { 'zh-CN': '请指定要导入的文件', en: 'Name the file to import' },
  'import.file_not_allowed': { 'zh-CN': 'SQL 数据源不需要文件参数', en: 'An SQL source takes no file argument' },
  'import.failed': { 'zh-CN': '导入失败', en: 'The import failed' },
  'import.conflict_unknown': { 'zh-CN': '待审核记录不存在', en: 'No such conflict' },
  'import.conflict_decided': { 'zh-CN': '该记录已审核', en: 'This conflict has already been decided' },
  'import.decision_required': { 'zh-CN': '请选择 --merge、--keep-apart 或 --swap 之一', en: 'Choose one of --merge, --keep-apart or --swap' },
  'import.swap_signed_in': {
    'zh-CN': '在册人员已登录使用过该账号，不能对调：请改用 --merge 或 --keep-apart，并线下核实身份',
    en: 'The person of record has already signed in with this account and cannot be swapped: use --merge or --keep-apart and verify the identity offline',
  },
  'import.account_exists': { 'zh-CN': '该原系统账号已关联', en: 'This legacy account is already linked' },
};
