import { t, type Locale } from './messages.ts';
import type { Catalogue } from './format.ts';
import { ORG_UI } from '../orgs/messages.ts';
import { ACCOUNT_UI } from '../account/messages.ts';
import { ADMIN_UI } from '../admin/messages.ts';
import { ADMIN_CONSOLE_UI } from '../admin/console-messages.ts';
import { CITIZEN_UI } from '../citizen/messages.ts';
import { MFA_UI } from '../mfa/messages.ts';

// Page text (zh-CN first, en second). Error messages live in messages.ts.
const core: Catalogue = {
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
  'consent.withdraw': {
    'zh-CN': '以后如需撤回授权，可在“个人中心 › 已授权应用”（/account/apps）中撤销，或联系本平台客服。',
    en: "To withdraw your consent later, revoke it under My account › Apps (/account/apps) or contact this service's support.",
  },
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
  'login.locked_help': {
    'zh-CN': '如果忘记了密码，请联系您办理业务的部门或服务热线重置，不必继续尝试。',
    en: 'If you have forgotten the password, contact the department you deal with or the hotline to reset it rather than trying again.',
  },
  'home.title': { 'zh-CN': '首页', en: 'Home' },
  'home.heading': { 'zh-CN': '一通 · 统一身份认证', en: 'Yitong unified sign-in' },
  'home.what': {
    'zh-CN': '一通是本地政府各部门网上办事的统一登录入口：一个账号即可登录各部门的业务系统，不必分别注册。',
    en: "Yitong is one sign-in for the online services of the local government's departments: one account signs you in to every department's application, with no separate registrations.",
  },
  'home.how': {
    'zh-CN': '一般不需要直接打开本页：在部门业务系统中点击“统一身份认证登录”，就会来到这里登录，登录后自动回到原系统。',
    en: "You rarely need to open this page yourself: choose \"Sign in with Yitong\" in a department's application, sign in here, and you are taken back.",
  },
  'home.self_service': { 'zh-CN': '自助服务', en: 'Self-service' },
  'home.self_service_hint': { 'zh-CN': '打开后需要先登录。', en: 'You will be asked to sign in first.' },
  'help.heading': { 'zh-CN': '帮助', en: 'Help' },
  'help.signin_q': { 'zh-CN': '怎样登录？', en: 'How do I sign in?' },
  'help.signin_a': {
    'zh-CN': '用身份证号、登记过的手机号或邮箱，加上密码登录。',
    en: 'Enter your ID number, registered mobile number or e-mail address, and your password.',
  },
  'help.locked_q': { 'zh-CN': '提示“登录已暂时锁定”怎么办？', en: 'Sign-in says it is temporarily locked?' },
  'help.locked_a': {
    'zh-CN': '连续多次登录失败后，为保护账号，登录会暂时锁定。请等到提示的时间以后再试，无需重新注册。',
    en: 'After several failed attempts in a row, sign-in is locked for a while to protect the account. Try again after the time shown; there is no need to register again.',
  },
  'help.forgot_q': { 'zh-CN': '忘记密码怎么办？', en: 'Forgotten your password?' },
  'help.forgot_a': {
    'zh-CN': '请联系您办理业务的部门或本平台客服，核实身份后重置密码。',
    en: "Contact the department you deal with, or this service's support, to confirm who you are and reset it.",
  },
  'help.data_q': { 'zh-CN': '我的信息怎样使用？', en: 'How is my information used?' },
  'help.data_a': {
    'zh-CN': '您的证件号码、手机号等信息加密保存。政府部门的应用按规定取得办事所需的信息；其他应用须经您在授权页同意，才能取得您的信息。',
    en: "Your ID number, mobile number and other details are stored encrypted. Government departments' applications receive what their services need; any other application gets your information only after you allow it on the consent page.",
  },
  'notfound.heading': { 'zh-CN': '找不到这个页面', en: 'Page not found' },
  'notfound.what': { 'zh-CN': '您打开的地址不存在，可能是链接已失效或地址有误。', en: 'Nothing is at this address: the link may be out of date or mistyped.' },
  'notfound.next': {
    'zh-CN': '如果您正在登录某个部门的业务系统，请回到该系统重新点击登录。',
    en: "If you were signing in to a department's application, go back to it and start signing in again.",
  },
  'notfound.home': { 'zh-CN': '返回首页', en: 'Go to the home page' },
  'notfound.help': { 'zh-CN': '查看帮助', en: 'Get help' },
  'footer.operator': { 'zh-CN': '主办单位', en: 'Operated by' },
  'footer.hotline': { 'zh-CN': '服务热线', en: 'Hotline' },
  'footer.privacy': { 'zh-CN': '个人信息保护政策', en: 'Privacy notice' },
  'footer.service': { 'zh-CN': '一通 · 统一身份认证平台', en: 'Yitong unified sign-in' },
  'error.heading': { 'zh-CN': '出错了', en: 'Something went wrong' },
  'error.code': { 'zh-CN': '错误代码', en: 'Error code' },
};

export const ui: Catalogue = { ...core, ...ORG_UI, ...ACCOUNT_UI, ...ADMIN_UI, ...ADMIN_CONSOLE_UI, ...CITIZEN_UI, ...MFA_UI };

/** Page text or, failing that, a message. */
export function tr(locale: Locale, key: string): string {
  return ui[key]?.[locale] ?? t(locale, key);
}

/** `tr` with `{name}` placeholders filled in (pages escape the result like any other text). */
export function trf(locale: Locale, key: string, vars: Record<string, string>): string {
  return tr(locale, key).replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}
