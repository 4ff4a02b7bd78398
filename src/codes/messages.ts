// zh-CN / en text of SMS codes: what a form says after "get code" and after a wrong code. Plain
// data (and one pure function): src/i18n composes it into the one catalogue.
import type { SendOutcome, CheckOutcome } from './service.ts';

export const CODE_MESSAGES = {
  'code.sent': { 'zh-CN': '验证码已发送至 {phone}，5 分钟内有效。', en: 'A code was sent to {phone}. It is valid for 5 minutes.' },
  'code.sent_if_registered': {
    'zh-CN': '如果该手机号已注册并完成验证，验证码已发送到该手机，5 分钟内有效。',
    en: 'If this number belongs to an account and has been verified, a code was sent to it. It is valid for 5 minutes.',
  },
  'code.sent_if_account': {
    'zh-CN': '如果该账号存在并绑定了已验证的手机号，验证码已发送到该手机，5 分钟内有效。',
    en: 'If this account exists and has a verified mobile number, a code was sent to that number. It is valid for 5 minutes.',
  },
  'code.not_received': { 'zh-CN': '没有收到？请 1 分钟后重新获取。', en: 'Nothing arrived? You can ask for a new code after one minute.' },
  'code.wait': { 'zh-CN': '验证码发送过于频繁，请 {seconds} 秒后再获取。', en: 'A code was sent a moment ago; ask again in {seconds} seconds.' },
  'code.limited_phone': { 'zh-CN': '该号码今日获取验证码的次数已达上限，请明天再试。', en: 'This number has reached its limit of codes for today; try again tomorrow.' },
  'code.limited_ip': {
    'zh-CN': '您所在网络今日获取验证码的次数已达上限，请明天再试，或到政务服务窗口办理。',
    en: 'Your network has reached its limit of codes for today; try again tomorrow or visit a service counter.',
  },
  'sms.unavailable': { 'zh-CN': '短信服务暂时不可用，请稍后再试。', en: 'The SMS service is unavailable at the moment; try again shortly.' },
  'sms.off': { 'zh-CN': '本平台未开通短信服务，请使用密码登录或到政务服务窗口办理。', en: 'SMS is not enabled on this service; sign in with your password or visit a service counter.' },
  'sms.recipient': { 'zh-CN': '该号码无法接收短信，请检查后重试。', en: 'This number cannot receive text messages; check it and try again.' },
  'sms.rate': { 'zh-CN': '该号码接收短信过于频繁，请稍后再试。', en: 'This number has received too many messages; try again later.' },
  'code.format': { 'zh-CN': '短信验证码为 6 位数字', en: 'The code has 6 digits' },
  'code.missing': { 'zh-CN': '请先获取短信验证码并填写', en: 'Get a code by SMS and enter it' },
  'code.invalid': { 'zh-CN': '短信验证码不正确', en: 'The code is not correct' },
  'code.invalid_left': { 'zh-CN': '短信验证码不正确，还可尝试 {left} 次', en: 'The code is not correct; {left} more tries' },
  'code.expired': { 'zh-CN': '短信验证码已失效，请重新获取', en: 'The code has expired or was used; get a new one' },
  'code.exhausted': { 'zh-CN': '短信验证码错误次数过多，请重新获取', en: 'Too many wrong codes; get a new one' },
};

export interface Said {
  key: string;
  params?: Record<string, string | number>;
  /** an error (shown as such, next to the field) or news */
  error: boolean;
}

/** What a form says after "get code". `concealed`: which of the neutral lines to use. */
export function sendMessage(outcome: SendOutcome, concealed: 'phone' | 'account' | null): Said {
  switch (outcome.status) {
    case 'sent':
      if (concealed) return { key: concealed === 'phone' ? 'code.sent_if_registered' : 'code.sent_if_account', error: false };
      return { key: 'code.sent', params: { phone: outcome.to ?? '' }, error: false };
    case 'wait':
      return { key: 'code.wait', params: { seconds: outcome.retryAfter }, error: true };
    case 'limited':
      return { key: outcome.scope === 'ip' ? 'code.limited_ip' : 'code.limited_phone', error: true };
    case 'unavailable':
      return { key: 'sms.unavailable', error: true };
    case 'rejected':
      return { key: outcome.reason === 'recipient' ? 'sms.recipient' : 'sms.rate', error: true };
  }
}

/** What a form says next to the code field after a refused code. */
export function checkMessage(outcome: Extract<CheckOutcome, { ok: false }>): Said {
  if (outcome.reason === 'invalid' && outcome.attemptsLeft) return { key: 'code.invalid_left', params: { left: outcome.attemptsLeft }, error: true };
  return { key: outcome.reason === 'invalid' ? 'code.invalid' : outcome.reason === 'expired' ? 'code.expired' : 'code.exhausted', error: true };
}
