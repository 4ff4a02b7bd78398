import { t, type Locale } from './messages.ts';
import type { Catalogue } from './format.ts';
import { ORG_UI } from '../orgs/messages.ts';
import { CITIZEN_UI } from '../citizen/messages.ts';

// Page text (zh-CN first, en second). Error messages live in messages.ts.
const core: Catalogue = {
  'app.title': { 'zh-CN': '一通 · 统一身份认证', en: 'Yitong · Unified Sign-in' },
  'login.heading': { 'zh-CN': '统一身份认证登录', en: 'Sign in' },
  'login.to': { 'zh-CN': '登录后将进入', en: 'You are signing in to' },
  'login.identifier': { 'zh-CN': '身份证号 / 手机号 / 邮箱', en: 'ID number / mobile / e-mail' },
  'login.identifier_hint': { 'zh-CN': '原部门系统账号请填写“部门编码/登录名”', en: 'For a former departmental account, enter DEPARTMENT/login name' },
  'login.password': { 'zh-CN': '密码', en: 'Password' },
  'login.submit': { 'zh-CN': '登录', en: 'Sign in' },
  'login.cancel': { 'zh-CN': '取消', en: 'Cancel' },
  'consent.heading': { 'zh-CN': '授权确认', en: 'Authorise access' },
  'consent.asks': { 'zh-CN': '以下应用请求获取您的信息：', en: 'This application asks for:' },
  'consent.yes': { 'zh-CN': '同意授权', en: 'Allow' },
  'consent.no': { 'zh-CN': '拒绝', en: 'Deny' },
  'scope.openid': { 'zh-CN': '您的用户标识', en: 'Your user identifier' },
  'scope.profile': { 'zh-CN': '姓名、性别、出生日期', en: 'Name, gender, birth date' },
  'scope.phone': { 'zh-CN': '手机号码', en: 'Mobile number' },
  'scope.email': { 'zh-CN': '电子邮箱', en: 'E-mail address' },
  'scope.id_card': { 'zh-CN': '证件类型、证件号码、实名等级', en: 'ID type, ID number, real-name level' },
  'scope.legal_person': { 'zh-CN': '办理身份（个人或所代表的单位）', en: 'Acting identity (yourself or an organisation)' },
  'scope.offline_access': { 'zh-CN': '在您离开后保持访问', en: 'Access while you are away' },
  'logout.heading': { 'zh-CN': '退出登录', en: 'Sign out' },
  'logout.question': { 'zh-CN': '确定要退出统一身份认证吗？退出后所有已登录的应用都将退出。', en: 'Sign out of Yitong? Every application you signed in to will be signed out.' },
  'logout.yes': { 'zh-CN': '退出', en: 'Sign out' },
  'logout.no': { 'zh-CN': '保持登录', en: 'Stay signed in' },
  'logout.done': { 'zh-CN': '您已安全退出。', en: 'You have signed out.' },
  'logout.stay_hint': { 'zh-CN': '选择“保持登录”只退出“{app}”，统一身份认证和其他应用保持登录。', en: '“Stay signed in” signs you out of “{app}” only; Yitong and your other applications stay signed in.' },
  'logout.still_heading': { 'zh-CN': '您仍处于登录状态', en: 'You are still signed in' },
  'logout.still': { 'zh-CN': '您没有退出统一身份认证，其他已登录的应用不受影响。', en: 'You did not sign out of Yitong; your other applications are not affected.' },
  'logout.back_to_app': { 'zh-CN': '返回“{app}”', en: 'Back to “{app}”' },
  'logout.close': { 'zh-CN': '您可以关闭此页面，或回到之前使用的应用。', en: 'You can close this page or go back to the application you were using.' },
  'error.heading': { 'zh-CN': '出错了', en: 'Something went wrong' },
  'error.code': { 'zh-CN': '错误代码', en: 'Error code' },
};

export const ui: Catalogue = { ...core, ...ORG_UI, ...CITIZEN_UI };

/** Page text or, failing that, a message. */
export function tr(locale: Locale, key: string): string {
  return ui[key]?.[locale] ?? t(locale, key);
}

/** `tr` with `{name}` placeholders filled in (pages escape the result like any other text). */
export function trf(locale: Locale, key: string, vars: Record<string, string>): string {
  return tr(locale, key).replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}
