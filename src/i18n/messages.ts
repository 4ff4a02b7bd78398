// Error codes double as message keys (zh-CN first, en second). Pages and CLI errors use the same keys.

import { format, type Catalogue, type Locale, type MessageParams } from './format.ts';

export type { Locale };

import { ORG_MESSAGES } from '../orgs/messages.ts';
import { LEGACY_ERRORS } from '../legacy/messages.ts';
import { SELFSERVICE_MESSAGES } from '../selfservice/messages.ts';
import { ACCOUNT_MESSAGES } from '../account/messages.ts';
import { ADMIN_MESSAGES } from '../admin/messages.ts';
import { CODE_MESSAGES } from '../codes/messages.ts';
import { CITIZEN_MESSAGES } from '../citizen/messages.ts';
import { MFA_MESSAGES } from '../mfa/messages.ts';
import { BACKUP_MESSAGES } from '../backup/messages.ts';

const core: Catalogue = {
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
  'person.unknown': { 'zh-CN': '账号库中没有该证件号码对应的用户', en: 'No person with this ID number is in the account library' },
  'person.exists': { 'zh-CN': '该证件号码已注册', en: 'A person with this ID number already exists' },
  'department.exists': { 'zh-CN': '部门编码已存在', en: 'A department with this code already exists' },
  'department.unknown': { 'zh-CN': '部门不存在', en: 'No such department' },
  'department.code_invalid': { 'zh-CN': '部门编码只能包含字母、数字、下划线和连字符（1-32 位）', en: 'A department code holds letters, digits, _ and - (1 to 32)' },
  'client.redirect_uri_invalid': { 'zh-CN': '回调地址必须是不含片段的绝对 URL', en: 'A redirect URI must be an absolute URL without a fragment' },
  'client.invalid': { 'zh-CN': '应用配置无效', en: 'The client configuration is not valid' },
  'client.unknown': { 'zh-CN': '应用不存在', en: 'No such client' },
  'login.failed': { 'zh-CN': '账号或密码错误，或账号暂时无法登录', en: 'Wrong account or password, or the account cannot sign in right now' },
  // {time}: when the lock ends (China Standard Time); {minutes}: how long that is from now
  'login.locked': {
    'zh-CN': '失败次数过多，登录已暂时锁定。请在北京时间 {time} 以后（约 {minutes} 分钟后）再试。',
    en: 'Too many failed attempts: sign-in is temporarily locked. Try again after {time} China time (in about {minutes} min).',
  },
  'login.throttled': { 'zh-CN': '尝试次数过多，请稍后再试', en: 'Too many attempts; try again later' },
  'login.missing': { 'zh-CN': '请填写账号和密码', en: 'Enter your account and password' },
  'csrf.invalid': { 'zh-CN': '页面已过期，请刷新后重试', en: 'This page has expired; reload it and try again' },
  'request.method_not_allowed': { 'zh-CN': '不支持该请求方法', en: 'This request method is not supported' },
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
  'client.auth_method_invalid': {
    'zh-CN': '令牌端点认证方式应为 client_secret_basic、client_secret_post、client_secret_jwt、private_key_jwt 或 none',
    en: 'The token endpoint auth method must be client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none',
  },
  'client.jwks_uri_required': { 'zh-CN': 'private_key_jwt 需要用 --jwks-uri 登记应用的公钥地址', en: 'private_key_jwt needs the address of the app’s public keys (--jwks-uri)' },
  'client.jwks_uri_invalid': { 'zh-CN': '公钥地址（--jwks-uri）必须是不含片段的绝对 URL，生产环境须使用 https', en: 'The key set address (--jwks-uri) must be an absolute URL without a fragment, https in production' },
  'client.jwks_uri_unused': { 'zh-CN': '只有 private_key_jwt 方式使用 --jwks-uri', en: '--jwks-uri is used by private_key_jwt only' },
  // Protocol errors a person sees (what happened, then what to do); {app} is the app's name.
  'oidc.error.redirect_uri': {
    'zh-CN': '应用发来的回调地址与其登记的地址不一致。为保护您的信息，登录没有继续。',
    en: 'The application sent a return address that differs from the one it registered. To protect your information, sign-in stopped here.',
  },
  'oidc.error.client': { 'zh-CN': '发起请求的应用没有在统一身份认证平台登记，或已停用。', en: 'The application that sent you here is not registered with Yitong, or has been disabled.' },
  'oidc.error.request': { 'zh-CN': '应用发来的请求不完整或无效，无法继续。', en: 'The application’s request is incomplete or not valid, so it cannot go on.' },
  'oidc.error.expired': { 'zh-CN': '本次登录已过期，或已在其他窗口完成。', en: 'This sign-in has expired or was completed in another window.' },
  'oidc.error.denied': { 'zh-CN': '登录没有完成。', en: 'The sign-in was not completed.' },
  'oidc.error.unavailable': { 'zh-CN': '服务暂时不可用。', en: 'The service is temporarily unavailable.' },
  'oidc.next.contact': { 'zh-CN': '请返回应用或联系应用提供方。', en: 'Go back to the application or contact its provider.' },
  'oidc.next.contact_app': { 'zh-CN': '请返回“{app}”或联系该应用的提供方。', en: 'Go back to “{app}” or contact its provider.' },
  'oidc.next.restart': { 'zh-CN': '请返回应用重新登录。', en: 'Go back to the application and sign in again.' },
  'oidc.next.restart_app': { 'zh-CN': '请返回“{app}”重新登录。', en: 'Go back to “{app}” and sign in again.' },
  'oidc.next.retry': { 'zh-CN': '请稍后重试；如果问题持续，请联系平台管理员。', en: 'Try again shortly; if the problem persists, contact the platform administrator.' },
};

/** The one catalogue: the core's messages and the features' (each kept beside its code). */
export const messages: Catalogue = { ...core, ...ORG_MESSAGES, ...LEGACY_ERRORS, ...SELFSERVICE_MESSAGES, ...ACCOUNT_MESSAGES, ...ADMIN_MESSAGES, ...CODE_MESSAGES, ...CITIZEN_MESSAGES, ...MFA_MESSAGES, ...BACKUP_MESSAGES };

export function t(locale: Locale, key: string, params?: MessageParams): string {
  const m = messages[key];
  return m ? format(m[locale], params) : key;
}

export function bilingual(key: string, params?: MessageParams): string {
  const m = messages[key];
  return m ? `${format(m['zh-CN'], params)} / ${format(m.en, params)}` : key;
}

/**
 * The first language of a space-separated BCP 47 list (OIDC ui_locales) that the pages speak:
 * en and en-* are en; zh, zh-CN, zh-SG and zh-Hans(-*) are zh-CN (simplified Chinese). Tags are
 * case-insensitive; other languages, zh-TW/zh-HK/zh-Hant included, are skipped.
 */
export function firstSupportedLocale(list: unknown): Locale | undefined {
  if (typeof list !== 'string') return undefined;
  for (const tag of list.trim().split(/\s+/, 32)) {
    const t = tag.toLowerCase();
    if (t === 'en' || t.startsWith('en-')) return 'en';
    if (t === 'zh' || t === 'zh-cn' || t === 'zh-sg' || t === 'zh-hans' || t.startsWith('zh-hans-')) return 'zh-CN';
  }
  return undefined;
}

/** zh-CN unless the user picked en (cookie or ?lang=) or the browser prefers English only. */
export function pickLocale(query: string | undefined, cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  const chosen = query || cookie;
  if (chosen === 'en' || chosen === 'zh-CN') return chosen;
  if (acceptLanguage && /^en\b/i.test(acceptLanguage.trim()) && !/zh/i.test(acceptLanguage)) return 'en';
  return 'zh-CN';
}
