import { t, type Locale } from './messages.ts';
import { ORG_UI } from '../orgs/messages.ts';

// Page text (zh-CN first, en second). Error messages live in messages.ts.
const core: Record<string, { 'zh-CN': string; en: string }> = {
  'punct.colon': { 'zh-CN': '：', en: ': ' },
  'app.title': { 'zh-CN': '一通 · 统一身份认证', en: 'Yitong · Unified Sign-in' },
  'login.heading': { 'zh-CN': '统一身份认证登录', en: 'Sign in' },
  'login.to': { 'zh-CN': '登录后将进入', en: 'You are signing in to' },
  'login.identifier': { 'zh-CN': '身份证号 / 手机号 / 邮箱', en: 'ID number / mobile / e-mail' },
  'login.identifier_hint': { 'zh-CN': '原部门系统账号：部门编码/登录名，如 GA/zhangsan', en: 'Former departmental account: department code/login name, e.g. GA/zhangsan' },
  'login.password': { 'zh-CN': '密码', en: 'Password' },
  'login.submit': { 'zh-CN': '登录', en: 'Sign in' },
  'login.cancel': { 'zh-CN': '取消', en: 'Cancel' },
  'consent.heading': { 'zh-CN': '授权确认', en: 'Authorise access' },
  // follows the app's name: “公安局业务系统 请求获取您的以下信息：”
  'consent.asks': { 'zh-CN': '请求获取您的以下信息：', en: 'asks for the following information about you:' },
  'consent.signed_in_as': { 'zh-CN': '当前登录', en: 'Signed in as' },
  'consent.id_card_warning': {
    'zh-CN': '注意：该应用不属于政府部门。同意后，它将取得您的身份证号码。请确认您信任该应用后再同意。',
    en: 'Note: this application is not run by a government department. If you allow, it receives your ID number. Allow only if you trust it.',
  },
  'consent.withdraw': { 'zh-CN': '以后如需撤回授权，请联系本平台客服。', en: "To withdraw your consent later, contact this service's support." },
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
  'login.locked_help': {
    'zh-CN': '如果忘记了密码，请联系您办理业务的部门或服务热线重置，不必继续尝试。',
    en: 'If you have forgotten the password, contact the department you deal with or the hotline to reset it rather than trying again.',
  },
  'footer.operator': { 'zh-CN': '主办单位', en: 'Operated by' },
  'footer.hotline': { 'zh-CN': '服务热线', en: 'Hotline' },
  'footer.privacy': { 'zh-CN': '个人信息保护政策', en: 'Privacy notice' },
  'footer.service': { 'zh-CN': '一通 · 统一身份认证平台', en: 'Yitong unified sign-in' },
  'error.heading': { 'zh-CN': '出错了', en: 'Something went wrong' },
  'error.code': { 'zh-CN': '错误代码', en: 'Error code' },
};

export const ui: Record<string, { 'zh-CN': string; en: string }> = { ...core, ...ORG_UI };

/** Page text or, failing that, a message. */
export function tr(locale: Locale, key: string): string {
  return ui[key]?.[locale] ?? t(locale, key);
}
