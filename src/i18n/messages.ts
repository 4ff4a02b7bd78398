// Error codes double as message keys (zh-CN first, en second). Pages and CLI errors use the same keys.

export type Locale = 'zh-CN' | 'en';

import { ORG_MESSAGES } from '../orgs/messages.ts';
import { LEGACY_ERRORS } from '../legacy/messages.ts';

const core: Record<string, { 'zh-CN': string; en: string }> = {
  'id_number.empty': { 'zh-CN': '请填写身份证号码', en: 'The ID number is missing' },
  'id_number.float_mangled': { 'zh-CN': '身份证号码被表格软件转成了科学计数法，请以文本格式导出', en: 'The ID number was turned into a floating-point number by a spreadsheet; export it as text' },
  'id_number.length': { 'zh-CN': '身份证号码应为 18 位（或旧版 15 位）', en: 'An ID number has 18 characters (or 15 for old numbers)' },
  'id_number.charset': { 'zh-CN': '身份证号码只能包含数字和末位 X', en: 'An ID number holds digits and a final X only' },
  'id_number.birthdate': { 'zh-CN': '身份证号码中的出生日期无效', en: 'The birth date inside the ID number is not a valid date' },
  'id_number.check_char': { 'zh-CN': '身份证号码校验位不正确', en: 'The ID number check character is wrong' },
  'uscc.empty': { 'zh-CN': '请填写统一社会信用代码', en: 'The unified social credit code is missing' },
  'uscc.length': { 'zh-CN': '统一社会信用代码应为 18 位', en: 'A unified social credit code has 18 characters' },
  'uscc.charset': { 'zh-CN': '统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）', en: 'The unified social credit code holds a character outside its charset (no I, O, Z, S, V)' },
  'uscc.check_char': { 'zh-CN': '统一社会信用代码校验位不正确', en: 'The unified social credit code check character is wrong' },
  'phone.invalid': { 'zh-CN': '手机号码格式不正确', en: 'The mobile number is not valid' },
  'email.invalid': { 'zh-CN': '电子邮箱格式不正确', en: 'The e-mail address is not valid' },
  'name.invalid': { 'zh-CN': '姓名不能为空且不超过 64 个字符', en: 'The name must be 1 to 64 characters' },
  'password.too_short': { 'zh-CN': '密码至少 8 位', en: 'The password needs at least 8 characters' },
  'password.too_long': { 'zh-CN': '密码不能超过 128 位', en: 'The password may have at most 128 characters' },
  'password.too_simple': { 'zh-CN': '密码须包含大写字母、小写字母、数字、符号中的至少三类', en: 'The password needs three of: upper case, lower case, digits, symbols' },
  'person.real_name_level': { 'zh-CN': '实名等级应为 1 至 4', en: 'The real-name level must be 1 to 4' },
  'person.exists': { 'zh-CN': '该证件号码已注册', en: 'A person with this ID number already exists' },
  'department.exists': { 'zh-CN': '部门编码已存在', en: 'A department with this code already exists' },
  'department.unknown': { 'zh-CN': '部门不存在', en: 'No such department' },
  'department.code_invalid': { 'zh-CN': '部门编码只能包含字母、数字、下划线和连字符（1-32 位）', en: 'A department code holds letters, digits, _ and - (1 to 32)' },
  'client.redirect_uri_invalid': { 'zh-CN': '回调地址必须是不含片段的绝对 URL', en: 'A redirect URI must be an absolute URL without a fragment' },
  'client.invalid': { 'zh-CN': '应用配置无效', en: 'The client configuration is not valid' },
  'client.unknown': { 'zh-CN': '应用不存在', en: 'No such client' },
  'login.failed': { 'zh-CN': '账号或密码错误，或账号暂时无法登录', en: 'Wrong account or password, or the account cannot sign in right now' },
  'login.throttled': { 'zh-CN': '尝试次数过多，请稍后再试', en: 'Too many attempts; try again later' },
  'login.missing': { 'zh-CN': '请填写账号和密码', en: 'Enter your account and password' },
  'csrf.invalid': { 'zh-CN': '页面已过期，请刷新后重试', en: 'This page has expired; reload it and try again' },
  'request.too_large': { 'zh-CN': '请求过大', en: 'The request is too large' },
  'request.malformed': { 'zh-CN': '请求格式不正确', en: 'The request is malformed' },
  'request.unsupported_encoding': { 'zh-CN': '不支持压缩或经过编码的请求正文（Content-Encoding），请以未压缩形式发送', en: 'Compressed or encoded request bodies (Content-Encoding) are not accepted; send the body uncompressed' },
  'request.bad_host': { 'zh-CN': '请求的主机名（Host 或 X-Forwarded-Host）格式不正确', en: 'The host of the request (Host or X-Forwarded-Host) is malformed' },
  'request.bad_forwarded': { 'zh-CN': '代理转发头（X-Forwarded-For 或 X-Forwarded-Proto）格式不正确', en: 'A proxy header (X-Forwarded-For or X-Forwarded-Proto) is malformed' },
  'db.unavailable': { 'zh-CN': '服务暂时不可用，请稍后重试', en: 'The service is temporarily unavailable; try again shortly' },
  'not_found': { 'zh-CN': '页面不存在', en: 'Page not found' },
  'server_error': { 'zh-CN': '服务器内部错误，请稍后重试', en: 'Something went wrong on our side; try again shortly' },
  'interaction.expired': { 'zh-CN': '登录会话已过期，请返回应用重新登录', en: 'The sign-in session has expired; go back to the application and start again' },
  'data_dir.in_use': { 'zh-CN': '数据目录正被其他进程使用', en: 'The data directory is in use by another process' },
};

/** The one catalogue: the core's messages and the features' (each kept beside its code). */
export const messages: Record<string, { 'zh-CN': string; en: string }> = { ...core, ...ORG_MESSAGES, ...LEGACY_ERRORS };

export function t(locale: Locale, key: string): string {
  const m = messages[key];
  return m ? m[locale] : key;
}

export function bilingual(key: string): string {
  const m = messages[key];
  return m ? `${m['zh-CN']} / ${m.en}` : key;
}

/** zh-CN unless the user picked en (cookie or ?lang=) or the browser prefers English only. */
export function pickLocale(query: string | undefined, cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  const chosen = query || cookie;
  if (chosen === 'en' || chosen === 'zh-CN') return chosen;
  if (acceptLanguage && /^en\b/i.test(acceptLanguage.trim()) && !/zh/i.test(acceptLanguage)) return 'en';
  return 'zh-CN';
}

/** A domain error with a message key; pages and the CLI render it in both languages. */
export class UserError extends Error {
  code: string;
  status: number;
  detail?: string;
  constructor(code: string, status = 400, detail?: string) {
    super(detail ? `${bilingual(code)} (${detail})` : bilingual(code));
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}
