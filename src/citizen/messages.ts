// zh-CN / en text of citizens' self-service: registration, SMS login, password recovery, real-name
// level. Error codes (which double as message keys) and page text; plain data composed by src/i18n.

export const CITIZEN_MESSAGES = {
  'phone.empty': { 'zh-CN': '请填写手机号码', en: 'Enter your mobile number' },
  'name.empty': { 'zh-CN': '请填写姓名', en: 'Enter your name' },
  'password.empty': { 'zh-CN': '请设置密码', en: 'Choose a password' },
  'password.common': { 'zh-CN': '该密码过于常见，容易被猜中，请换一个', en: 'This password is too common and easy to guess; choose another' },
  'password.personal': { 'zh-CN': '密码不能包含身份证号码、出生日期或手机号码', en: 'The password must not contain your ID number, birth date or mobile number' },
  'identifier.empty': { 'zh-CN': '请填写身份证号码、手机号码或电子邮箱', en: 'Enter your ID number, mobile number or e-mail address' },
  'identifier.invalid': {
    'zh-CN': '请填写有效的身份证号码、手机号码、电子邮箱，或原部门系统账号（部门编码/登录名）',
    en: 'Enter a valid ID number, mobile number, e-mail address, or former departmental account (DEPARTMENT/login name)',
  },
  'register.exists': {
    'zh-CN': '该身份证号码已有账号，不能重复注册。如果是您本人的账号，请找回密码后登录。',
    en: 'This ID number already has an account and cannot register again. If it is yours, reset the password and sign in.',
  },
  'register.phone_taken': {
    'zh-CN': '该手机号码已绑定其他账号，一个手机号码只能绑定一个账号。如果那是您的账号，请找回密码后登录。',
    en: 'This mobile number belongs to another account; a number can belong to one account only. If that account is yours, reset its password and sign in.',
  },
  'register.idv_mismatch': {
    'zh-CN': '姓名与身份证号码不一致（已与公安人口信息核对）。请检查后重新填写；未创建账号。',
    en: 'The name does not match the ID number in the population register. Check both and try again; no account was created.',
  },
  'register.idv_not_found': {
    'zh-CN': '人口信息中没有查到该身份证号码。请检查号码，或携带身份证到政务服务窗口办理；未创建账号。',
    en: 'The population register has no record of this ID number. Check it, or bring your ID card to a service counter; no account was created.',
  },
  'register.throttled': { 'zh-CN': '您所在网络的注册尝试过多，请 1 小时后再试。', en: 'Too many registration attempts from your network; try again in an hour.' },
  'recover.failed': { 'zh-CN': '无法重置密码，请重新获取验证码后再试。', en: 'The password could not be reset; get a new code and try again.' },
  'real_name.method_invalid': { 'zh-CN': '核验方式应为 counter、idv、upstream 或 self', en: 'The method must be counter, idv, upstream or self' },
};

export const CITIZEN_UI = {
  'login.other_ways': { 'zh-CN': '其他方式', en: 'Other ways' },
  'login.sms_link': { 'zh-CN': '短信验证码登录', en: 'Sign in with a code by SMS' },
  'login.password_link': { 'zh-CN': '账号密码登录', en: 'Sign in with a password' },
  'login.register_link': { 'zh-CN': '注册账号', en: 'Create an account' },
  'login.recover_link': { 'zh-CN': '忘记密码', en: 'Forgotten password' },
  'sms_login.heading': { 'zh-CN': '短信验证码登录', en: 'Sign in with a code by SMS' },
  'sms_login.hint': { 'zh-CN': '仅限已注册并验证过手机号码的账号。', en: 'For accounts with a registered, verified mobile number.' },
  'sms_login.submit': { 'zh-CN': '登录', en: 'Sign in' },
  'field.phone': { 'zh-CN': '手机号码', en: 'Mobile number' },
  'field.sms_code': { 'zh-CN': '短信验证码', en: 'Code from the SMS' },
  'field.send_code': { 'zh-CN': '获取验证码', en: 'Send code' },
  'field.sms_code_hint': { 'zh-CN': '6 位数字，5 分钟内有效', en: '6 digits, valid for 5 minutes' },
  'field.id_number': { 'zh-CN': '居民身份证号码', en: 'Resident ID number' },
  'field.name': { 'zh-CN': '姓名', en: 'Name' },
  'field.name_hint': { 'zh-CN': '与身份证上的姓名一致', en: 'As on your ID card' },
  'field.password': { 'zh-CN': '设置密码', en: 'Choose a password' },
  'field.new_password': { 'zh-CN': '新密码', en: 'New password' },
  'field.password_hint': {
    'zh-CN': '8 至 128 位，包含大写字母、小写字母、数字、符号中的至少三类；不要使用常见密码或证件号、手机号。',
    en: '8 to 128 characters with three of: upper case, lower case, digits, symbols; no common passwords, ID or mobile numbers.',
  },
  'field.identifier': { 'zh-CN': '身份证号码 / 手机号码 / 邮箱', en: 'ID number / mobile / e-mail' },
  'register.heading': { 'zh-CN': '注册统一身份认证账号', en: 'Create your account' },
  'register.intro': {
    'zh-CN': '一个账号即可登录各部门的业务系统。请填写本人真实信息，手机号码需短信验证。',
    en: "One account signs you in to every department's services. Enter your own details; your mobile number is verified by SMS.",
  },
  'register.submit': { 'zh-CN': '注册', en: 'Register' },
  'register.have_account': { 'zh-CN': '已有账号？返回登录', en: 'Have an account? Sign in' },
  'register.done_heading': { 'zh-CN': '注册成功', en: 'Registered' },
  'register.done': {
    'zh-CN': '您的账号已创建，可以使用身份证号码或手机号码登录各部门的业务系统。',
    en: "Your account is ready: sign in to departments' services with your ID number or mobile number.",
  },
  'register.done_level2': { 'zh-CN': '您的身份已通过公安人口信息核验（实名等级 2）。', en: 'Your identity was checked against the population register (real-name level 2).' },
  'register.done_pending': {
    'zh-CN': '人口信息核验服务暂时不可用，账号已按实名等级 1 创建，系统将稍后自动核验。',
    en: 'The population register could not be reached; your account starts at real-name level 1 and will be checked automatically later.',
  },
  'register.expired_login': {
    'zh-CN': '账号已创建，但本次登录已过期。请返回应用重新登录。',
    en: 'Your account was created, but this sign-in has expired. Go back to the application and sign in.',
  },
  'recover.heading': { 'zh-CN': '找回密码', en: 'Reset your password' },
  'recover.intro': {
    'zh-CN': '验证码将发送到账号绑定的、已验证的手机号码。重置后，所有设备和应用上的登录都将退出。',
    en: "The code goes to the account's verified mobile number. After the reset you are signed out everywhere, in every application.",
  },
  'recover.submit': { 'zh-CN': '重置密码', en: 'Reset password' },
  'recover.done_heading': { 'zh-CN': '密码已重置', en: 'Password reset' },
  'recover.done': { 'zh-CN': '新密码已生效，所有设备和应用上的登录均已退出。请用新密码登录。', en: 'Your new password is in effect and you have been signed out everywhere. Sign in with the new password.' },
  'recover.no_phone': {
    'zh-CN': '没有绑定已验证手机号码的账号，请携带身份证到政务服务窗口重置密码。',
    en: 'Without a verified mobile number, bring your ID card to a service counter to reset the password.',
  },
  'recover.back_to_login': { 'zh-CN': '返回登录', en: 'Back to sign-in' },
  'form.errors': { 'zh-CN': '请修改标出的内容后重新提交。', en: 'Correct the marked fields and submit again.' },
};
