// zh-CN / en text of the shared self-service sign-in. Plain data: src/i18n composes it.
export const SELFSERVICE_MESSAGES = {
  'selfservice.sign_in_required': { 'zh-CN': '请先登录', en: 'Please sign in first' },
  'selfservice.sign_in': { 'zh-CN': '登录后继续', en: 'Sign in to continue' },
};
